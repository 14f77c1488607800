"""Hostile requests to POST {base_url}ol/lambdas/NAME/export: no token, fields of the wrong type or with
huge or odd values (a path where a choice is expected, a server path the client must not name), and
what the answer may hold: only the export's own archive, from a directory that is gone afterwards."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.export.test_rest_export import fetch
from tests.security.conftest import ServerAPI

ECHO = "def f(event):\n    return event\n"
HUGE = "3." + "1" * 1_000_000


@pytest.fixture
def echo(server_api: ServerAPI) -> Iterator[str]:
    """A lambda with no packages on the session's server, removed after the test."""
    status, answer = server_api.call("PUT", "lambdas/export-echo", {"code": ECHO})
    assert status == 200, answer
    yield "export-echo"
    assert server_api.call("DELETE", "lambdas/export-echo")[0] == 204


def export(server_api: ServerAPI, name: str, body: object, token: str | None = ""):
    return fetch(server_api.server, f"lambdas/{name}/export", body, token)


def test_an_export_without_a_valid_token_is_refused(server_api, echo):
    for token in (None, "not-the-token"):
        response = export(server_api, echo, {"to": "aws-lambda"}, token=token)
        assert response.status == 403 and b"PK" not in response.body


@pytest.mark.parametrize(("body", "named"), [
    ({}, "'to'"),
    ({"to": ["aws-lambda"]}, "'to'"),
    ({"to": "aws-lambda/../../etc"}, "'to'"),
    ({"to": "aws-lambda", "arch": "../../etc/passwd"}, "'arch'"),
    ({"to": "aws-lambda", "arch": 64}, "'arch'"),
    ({"to": "aws-lambda", "python": HUGE}, "'python'"),
    ({"to": "aws-lambda", "python": "3.12/../../x"}, "'python'"),
    ({"to": "aws-lambda", "python": 3.12}, "'python'"),
    ({"to": "aws-lambda", "python": "3.8"}, "python3.8"),
    ({"to": "aws-lambda", "layer": "yes"}, "'layer'"),
    ({"to": "aws-lambda", "part": "/etc/passwd"}, "'part'"),
    ({"to": "aws-lambda", "part": "layer"}, "'part'"),
    ({"to": "aws-lambda", "version": 10**30}, "'version'"),
    ({"to": "aws-lambda", "version": True}, "'version'"),
    ({"to": "aws-lambda", "version": -1}, "'version'"),
    ({"to": "aws-lambda", "out_dir": "/etc"}, "'out_dir'"),
    ({"to": "openlambda", "layer": True}, "layer is for AWS Lambda"),
    ({"to": "openlambda", "arch": "arm64"}, "arch 'arm64' is for AWS Lambda"),
])
def test_a_bad_field_is_a_400_naming_it(server_api, echo, body, named):
    response = export(server_api, echo, body)
    answer = json.loads(response.body)
    assert response.status == 400 and answer["error"]["type"] == "BadRequest", answer
    assert named in answer["error"]["message"]
    assert len(response.body) < 1000  # a huge value is not echoed back


@pytest.mark.parametrize("name", ["..", "..%2F..%2Fetc", "%2Fetc%2Fpasswd", "echo%00"])
def test_a_path_for_a_name_answers_an_error_not_a_file(server_api, echo, name):
    response = export(server_api, name, {"to": "aws-lambda"})
    assert response.status in (400, 404) and "error" in json.loads(response.body)


def test_the_answer_holds_the_export_only_and_its_directory_is_removed(server_api, echo):
    before = set(Path(tempfile.gettempdir()).glob("ol-export-*"))  # the server's temporary directory is this one
    response = export(server_api, echo, {"to": "aws-lambda"})
    assert response.status == 200, response.body[:500]
    assert response.headers["Content-Disposition"] == f'attachment; filename="{echo}.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.body)).namelist()
    assert "lambda_function.py" in names and "pylock.toml" in names
    assert all(not name.startswith(("/", "..")) and "/../" not in name for name in names)
    assert not any(name.endswith(".zip") or name.startswith(("store/", "lambdas/")) for name in names)
    assert set(Path(tempfile.gettempdir()).glob("ol-export-*")) <= before
