"""Fixtures for the attack tests: the runtime tests' real sandboxes (`sandbox`, `engine`,
`make_lambda`), and `server_api`, requests to the session's real `jupyter server` process
(`jupyter_server_url`) that report every status instead of raising.

A module that defines a fixture of the same name keeps its own.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.jupyter_fixtures import RunningServer
from tests.runtime.conftest import engine, make_lambda, sandbox  # noqa: F401  (fixtures, re-exported)


class ServerAPI:
    """`call` sends one request to `{base_url}ol/<path>` with the server's token; a raw `body`
    (bytes or str) goes as it is, `data` as JSON. Each call has its own connection, so threads
    can call at once."""

    def __init__(self, server: RunningServer):
        self.server = server
        parts = urlsplit(server.url)
        self._host, self._port, self._prefix = parts.hostname, parts.port, parts.path + "ol/"

    def call(self, method: str, path: str, data: Any = None, body: bytes | str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """(status, the decoded JSON answer, or its text if it is not JSON)."""
        status, text = self.raw(method, path, json.dumps(data) if body is None and data is not None else body,
                                headers)
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def raw(self, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
        try:
            connection.request(method, self._prefix + path, body=body,
                               headers={"Authorization": f"token {self.server.token}", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()


@pytest.fixture
def server_api(jupyter_server_url: RunningServer) -> ServerAPI:
    return ServerAPI(jupyter_server_url)
