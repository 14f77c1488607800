"""A real Jupyter server (pytest-jupyter) with the ol-notebook extension, on the local index.

pytest-jupyter's fixtures (and its autouse event loop) are imported here, not registered
for the whole suite, so only the server tests run inside its loop. Tests stay synchronous:
`api` runs each request to completion on that loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from traitlets.config import Config

from tests.engine import TEST_LIMITS_TIMEOUT


@pytest.fixture
def jp_server_config(tmp_path, local_index) -> Config:
    return Config({
        "ServerApp": {
            "jpserver_extensions": {"ol_notebook.server": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
        },
        "OLNotebookApp": {
            "store_dir": str(tmp_path / "store"),
            "registry_dir": str(tmp_path / "lambdas"),
            "index_url": local_index.url,
            "install_timeout": TEST_LIMITS_TIMEOUT,
        },
    })


class API:
    """Requests to `{base_url}ol/...` of the test server, run to completion; never raises on a status."""

    def __init__(self, loop, serverapp, base_url: str, token: str):
        self.loop, self.serverapp, self.token = loop, serverapp, token
        self.root = f"http://127.0.0.1:{serverapp.port}{base_url}"
        self.client = AsyncHTTPClient(force_instance=True)

    def raw(self, method: str, path: str, body: bytes | str | None = None, token: str | None = "",
            **kwargs: Any) -> HTTPResponse:
        """`path` is below the base URL; token "" means this server's, None means none."""
        return self.loop.run_until_complete(self._fetch(method, path, body, token, **kwargs))

    def call(self, method: str, path: str, data: Any = None, **kwargs: Any) -> tuple[int, Any]:
        """A JSON request to `ol/<path>`: (status, decoded JSON body or None)."""
        return self.loop.run_until_complete(self._call(method, path, data, **kwargs))

    def concurrently(self, *calls: tuple[str, str, Any]) -> list[tuple[int, Any]]:
        """Several `call`s at once, each a (method, path, data) triple; results in order."""
        return self.loop.run_until_complete(asyncio.gather(*(self._call(*call) for call in calls)))

    def events_during(self, request: Callable[[], Awaitable[Any]],
                      until: Callable[[Any, list[dict]], bool]) -> tuple[Any, list[dict]]:
        """Subscribe to `ol/events`, then await `request()` and collect the events the stream sends
        until `until(what the request returned, the events)` holds: (what it returned, the events)."""

        async def scenario() -> tuple[Any, list[dict]]:
            chunks: list[bytes] = []
            stream = asyncio.ensure_future(self._fetch("GET", "ol/events", streaming_callback=chunks.append,
                                                       request_timeout=60))
            while not chunks:  # subscribed: the stream has sent its first comment
                await asyncio.sleep(0.01)
            result = await request()
            while not until(result, events := _server_sent(b"".join(chunks))):
                await asyncio.sleep(0.01)
            stream.cancel()
            return result, events

        return self.loop.run_until_complete(scenario())

    async def _call(self, method: str, path: str, data: Any = None, **kwargs: Any) -> tuple[int, Any]:
        body = None if data is None else json.dumps(data)
        response = await self._fetch(method, "ol/" + path, body, **kwargs)
        text = response.body.decode() if response.body else ""
        return response.code, json.loads(text) if text else None

    async def _fetch(self, method: str, path: str, body: bytes | str | None = None, token: str | None = "",
                     headers: dict[str, str] | None = None, **kwargs: Any) -> HTTPResponse:
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"token {token or self.token}"
        if body is None and method in ("POST", "PUT"):
            body = b""
        kwargs.setdefault("request_timeout", 120)
        return await self.client.fetch(self.root + path, method=method, body=body, headers=headers,
                                       raise_error=False, allow_nonstandard_methods=True, **kwargs)


def _server_sent(stream: bytes) -> list[dict]:
    return [json.loads(part[len("data: "):]) for part in stream.decode().split("\n\n") if part.startswith("data: ")]


@pytest.fixture
def api(jp_serverapp, http_server, jp_asyncio_loop, jp_base_url) -> API:
    """The API of a server listening on loopback (`http_server` binds jp_serverapp's app to its port)."""
    client = API(jp_asyncio_loop, jp_serverapp, jp_base_url, jp_serverapp.identity_provider.token)
    # `jupyter server` runs the extensions' start hooks once its loop runs; pytest-jupyter never does.
    jp_asyncio_loop.run_until_complete(jp_serverapp.extension_manager.start_all_extensions())
    yield client
    client.client.close()
