"""A PEP 503/691 index over real HTTP, serving a flat directory of distributions.

Tests talk to it exactly as uv talks to PyPI (HTTP, content negotiation, PEP 658 metadata files), and a
benchmark can point it at a directory of real wheels.  Pages are generated at request time, so files added
to the directory later appear; every requested path is recorded for assertions.
"""

from __future__ import annotations

import functools
import json
import shutil
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import canonicalize_name

from .distfiles import DistDirectory, DistFile
from .pages import JSON_TYPE, index_html, index_json, prefers_json, project_html, project_json

_PAGE_CACHING = "max-age=0, must-revalidate"  # the directory may change between requests
_FILE_CACHING = "max-age=31536000, immutable"


class IndexServer:
    """Serve ``files_dir`` at ``url`` (``/simple/``) and ``files_url`` (``/files/``) from a daemon thread.

    ``core_metadata=False`` stops advertising and serving PEP 658 ``.metadata`` files, which makes clients
    fall back to downloading wheels (or range requests) to read metadata.
    """

    def __init__(self, files_dir: Path, *, host: str = "127.0.0.1", core_metadata: bool = True) -> None:
        self.files_dir = Path(files_dir)
        self.host = host
        self.core_metadata = core_metadata
        self.dists = DistDirectory(self.files_dir)
        self.requests: list[str] = []
        self._requests_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeError("IndexServer is not started")
        return self.host, self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}/"

    @property
    def url(self) -> str:
        return self.base_url + "simple/"

    @property
    def files_url(self) -> str:
        return self.base_url + "files/"

    def file_url(self, dist: DistFile) -> str:
        return self.files_url + quote(dist.filename)

    def record(self, path: str) -> None:
        with self._requests_lock:
            self.requests.append(path)

    def start(self) -> IndexServer:
        self._httpd = _HTTPServer((self.host, 0), _Handler, self)
        # A short poll interval keeps stop() (and so every test using a server) from waiting half a second.
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, name="localindex", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # uv opens many connections at once; the default backlog of 5 resets some

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], index: IndexServer) -> None:
        self.index = index
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as uv expects from a real index

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log on stderr; ``IndexServer.requests`` records paths instead."""

    def do_GET(self) -> None:
        self._dispatch(with_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(with_body=False)

    def _dispatch(self, *, with_body: bool) -> None:
        index = self.server.index
        path = urlsplit(self.path).path
        index.record(path)
        if path in ("/", "/simple"):
            return self._redirect("/simple/")
        if path == "/simple/":
            return self._root(with_body)
        if path.startswith("/simple/"):
            name = unquote(path.removeprefix("/simple/")).rstrip("/")
            if "/" in name or not name:
                return self.send_error(HTTPStatus.NOT_FOUND)
            if name != canonicalize_name(name) or not path.endswith("/"):
                return self._redirect(f"/simple/{canonicalize_name(name)}/")
            files = index.dists.files(name)
            return self._project(name, files, with_body) if files else self.send_error(HTTPStatus.NOT_FOUND)
        if path.startswith("/files/"):
            return self._file(unquote(path.removeprefix("/files/")), with_body)
        return self.send_error(HTTPStatus.NOT_FOUND)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _root(self, with_body: bool) -> None:
        projects = list(self.server.index.dists.projects())
        self._negotiated(lambda: index_json(projects), lambda: index_html(projects), with_body)

    def _project(self, project: str, files: list[DistFile], with_body: bool) -> None:
        index = self.server.index
        options = {"href": index.file_url, "core_metadata": index.core_metadata}
        self._negotiated(
            lambda: project_json(project, files, **options), lambda: project_html(project, files, **options), with_body
        )

    def _negotiated(self, as_json: Callable[[], dict], as_html: Callable[[], str], with_body: bool) -> None:
        """Answer with JSON or HTML, whichever the client's Accept header prefers (PEP 691)."""
        if prefers_json(self.headers.get("Accept")):
            content_type, body = JSON_TYPE, json.dumps(as_json()).encode()
        else:
            content_type, body = "text/html; charset=utf-8", as_html().encode()
        self._send(content_type, body, _PAGE_CACHING, with_body)

    def _file(self, filename: str, with_body: bool) -> None:
        index = self.server.index
        metadata_of = filename.removesuffix(".metadata") if filename.endswith(".metadata") else None
        try:
            dist = index.dists.file(metadata_of or filename)
        except (OSError, ValueError):
            return self.send_error(HTTPStatus.NOT_FOUND)
        if metadata_of is not None:
            if not index.core_metadata or dist.core_metadata is None:
                return self.send_error(HTTPStatus.NOT_FOUND)
            return self._send("text/plain; charset=utf-8", dist.core_metadata, _FILE_CACHING, with_body)
        self._headers("application/octet-stream", dist.size, _FILE_CACHING)
        if with_body:
            with dist.path.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)
        return None

    def _send(self, content_type: str, body: bytes, caching: str, with_body: bool) -> None:
        self._headers(content_type, len(body), caching)
        if with_body:
            self.wfile.write(body)

    def _headers(self, content_type: str, length: int, caching: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", caching)
        self.end_headers()
