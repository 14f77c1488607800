"""A lock sent as text: POST pull {"lock"} and PUT lambdas/NAME {"lock"} install it without resolving."""

from __future__ import annotations

from tests.lock.makers import pip_lock, uv_lock

CODE = "import alpha, beta\n\ndef f(event):\n    return [alpha.__version__, beta.__version__]\n"


def test_pull_a_lock(api, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock").read_text()
    status, pulled = api.call("POST", "pull", {"lock": lock, "root": "locked"})
    assert status == 200, pulled
    assert sorted(pulled["installed"]) == ["alpha==2.0", "beta==1.5"]
    assert pulled["closure"]["requirements"] == ["alpha==2.0", "beta==1.5"]
    status, error = api.call("POST", "pull", {"lock": lock, "requirements": "delta"})
    assert status == 400 and "'lock' installs exactly the lock's packages" in error["error"]["message"]
    status, error = api.call("POST", "pull", {"lock": "lock-version = "})
    assert status == 422 and error["error"]["type"] == "LockError"
    assert "the lock in the request's 'lock' is not valid TOML" in error["error"]["message"]


def test_deploy_from_a_pip_lock_records_its_packages(api, local_index, tmp_path):
    lock = pip_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock").read_text()
    status, deployed = api.call("PUT", "lambdas/locked", {"code": CODE, "lock": lock})
    assert status == 200, deployed
    assert deployed["requirements"] == "alpha==2.0\nbeta==1.5" and deployed["pins"] == ["alpha==2.0", "beta==1.5"]
    assert api.call("POST", "run/locked") == (200, ["2.0", "1.5"])
    status, again = api.call("PUT", "lambdas/locked", {"code": CODE, "lock": lock})
    assert status == 200 and again["unchanged"]
    status, error = api.call("PUT", "lambdas/locked", {"code": CODE, "lock": lock, "requirements": "delta"})
    assert status == 400 and "send no 'requirements' or 'closure'" in error["error"]["message"]
