"""The bandersnatch layout and its pages, as pip, uv and `--mirror DIR` read them.

    DIR/web/packages/ab/cd/<rest of sha256>/<file>    each file under its own hash
    DIR/web/simple/index.html, index.v1_html, index.v1_json            the project list
    DIR/web/simple/<project>/index.html, index.v1_html, index.v1_json  one page per project

HTML is PEP 503 (links carry `#sha256=` and `data-requires-python`), JSON is PEP 691, both with
relative links (`../../packages/...`) as bandersnatch writes them, so the tree works the same read
as `file://DIR/web/simple`, served by any static web server, or copied to another path. pip and
uv read `index.html` from a file:// directory; the `.v1_*` names are for a server that negotiates
the content type (bandersnatch's nginx configuration). The JSON page is what the next run reads
back to add files to a page without losing the ones already listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ol_notebook.mirror.wanted import MirrorError

REPOSITORY_VERSION = "1.0"  # PEP 629, in the HTML pages
API_VERSION = "1.1"  # PEP 691 / 700, in the JSON pages
HTML_PAGE = "index.html"
PAGE_NAMES = (HTML_PAGE, "index.v1_html", "index.v1_json")


@dataclass(frozen=True)
class PageFile:
    """One file as a project page lists it."""

    filename: str
    url: str  # relative to the project's page
    sha256: str
    size: int | None = None
    requires_python: str | None = None
    upload_time: str | None = None


def web_dir(root: Path) -> Path:
    return root / "web"


def simple_dir(root: Path) -> Path:
    return web_dir(root) / "simple"


def file_relpath(filename: str, sha256: str) -> str:
    """Where a file lives, relative to `web/`."""
    return f"packages/{sha256[:2]}/{sha256[2:4]}/{sha256[4:]}/{filename}"


def file_path(root: Path, filename: str, sha256: str) -> Path:
    return web_dir(root) / file_relpath(filename, sha256)


def page_url(filename: str, sha256: str) -> str:
    """A file's link from its project page (`web/simple/<project>/`)."""
    return "../../" + file_relpath(filename, sha256)


def read_project_page(root: Path, project: str) -> dict[str, PageFile]:
    """The files a project page lists today, by file name (none for a new project)."""
    directory = simple_dir(root) / project
    json_page = directory / "index.v1_json"
    if not json_page.exists():
        if (directory / HTML_PAGE).exists():
            raise MirrorError(f"{directory} has an {HTML_PAGE} but no index.v1_json, so its files cannot be kept "
                              "when adding more: it was not written by `ol-notebook mirror` or bandersnatch")
        return {}
    try:
        data = json.loads(json_page.read_text(encoding="utf-8"))
        files = [
            PageFile(entry["filename"], entry["url"], entry["hashes"]["sha256"], entry.get("size"),
                     entry.get("requires-python") or None, entry.get("upload-time") or None)
            for entry in data["files"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MirrorError(f"the page {json_page} cannot be read as a PEP 691 project page: {error!r}") from None
    return {file.filename: file for file in files}


def project_pages(project: str, files: Iterable[PageFile]) -> dict[str, str]:
    """The page's content under each of its names."""
    ordered = sorted(files, key=lambda file: file.filename)
    html = _project_html(project, ordered)
    return {HTML_PAGE: html, "index.v1_html": html, "index.v1_json": _project_json(project, ordered)}


def root_pages(projects: Iterable[str]) -> dict[str, str]:
    names = sorted(projects)
    links = "".join(f'    <a href="{escape(name)}/">{escape(name)}</a><br/>\n' for name in names)
    html = _html("Simple Index", links)
    data = {"meta": {"api-version": API_VERSION}, "projects": [{"name": name} for name in names]}
    return {HTML_PAGE: html, "index.v1_html": html, "index.v1_json": json.dumps(data, indent=1) + "\n"}


def listed_projects(root: Path) -> list[str]:
    """Projects that have a page (a directory with an index.html) under web/simple/."""
    directory = simple_dir(root)
    if not directory.is_dir():
        return []
    return [child.name for child in directory.iterdir() if (child / HTML_PAGE).is_file()]


def _html(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" '
            f'content="{REPOSITORY_VERSION}">\n    <title>{escape(title)}</title>\n  </head>\n  <body>\n'
            f"{body}  </body>\n</html>\n")


def _project_html(project: str, files: list[PageFile]) -> str:
    links = ""
    for file in files:
        requires = f' data-requires-python="{escape(file.requires_python)}"' if file.requires_python else ""
        links += f'    <a href="{escape(file.url)}#sha256={file.sha256}"{requires}>{escape(file.filename)}</a><br/>\n'
    return _html(f"Links for {project}", f"    <h1>Links for {escape(project)}</h1>\n{links}")


def _project_json(project: str, files: list[PageFile]) -> str:
    entries = []
    for file in files:
        entry: dict = {"filename": file.filename, "url": file.url, "hashes": {"sha256": file.sha256}}
        if file.size is not None:
            entry["size"] = file.size
        if file.requires_python:
            entry["requires-python"] = file.requires_python
        if file.upload_time and (when := _pep700_time(file.upload_time)):
            entry["upload-time"] = when
        entries.append(entry)
    versions = sorted({version for file in files if (version := _version(file.filename))}, key=Version)
    data = {"meta": {"api-version": API_VERSION}, "name": project, "versions": versions, "files": entries}
    return json.dumps(data, indent=1) + "\n"


def _pep700_time(text: str) -> str | None:
    """PEP 700's form of a time (UTC, ending in "Z"), from the ISO 8601 a lock or page gave; None if unreadable."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _version(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
