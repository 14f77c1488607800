"""Find one file, by name and sha256, on a project's simple-API page (PEP 503 HTML or PEP 691 JSON).

Installing from a lock needs this where the lock's URL cannot be used: a dead link (the same
file is looked up on the package's index) and a mirror (the only source, whatever the lock's
URLs say). The page is read in the host process, so its URL, and the file URL it gives, must
belong to the configured source (index/origins.py), exactly as for a download.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_name

from ol_notebook.index import IndexConfig
from ol_notebook.index.origins import artifact_url_problem

PAGE_LIMIT = 32 << 20  # bytes of one project page we read at most
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json", "application/json")


class PageError(Exception):
    """The page could not be read or does not list the file; the message says which and why."""


def project_page(index_url: str, name: str) -> str:
    """The simple-API page of project `name` under the simple root `index_url`."""
    return index_url.rstrip("/") + "/" + canonicalize_name(name) + "/"


def find_file(source: IndexConfig, page: str, filename: str, sha256: str) -> str:
    """The URL `page` gives for `filename` with that sha256 (a page without hashes is trusted for the
    name: the download checks the hash), after checking page and file belong to `source`."""
    if problem := artifact_url_problem(source, page):
        raise PageError(f"{page} is not a page of {source.describe()}: {problem}")
    content_type, body = _read(page)
    files = _json_files(body) if content_type.startswith(_JSON_TYPES) else _html_files(body.decode(errors="replace"))
    for listed, href, listed_hash in files:
        if listed == filename and listed_hash in (None, sha256):
            url = urldefrag(urljoin(page, href)).url
            if problem := artifact_url_problem(source, url):
                raise PageError(f"{page} lists {filename} at {url}, outside {source.describe()}: {problem}")
            return url
    same_name = any(listed == filename for listed, _, _ in files)
    raise PageError(f"{page} lists {filename} with another sha256" if same_name else f"{page} does not list {filename}")


def _read(page: str) -> tuple[str, bytes]:
    """(content type, body) of an http(s) page or of a file:// page (a directory's index.html)."""
    parts = urlsplit(page)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
        path = path / "index.html" if path.is_dir() else path
        try:
            with path.open("rb") as handle:
                return "text/html", handle.read(PAGE_LIMIT)
        except FileNotFoundError:
            raise PageError(f"there is no page {page}") from None
        except OSError as error:
            raise PageError(f"cannot read {page}: {error.strerror}") from None
    request = urllib.request.Request(page, headers={"Accept": _ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.headers.get("Content-Type", "text/html"), response.read(PAGE_LIMIT)
    except urllib.error.HTTPError as error:
        raise PageError(f"reading {page} failed: HTTP {error.code} {error.reason}") from None
    except (OSError, ValueError) as error:
        raise PageError(f"reading {page} failed: {getattr(error, 'reason', None) or error}") from None


def _json_files(body: bytes) -> list[tuple[str, str, str | None]]:
    try:
        files = json.loads(body)["files"]
        return [(entry["filename"], entry["url"], (entry.get("hashes") or {}).get("sha256")) for entry in files]
    except (ValueError, KeyError, TypeError) as error:
        raise PageError(f"the page is not PEP 691 JSON: {error}") from None


def _html_files(text: str) -> list[tuple[str, str, str | None]]:
    parser = _Anchors()
    parser.feed(text)
    found = []
    for href, label in parser.anchors:
        fragment = urldefrag(href).fragment
        digest = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        filename = label.strip() or unquote(urldefrag(href).url.rsplit("/", 1)[-1])
        found.append((filename, href, digest))
    return found


class _Anchors(HTMLParser):
    """Every <a href> of a PEP 503 page with its text (which names the file)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, "".join(self._text)))
            self._href = None
