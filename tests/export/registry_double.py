"""A stand-in OpenLambda registry on 127.0.0.1, for the upload tests (a test double, not product).

It answers what OpenLambda's boss and worker answer to `ol admin install` (go/admin/commands.go):
`POST /registry/NAME` with the tarball as the body stores it and says 201 Created. `answer_next`
makes it answer something else once (a 500 with a message, a 200 where 201 is due), so the tests
see how every failure reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Upload:
    name: str
    content_type: str
    body: bytes


@dataclass
class RegistryDouble:
    uploads: list[Upload] = field(default_factory=list)
    _answers: list[tuple[int, bytes]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer_next(self, status: int, body: bytes = b"") -> None:
        """The next upload gets `status` and `body` instead of 201."""
        self._answers.append((status, body))

    def __enter__(self) -> RegistryDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.removeprefix("/registry/")
                if not self.path.startswith("/registry/") or not name or "/" in name:
                    return self._reply(404, b"no such route\n")
                if double._answers:
                    return self._reply(*double._answers.pop(0))
                double.uploads.append(Upload(name, self.headers.get("Content-Type", ""), body))
                return self._reply(201, b"")

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
