"""POST {base_url}ol/lambdas/NAME/export against pytest-jupyter's server on the platform index: the
archive's bytes as the answer, its summary inside it, and the errors by status."""

from __future__ import annotations

import http.client
import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ol_notebook.api import EXPORT_TARGET_HEADER, EXPORT_WARNINGS_HEADER
from ol_notebook.export.summary import summary_of_archive
from tests.jupyter_fixtures import RunningServer, start_jupyter_server
from tests.security.conftest import ServerAPI

CODE = "import fastmath\n\ndef f(event):\n    return fastmath.add(event['a'], event['b'])\n"


@pytest.fixture(scope="module")
def platform_server(tmp_path_factory, platform_index) -> Iterator[RunningServer]:
    """A `jupyter server` on the platform index for this module (the session's is on the catalogue)."""
    server = start_jupyter_server(tmp_path_factory.mktemp("export-server"), platform_index.url)
    yield server
    server.stop()


@pytest.fixture
def api(platform_server) -> Iterator[ServerAPI]:
    """The server's API; the lambdas a test deployed are removed after it."""
    client = ServerAPI(platform_server)
    before = {item["name"] for item in client.call("GET", "lambdas")[1]["lambdas"]}
    yield client
    for item in client.call("GET", "lambdas")[1]["lambdas"]:
        if item["name"] not in before:
            assert client.call("DELETE", f"lambdas/{item['name']}")[0] == 204


def fetch(server: RunningServer, path: str, body: object, token: str | None = "") -> http.client.HTTPResponse:
    """POST `body` as JSON to `{base_url}ol/<path>`; token "" is the server's, None none. The response is read."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    headers = {} if token is None else {"Authorization": f"token {token or server.token}"}
    try:
        connection.request("POST", f"{parts.path}ol/{path}", json.dumps(body), headers)
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        return response
    finally:
        connection.close()


def deploy(api: ServerAPI, name: str, requirements: str, code: str = CODE) -> None:
    status, body = api.call("PUT", f"lambdas/{name}", {"code": code, "requirements": requirements})
    assert status == 200, body


def export(api: ServerAPI, name: str, **fields: object) -> http.client.HTTPResponse:
    return fetch(api.server, f"lambdas/{name}/export", fields)


def test_the_answer_is_the_zip_with_its_target_and_no_warnings(api, tmp_path):
    deploy(api, "calc", "fastmath\narmdep")
    response = export(api, "calc", to="aws-lambda", arch="arm64", python="3.13")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="calc.zip"'
    assert response.headers[EXPORT_TARGET_HEADER] == "AWS Lambda python3.13 arm64 (manylinux_2_34_aarch64)"
    assert json.loads(response.headers[EXPORT_WARNINGS_HEADER]) == []
    archive = tmp_path / "calc.zip"
    archive.write_bytes(response.body)
    packages = {package.name: package for package in summary_of_archive(archive)}
    assert set(packages) == {"fastmath", "armdep", "armonly", "plainpy"}
    assert packages["fastmath"].tags == "cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64"
    assert "lambda_function.py" in zipfile.ZipFile(io.BytesIO(response.body)).namelist()


def test_a_layer_is_a_second_part_of_the_same_export(api):
    deploy(api, "calc", "fastmath")
    function = export(api, "calc", to="aws-lambda", layer=True, part="function")
    layer = export(api, "calc", to="aws-lambda", layer=True, part="layer")
    assert function.status == layer.status == 200
    assert layer.headers["Content-Disposition"] == 'attachment; filename="calc-layer.zip"'
    assert not any(name.startswith("fastmath") for name in zipfile.ZipFile(io.BytesIO(function.body)).namelist())
    assert "python/fastmath.cpython-312-x86_64-linux-gnu.so" in zipfile.ZipFile(io.BytesIO(layer.body)).namelist()


def test_an_openlambda_export_is_a_gzipped_tarball_of_a_kept_version(api):
    deploy(api, "calc", "puresdist", "import puresdist\n\ndef f(event):\n    return 1\n")
    deploy(api, "calc", "fastmath")
    response = export(api, "calc", to="openlambda", version=1)
    assert response.status == 200 and response.headers["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.body)) as tar:
        requirements = tar.extractfile("requirements.in").read().decode()
    assert "puresdist" in requirements and "fastmath" not in requirements


def test_errors_have_their_status_and_name_what_is_wrong(api):
    status, body = api.call("POST", "lambdas/nope/export", {"to": "aws-lambda"})
    assert status == 404 and body["error"]["type"] == "RegistryError"
    deploy(api, "cc", "needscc", "def f(event):\n    return 1\n")
    status, body = api.call("POST", "lambdas/cc/export", {"to": "aws-lambda", "arch": "arm64"})
    assert status == 422 and body["error"]["type"] == "MissingPackages"
    assert [item["name"] for item in body["error"]["details"]["missing"]] == ["needscc"]
    assert body["error"]["details"]["missing"][0]["hint"]
    status, body = api.call("POST", "lambdas/cc/export", {"to": "aws-lambda", "version": 9})
    assert status == 404 and "has no version 9" in body["error"]["message"]
