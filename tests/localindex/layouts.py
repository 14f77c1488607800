"""Static index layouts on disk: a plain PEP 503 tree and a bandersnatch mirror.

A mirror is what an offline deployment points uv at (``file://.../web/simple``), so its layout is worth
testing against exactly as bandersnatch writes it, with files stored by hash and linked relatively.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .distfiles import DistDirectory, DistFile
from .pages import index_html, project_html

FileHref = Callable[[str, str], str]  # (file name, sha256) -> URL without the ``#sha256=`` fragment


def write_simple_tree(files_dir: Path, out: Path, *, file_href: FileHref) -> None:
    """Write ``out/index.html`` and ``out/<normalized project>/index.html`` for every file in ``files_dir``.

    Links carry ``#sha256=`` fragments and ``data-requires-python`` where the file declares Requires-Python.
    """
    dists = DistDirectory(files_dir)
    projects = dists.projects()
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(index_html(projects), encoding="utf-8")

    def href(dist: DistFile) -> str:
        return file_href(dist.filename, dist.sha256)

    for project in projects:
        (out / project).mkdir(exist_ok=True)
        page = project_html(project, dists.files(project), href)
        (out / project / "index.html").write_text(page, encoding="utf-8")


def bandersnatch_path(filename: str, sha256: str) -> str:
    """Where bandersnatch stores a file, relative to ``web/``: ``packages/ab/cd/<rest of sha256>/<file>``."""
    return f"packages/{sha256[:2]}/{sha256[2:4]}/{sha256[4:]}/{filename}"


def _place(source: Path, target: Path) -> None:
    """Hard-link when possible (cheap for big wheels), else copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def make_bandersnatch_mirror(files_dir: Path, out: Path) -> Path:
    """Build a bandersnatch-style mirror of ``files_dir`` at ``out``; return ``out``.

    uv uses it with ``--index-url file://<out>/web/simple``.
    """
    web = Path(out) / "web"
    for dist in DistDirectory(files_dir).all_files():
        _place(dist.path, web / bandersnatch_path(dist.filename, dist.sha256))
    write_simple_tree(
        files_dir, web / "simple", file_href=lambda name, sha256: "../../" + bandersnatch_path(name, sha256)
    )
    return Path(out)
