"""Which artifact URLs belong to the configured index or mirror, and so may be downloaded.

A closure can come from outside (a lock file, a REST client's hand-made JSON), and downloads
run in the host process, outside any sandbox. Without this check a closure could name
`file:///etc/shadow` or a service on the host's loopback, and the error (or the store) would
tell its content, or its sha256. So only files of the source packages come from are fetched:

- the default index (PyPI): https://pypi.org and https://files.pythonhosted.org;
- an index URL: its own scheme, host and port (plus PyPI's file host when it is PyPI's own);
- a mirror directory, or a file:// index URL: file:// paths inside that directory.

Redirects a server of the index answers with are followed as the index says: it is trusted.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from ol_notebook.index.config import DEFAULT_PORTS, IndexConfig

PYPI_ORIGINS = (("https", "pypi.org", 443), ("https", "files.pythonhosted.org", 443))
_FILE_HOSTS = {"pypi.org": "files.pythonhosted.org", "test.pypi.org": "test-files.pythonhosted.org"}

Origin = tuple[str, str, int]


def artifact_url_problem(index: IndexConfig, url: str) -> str | None:
    """Why `url` is not a file of `index` (a sentence naming what is allowed), or None when it is."""
    if index.kind in ("bandersnatch", "flat"):
        return _outside(url, index.location, index)
    parsed = urlsplit(index.location) if index.kind == "url" else None
    if parsed is not None and parsed.scheme == "file":
        return _outside(url, os.path.dirname(unquote(parsed.path).rstrip("/")), index)
    allowed = _http_origins(index)
    if _origin(url) in allowed:
        return None
    named = " and ".join(f"{scheme}://{host}:{port}" for scheme, host, port in allowed)
    return f"only files served by {named} are downloaded from {index.describe()}"


def _http_origins(index: IndexConfig) -> tuple[Origin, ...]:
    if index.kind == "default":
        return PYPI_ORIGINS
    origin = _origin(index.location)
    assert origin is not None, index.location  # IndexConfig checked it is an http(s) URL
    scheme, host, port = origin
    files_host = _FILE_HOSTS.get(host)
    return (origin, (scheme, files_host, port)) if files_host else (origin,)


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, or None for anything else (or a bad port)."""
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname:
        return None
    return parsed.scheme, parsed.hostname.lower(), port or DEFAULT_PORTS[parsed.scheme]


def _outside(url: str, root: str, index: IndexConfig) -> str | None:
    """None when `url` is a file:// URL of a path inside `root` (by its normalized path)."""
    parsed = urlsplit(url)
    path = os.path.normpath(unquote(parsed.path)) if parsed.scheme == "file" else ""
    root = os.path.normpath(root)
    if parsed.netloc in ("", "localhost") and path.startswith("/") and os.path.commonpath([path, root]) == root:
        return None
    return f"only file:// paths inside {root} are read from {index.describe()}"
