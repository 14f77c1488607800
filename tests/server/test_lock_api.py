"""`GET lambdas/NAME/lock[?version=N]` and `POST lock`: PEP 751 locks as application/toml, and
errors that name the lambda, the version, or the package that cannot be locked."""

from __future__ import annotations

import json
import tomllib

from tests.server.test_lambdas_api import deploy

CODE = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


def pinned(text: str) -> dict[str, str]:
    return {package["name"]: package["version"] for package in tomllib.loads(text)["packages"]}


def test_a_lambda_s_lock_is_toml_for_each_kept_version(api):
    deploy(api, "show", CODE, "alpha==1.0")
    deploy(api, "show", CODE, "alpha==2.0")
    response = api.raw("GET", "ol/lambdas/show/lock")
    assert response.code == 200 and response.headers["Content-Type"] == "application/toml"
    assert pinned(response.body.decode()) == {"alpha": "2.0", "beta": "1.5"}
    old = api.raw("GET", "ol/lambdas/show/lock?version=1")
    assert old.code == 200 and pinned(old.body.decode()) == {"alpha": "1.0"}


def test_an_unknown_lambda_or_version_is_a_404_naming_it(api):
    deploy(api, "show", CODE, "alpha==1.0")
    assert api.call("GET", "lambdas/show/lock?version=4") == (404, {"error": {
        "type": "RegistryError", "message": "lambda 'show' has no version 4 (kept: 1)", "details": {}}})
    status, body = api.call("GET", "lambdas/nope/lock")
    assert status == 404 and "there is no lambda named 'nope'" in body["error"]["message"]
    status, body = api.call("GET", "lambdas/show/lock?version=latest")
    assert status == 400 and "'version' must be a version number, not 'latest'" in body["error"]["message"]


def test_requirements_are_locked_and_what_cannot_be_locked_says_why(api, local_index):
    response = api.raw("POST", "ol/lock", json.dumps({"requirements": "py-widget\nalpha<2"}))
    assert response.code == 200 and response.headers["Content-Type"] == "application/toml"
    data = tomllib.loads(response.body.decode())
    assert pinned(response.body.decode()) == {"alpha": "1.1", "py-widget": "1.0"}
    assert data["packages"][1]["index"] == local_index.url
    assert data["packages"][1]["tool"]["ol-notebook"]["import-names"] == ["widget_helpers", "widgetlib"]
    status, body = api.call("POST", "lock", {"requirements": "alpha @ https://example.invalid/a-1.0.tar.gz"})
    assert status == 422 and body["error"]["type"] == "LockError"
    assert body["error"]["message"].startswith("alpha cannot be locked: alpha @ https://example.invalid/")
    assert api.call("POST", "lock", {})[0] == 400
