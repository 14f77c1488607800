"""The Worker end to end: deploy compiles and pulls, invoke runs in a real lambda sandbox."""

import asyncio

import pytest

from ol_notebook.registry import InvalidLambda, LambdaSettings, RegistryError
from ol_notebook.resolve import PackageNotFound
from ol_notebook.runtime import LambdaError, LambdaStartError
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker
from tests.engine import run_scenario as run

SHOW_ALPHA = """import alpha

def f(event):
    print('hello', event)
    return {'alpha': alpha.__version__, 'event': event}
"""


@pytest.fixture
def worker(tmp_path, http_index):
    return Worker(Settings(store_dir=tmp_path / "store", registry_dir=tmp_path / "lambdas", index=http_index))




def test_deploy_then_invoke_sees_its_pinned_package(worker):
    async def scenario(w):
        version = await w.deploy("show", SHOW_ALPHA, "alpha==1.1\n")
        assert version.number == 1 and [p.key for p in version.closure.pins] == ["alpha==1.1"]
        result = await w.invoke("show", {"n": 1})
        assert result.value == {"alpha": "1.1", "event": {"n": 1}} and result.stdout == "hello {'n': 1}\n"
        again = await w.invoke("show", {"n": 2})
        assert result.cold and not again.cold
        return w.logs("show")

    logs = run(worker, scenario)
    assert [(log.ok, log.cold, log.version) for log in logs] == [(True, True, 1), (True, False, 1)]


def test_two_lambdas_with_two_versions_of_one_package_side_by_side(worker):
    async def scenario(w):
        await w.deploy("old", SHOW_ALPHA, "alpha==1.0")
        await w.deploy("new", SHOW_ALPHA, "alpha==2.0")  # pulls beta too
        results = await asyncio.gather(w.invoke("old", 1), w.invoke("new", 2))
        return [r.value["alpha"] for r in results], {item["name"]: item["pins"] for item in w.lambdas()}

    versions, pins = run(worker, scenario)
    assert versions == ["1.0", "2.0"]
    assert pins == {"new": ["alpha==2.0", "beta==1.5"], "old": ["alpha==1.0"]}


def test_redeploy_serves_the_new_code_and_a_failed_deploy_changes_nothing(worker):
    async def scenario(w):
        await w.deploy("calc", "def f(event):\n    return event + 1\n")
        assert (await w.invoke("calc", 1)).value == 2
        await w.deploy("calc", "def f(event):\n    return event * 10\n")
        assert (await w.invoke("calc", 1)).value == 10
        with pytest.raises(PackageNotFound, match="no-such-package"):
            await w.deploy("calc", "def f(event):\n    return 0\n", "no-such-package")
        with pytest.raises(InvalidLambda, match="syntax error at line 2"):
            await w.deploy("calc", "def f(event):\n    return (\n")
        assert (await w.invoke("calc", 1)).value == 10
        assert [v.number for v in w.registry.history("calc")] == [1, 2]
        await w.rollback("calc")
        assert (await w.invoke("calc", 1)).value == 2

    run(worker, scenario)


def test_handler_errors_reach_the_caller_and_the_log(worker):
    async def scenario(w):
        await w.deploy("boom", "def f(event):\n    raise ValueError(f'bad event {event}')\n")
        with pytest.raises(LambdaError) as caught:
            await w.invoke("boom", 7)
        assert caught.value.type == "ValueError" and "bad event 7" in caught.value.message
        assert 'line 2, in f' in caught.value.traceback
        return w.logs("boom")

    (log,) = run(worker, scenario)
    assert not log.ok and "bad event 7" in log.error


def test_remove_forgets_the_lambda_and_releases_its_packages(worker):
    async def scenario(w):
        await w.deploy("gone", SHOW_ALPHA, "alpha==1.0", LambdaSettings(timeout=5))
        await w.invoke("gone", {})
        await w.remove("gone")
        with pytest.raises(RegistryError, match="there is no lambda named 'gone'"):
            await w.invoke("gone", {})
        return w.packages.gc(delete=True)

    assert run(worker, scenario).removed == ["alpha==1.0"]


def test_deploy_imports_the_handler_first_and_keeps_the_old_version_when_that_fails(worker):
    async def scenario(w):
        await w.deploy("imp", SHOW_ALPHA, "alpha==1.1")
        assert w.lambdas()[0]["state"] == "warm"  # started at deploy: the first call is warm
        with pytest.raises(LambdaStartError) as failed:
            await w.deploy("imp", "import not_installed_anywhere\n\ndef f(event):\n    return 1\n", "")
        result = await w.invoke("imp", 7)
        return failed.value, result, w.describe("imp")

    error, result, described = run(worker, scenario)
    assert "not_installed_anywhere" in error.traceback and "ModuleNotFoundError" in error.traceback
    assert result.value["alpha"] == "1.1" and described["version"] == 1
    assert [old["version"] for old in described["history"]] == [1] and "import alpha" in described["code"]
