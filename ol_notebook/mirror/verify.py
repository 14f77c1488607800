"""Re-hash a whole mirror against its own pages: on the air-gapped side, where no lock run will
re-hash it, this is how a file changed or lost since it was mirrored is found before a pull is."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from ol_notebook.mirror.files import sha256_file
from ol_notebook.mirror.layout import listed_projects, read_project_page, simple_dir, web_dir
from ol_notebook.mirror.wanted import MirrorError


@dataclass(frozen=True)
class Damage:
    """A file a page lists that is missing, or no longer has the listed sha256."""

    project: str
    filename: str
    problem: str


def verify_mirror(root: Path) -> tuple[int, list[Damage]]:
    """(how many files the pages list, the damaged ones)."""
    root = root.resolve()
    if not simple_dir(root).is_dir():
        raise MirrorError(f"{root} is not a mirror: it has no web/simple/")
    checked, damaged = 0, []
    for project in sorted(listed_projects(root)):
        for file in read_project_page(root, project).values():
            checked += 1
            path = _local_path(root, project, file.url)
            if path is None:
                damaged.append(Damage(project, file.filename, f"its link {file.url} is not a file of this mirror"))
            elif not path.is_file():
                damaged.append(Damage(project, file.filename, f"{path} is missing"))
            elif (found := sha256_file(path)) != file.sha256:
                problem = f"{path} has sha256 {found}, the page says {file.sha256}"
                damaged.append(Damage(project, file.filename, problem))
    return checked, damaged


def _local_path(root: Path, project: str, url: str) -> Path | None:
    """The file a relative link on a project page points at, if it stays inside web/."""
    if "://" in url or url.startswith("/"):
        return None
    relative = posixpath.normpath(posixpath.join("simple", project, url.split("#", 1)[0]))
    if relative.startswith("../") or relative == "..":
        return None
    return web_dir(root) / relative
