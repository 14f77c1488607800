"""Render the simple repository API: PEP 503 HTML and PEP 691 JSON, for static trees and the server."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html import escape

from packaging.version import InvalidVersion, Version

from .distfiles import DistFile

Href = Callable[[DistFile], str]  # the file's URL, without the ``#sha256=`` fragment
API_VERSION = "1.1"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_HEAD = f'<!DOCTYPE html>\n<html>\n<head>\n<meta name="pypi:repository-version" content="{API_VERSION}">\n'


def index_html(projects: Iterable[str]) -> str:
    links = "".join(f'<a href="{escape(p)}/">{escape(p)}</a><br>\n' for p in projects)
    return f"{_HEAD}<title>Simple index</title>\n</head>\n<body>\n{links}</body>\n</html>\n"


def _anchor(dist: DistFile, href: Href, core_metadata: bool) -> str:
    attributes = [f'href="{escape(href(dist))}#sha256={dist.sha256}"']
    if dist.requires_python:
        attributes.append(f'data-requires-python="{escape(dist.requires_python)}"')
    if core_metadata and dist.core_metadata_sha256:
        value = f"sha256={dist.core_metadata_sha256}"
        attributes += [f'data-core-metadata="{value}"', f'data-dist-info-metadata="{value}"']
    return f"<a {' '.join(attributes)}>{escape(dist.filename)}</a><br>\n"


def project_html(project: str, files: Iterable[DistFile], href: Href, *, core_metadata: bool = False) -> str:
    """A project page; ``core_metadata`` advertises ``<file>.metadata`` (PEP 658/714) for wheels."""
    links = "".join(_anchor(dist, href, core_metadata) for dist in files)
    title = f"Links for {escape(project)}"
    return f"{_HEAD}<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n{links}</body>\n</html>\n"


def index_json(projects: Iterable[str]) -> dict:
    return {"meta": {"api-version": API_VERSION}, "projects": [{"name": p} for p in projects]}


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def project_json(project: str, files: list[DistFile], href: Href, *, core_metadata: bool = False) -> dict:
    entries = []
    for dist in files:
        entry: dict = {"filename": dist.filename, "url": href(dist), "hashes": {"sha256": dist.sha256}}
        entry["size"] = dist.size
        if dist.requires_python:
            entry["requires-python"] = dist.requires_python
        entry["upload-time"] = _upload_time(dist)
        if core_metadata and dist.core_metadata_sha256:
            entry["core-metadata"] = {"sha256": dist.core_metadata_sha256}
        entries.append(entry)
    return {
        "meta": {"api-version": API_VERSION},
        "name": project,
        "versions": sorted({dist.version for dist in files}, key=_version_key),
        "files": entries,
    }


def _upload_time(dist: DistFile) -> str:
    """PEP 700's upload-time (ISO 8601, UTC, "Z"): here when the file was written, which a lock records."""
    written = datetime.fromtimestamp(dist.path.stat().st_mtime, UTC)
    return written.isoformat(timespec="microseconds").replace("+00:00", "Z")


def prefers_json(accept: str | None) -> bool:
    """Content negotiation (PEP 691): JSON only if the client rates it above every HTML type it accepts."""
    best = {"json": 0.0, "html": 0.0}
    for media_range in (accept or "").split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if kind in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            best["json"] = max(best["json"], quality)
        elif kind in ("text/html", "*/*") or (
            kind.startswith("application/vnd.pypi.simple.") and kind.endswith("+html")
        ):
            best["html"] = max(best["html"], quality)
    return best["json"] > best["html"]
