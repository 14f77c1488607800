"""`ol-notebook pull --lock` and `deploy --lock`, run as a user would, with locks made by real uv and pip."""

import json

from tests.lock.makers import load, package, pip_lock, save, uv_lock


def test_pull_lock_installs_a_uv_lock_without_resolving(run, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==2.0", "py-widget"], tmp_path / "lock")
    pages_before = sum(path.startswith("/simple/") for path in local_index.server.requests)
    err = run("pull", "--lock", str(lock)).stderr
    assert "ok     py-widget==1.0" in err and "3 packages ready" in err and "3 installed" in err
    assert sum(path.startswith("/simple/") for path in local_index.server.requests) == pages_before  # no resolve
    assert "0 installed, 3 already there" in run("pull", "--lock", str(lock)).stderr


def test_pull_lock_says_when_a_dead_url_was_fetched_from_the_index(run, local_index, tmp_path):
    data = load(pip_lock(local_index.url, ["delta"], tmp_path / "lock"))
    delta = package(data, "delta")
    delta["index"] = local_index.url
    delta["wheels"][0]["url"] = delta["wheels"][0]["url"].replace("/files/", "/gone/")
    err = run("pull", "--lock", str(save(data, tmp_path / "dead" / "pylock.toml"))).stderr
    assert "WARNING: delta==1.0: http://" in err and "/gone/delta-1.0-py3-none-any.whl is dead" in err
    assert "1 installed" in err


def test_pull_lock_errors_are_one_clear_line(run, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==1.0"], tmp_path / "lock")
    assert "--lock installs exactly the lock's packages" in run("pull", "--lock", str(lock), "beta", ok=False).stderr
    bad = tmp_path / "requirements.toml"
    bad.write_text(lock.read_text())
    assert f"error: {bad} is not named like a PEP 751 lock" in run("pull", "--lock", str(bad), ok=False).stderr


def test_deploy_lock_records_the_locks_packages_as_requirements(run, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock")
    (tmp_path / "handler.py").write_text("import alpha, beta\n\ndef f(event):\n"
                                         "    return [alpha.__version__, beta.__version__]\n")
    out = run("deploy", "locked", "handler.py", "--lock", str(lock)).stdout
    assert "lambda locked version 1 deployed (alpha==2.0, beta==1.5)" in out
    assert json.loads(run("invoke", "locked").stdout) == ["2.0", "1.5"]
    (described,) = json.loads(run("lambdas", "--json").stdout)
    assert described["requirements"].splitlines() == ["alpha==2.0", "beta==1.5"]
    assert "unchanged, still version 1" in run("deploy", "locked", "handler.py", "--lock", str(lock)).stdout
    refused = run("deploy", "locked", "handler.py", "--lock", str(lock), "--requirements", "delta", ok=False)
    assert "--lock deploys exactly the lock's packages" in refused.stderr
