"""The API as served matches openapi.yaml, and every route refuses requests without a valid token."""

from __future__ import annotations

import contextlib
import os
import urllib.request
from pathlib import Path

import pytest
import yaml
from tornado.simple_httpclient import HTTPTimeoutError

from ol_notebook.api import SERVER_TOKEN_ENV, SERVER_URL_ENV
from ol_notebook.server import app as server_app
from ol_notebook.server.handlers import ROUTES

OPENAPI = Path(server_app.__file__).with_name("openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch")


def documented() -> dict[str, set[str]]:
    spec = yaml.safe_load(OPENAPI.read_text())
    return {path: {method for method in item if method in METHODS} for path, item in spec["paths"].items()}


def served() -> dict[str, set[str]]:
    return {path: {method for method in METHODS if method in vars(handler)} for path, handler in ROUTES}


def test_routes_and_methods_match_the_openapi_file():
    assert served() == documented()


ENDPOINTS = sorted((method.upper(), path.replace("{name}", "demo")) for path, methods in documented().items()
                   for method in methods)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_every_route_refuses_a_request_without_a_valid_token(api, method, path):
    def status(token: str | None) -> int:
        """From the status line, so a stream (events) that never ends still answers."""
        headers: list[str] = []
        with contextlib.suppress(HTTPTimeoutError):
            api.raw(method, "ol" + path, b"{}" if method in ("POST", "PUT") else None, token=token,
                    header_callback=headers.append, request_timeout=3)
        return int(headers[0].split()[1])

    assert status(None) == 403
    assert status("not-the-token") == 403
    assert status("") in (200, 204, 400, 404)  # this server's token: past authentication, to the handler


def test_routes_live_under_the_base_url_only(api):
    assert api.serverapp.base_url == "/a%40b/"
    assert api.call("GET", "version")[0] == 200
    outside = api.client.fetch(f"http://127.0.0.1:{api.serverapp.port}/ol/version", raise_error=False,
                               headers={"Authorization": f"token {api.token}"})
    assert api.loop.run_until_complete(outside).code == 404


def test_the_extension_is_configured_by_traits(api, tmp_path, local_index):
    status, info = api.call("GET", "version")
    assert status == 200
    assert info["store"] == str(tmp_path / "store") and info["registry"] == str(tmp_path / "lambdas")
    assert local_index.url in info["index"] and info["runtime"].startswith("cp311-")


def test_kernels_inherit_a_url_and_token_that_reach_the_api(api):
    url, token = os.environ[SERVER_URL_ENV], os.environ[SERVER_TOKEN_ENV]
    assert url == f"http://127.0.0.1:{api.serverapp.port}/a%40b/" and token == api.token
    request = urllib.request.Request(url + "ol/version", headers={"Authorization": f"token {token}"})

    def plain_client() -> int:  # as a kernel would call, from another thread while the server's loop runs
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    assert api.loop.run_until_complete(api.loop.run_in_executor(None, plain_client)) == 200
