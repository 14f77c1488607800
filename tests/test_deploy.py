"""Deploys that mean something, on the real engine: a no-op redeploy creates nothing, missing
imports are named (or, opted in, installed), and failed starts say what to add."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.registry import LambdaSettings
from ol_notebook.runtime import LambdaError, LambdaStartError
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker
from tests.engine import run_scenario as run

YAML = "import yaml\n\ndef f(event):\n    return yaml.DIST\n"
LAZY = "def f(event):\n    import yaml\n    return yaml.DIST\n"
# A package that imports yaml only when called: no reading of the cell can see it.
LAZY_PACKAGE = "import lazyyaml\n\ndef f(event):\n    return lazyyaml.load(event)\n"
ALPHA = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"
OLDABI = "import oldabi\n\ndef f(event):\n    return oldabi.DIST\n"
AUTO = LambdaSettings(auto_install=True)


def make_worker(tmp_path: Path, index: IndexConfig) -> Worker:
    return Worker(Settings(store_dir=tmp_path / "store", registry_dir=tmp_path / "lambdas", index=index))


@pytest.fixture
def worker(tmp_path, http_index) -> Worker:
    return make_worker(tmp_path, http_index)




def store_keys(worker: Worker) -> list[str]:
    return [entry.key for entry in worker.package_entries()]


# No-op redeploys


def test_an_unchanged_redeploy_creates_no_version_and_says_so(worker):
    events = []

    async def scenario(w):
        first = await w.deploy("hello", ALPHA, "alpha==1.1\n")
        again = await w.deploy("hello", ALPHA, "alpha==1.1\n", on_event=events.append)
        forced = await w.deploy("hello", ALPHA, "alpha==1.1\n", force=True)
        return first, again, forced, [v.number for v in w.registry.history("hello")]

    first, again, forced, kept = run(worker, scenario)
    assert (first.number, first.unchanged) == (1, False)
    assert (again.number, again.unchanged) == (1, True)
    assert again.summary == "lambda hello unchanged, still version 1"
    assert [(e.kind, e.message) for e in events if e.kind in ("starting", "deployed")] == [
        ("deployed", "unchanged, still version 1")]
    assert (forced.number, forced.unchanged) == (2, False) and kept == [1, 2]


@pytest.mark.parametrize("change", ["code", "requirements", "settings"])
def test_a_change_of_code_requirements_or_settings_deploys_a_new_version(worker, change):
    code, requirements, settings = ALPHA, "alpha==1.1", LambdaSettings()
    changed = {"code": (ALPHA + "# v2\n", requirements, settings),
               "requirements": (code, "alpha==1.0", settings),
               "settings": (code, requirements, LambdaSettings(timeout=5))}[change]

    async def scenario(w):
        await w.deploy("calc", code, requirements, settings)
        return await w.deploy("calc", *changed)

    deployment = run(worker, scenario)
    assert (deployment.number, deployment.unchanged) == (2, False)


def test_new_pins_of_the_same_requirements_deploy_a_new_version(tmp_path, local_index):
    """The index gained alpha 2.0: `alpha` now resolves to it, so the same cell is a new version."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("alpha-1.0-py3-none-any.whl", "alpha-1.1-py3-none-any.whl"):
        shutil.copy(local_index.files_dir / name, flat)

    async def scenario(w):
        first = await w.deploy("latest", ALPHA, "alpha")
        assert (await w.deploy("latest", ALPHA, "alpha")).unchanged
        for name in ("alpha-2.0-py3-none-any.whl", "beta-1.5-py3-none-any.whl"):
            shutil.copy(local_index.files_dir / name, flat)
        second = await w.deploy("latest", ALPHA, "alpha")
        return first, second, (await w.invoke("latest", None)).value

    first, second, served = run(make_worker(tmp_path, IndexConfig.from_options(mirror=str(flat))), scenario)
    assert [p.key for p in first.closure.pins] == ["alpha==1.1"]
    assert (second.number, second.unchanged, [p.key for p in second.closure.pins]) == (
        2, False, ["alpha==2.0", "beta==1.5"])
    assert served == "2.0"


def test_an_unchanged_deploy_does_not_start_a_cold_lambda(tmp_path, http_index):
    run(make_worker(tmp_path, http_index), lambda w: w.deploy("idle", ALPHA, "alpha==1.1"))

    async def scenario(w):  # a new engine on the same registry: the lambda's runtime is cold
        deployment = await w.deploy("idle", ALPHA, "alpha==1.1")
        return deployment, w.describe("idle")

    deployment, described = run(make_worker(tmp_path, http_index), scenario)
    assert deployment.unchanged and (described["state"], described["instances"]) == ("cold", 0)


# Inferred requirements


def test_a_missing_import_is_named_before_the_start_and_in_its_error(worker):
    events = []

    async def scenario(w):
        await w.deploy("reader", YAML, "alpha==1.1", on_event=events.append)

    with pytest.raises(LambdaStartError) as caught:
        run(worker, scenario)
    warnings = [e.message for e in events if e.kind == "warning"]
    assert warnings == ["lambda 'reader' imports yaml (line 1), which none of its packages provides, so it will fail "
                        "when its handler is imported: add PyYAML to its requirements (e.g. %%ol_lambda reader "
                        "--requirements 'alpha==1.1 PyYAML'), or deploy it with --auto-install"]
    kinds = [e.kind for e in events]
    assert kinds.index("warning") < kinds.index("starting")  # said before the lambda starts
    assert "No module named 'yaml'" in str(caught.value)
    assert "Hint: yaml is provided by none of its packages: add PyYAML to its requirements (e.g. %%ol_lambda " \
           "reader --requirements 'alpha==1.1 PyYAML'), or deploy it with --auto-install" in str(caught.value)
    assert store_keys(worker) == ["alpha==1.1"]  # nothing installed without the option


def test_the_store_names_the_distribution_of_an_import_it_has_seen(worker):
    events = []

    async def scenario(w):
        await w.pull(await w.compile("py-widget"))
        await w.deploy("lazy", "def f(event):\n    import widgetlib\n    return 1\n", on_event=events.append)
        return await w.invoke("lazy", None)

    with pytest.raises(LambdaError, match="No module named 'widgetlib'"):
        run(worker, scenario)  # deployed (the import is lazy), then failed when f ran it
    assert [e.message for e in events if e.kind == "warning"] == [
        "lambda 'lazy' imports widgetlib (line 2), which none of its packages provides, so it will fail when f runs "
        "that import: add py-widget to its requirements (e.g. %%ol_lambda lazy --requirements 'py-widget'), or "
        "deploy it with --auto-install"]


def test_standard_library_and_provided_imports_raise_no_warning(worker):
    events = []
    code = "import json, os.path\nfrom nsp.one import DIST\nimport alpha\n\ndef f(event):\n    return DIST\n"

    async def scenario(w):
        await w.deploy("quiet", code, "alpha==1.1\nnsp-one", on_event=events.append)
        return (await w.invoke("quiet", None)).value

    assert run(worker, scenario) == "nsp-one"
    assert [e for e in events if e.kind == "warning"] == []


# Opt-in install


def test_auto_install_adds_compiles_pulls_and_records_the_missing_distribution(worker):
    events = []

    async def scenario(w):
        deployment = await w.deploy("reader", YAML, "alpha==1.1", AUTO, on_event=events.append)
        again = await w.deploy("reader", YAML, "alpha==1.1", AUTO)  # the same cell: still the same version
        return deployment, again, (await w.invoke("reader", None)).value

    deployment, again, served = run(worker, scenario)
    assert deployment.added == ("PyYAML",) and deployment.missing == ()
    assert deployment.summary == "lambda reader version 1 deployed, with PyYAML added for its imports"
    assert deployment.version.requirements == "alpha==1.1\nPyYAML\n"  # so a lock or export is honest
    assert [p.key for p in deployment.closure.pins] == ["alpha==1.1", "pyyaml==6.0.1"]
    assert served == "pyyaml"
    assert again.unchanged and again.number == 1
    assert ("resolving", "with PyYAML added for its imports") in [(e.kind, e.message) for e in events]
    assert not [e for e in events if e.kind == "warning"]
    assert worker.registry.current("reader").settings.auto_install is True


def test_a_lazy_import_is_installed_at_deploy_time_with_auto_install(worker):
    async def scenario(w):
        deployment = await w.deploy("later", LAZY, "", AUTO)
        return deployment, (await w.invoke("later", None)).value

    deployment, served = run(worker, scenario)
    assert deployment.added == ("PyYAML",) and served == "pyyaml"


def test_a_module_imported_only_at_call_time_is_installed_once_and_retried(worker):
    stdlib_only = "def f(event):\n    import json.no_such_module\n"

    async def scenario(w):
        await w.deploy("lazy", LAZY_PACKAGE, "lazyyaml", AUTO)
        retried = await w.invoke("lazy", "a: 1")  # failed in lazyyaml's code, redeployed with PyYAML, called again
        again = await w.invoke("lazy", "a: 1")
        await w.deploy("stdlib", stdlib_only, "", AUTO)
        with pytest.raises(LambdaError) as stdlib:
            await w.invoke("stdlib", None)
        of_stdlib = await w.retry_missing_import("stdlib", stdlib.value)  # never a requirement
        return retried, again, of_stdlib, w.registry.require("lazy")

    retried, again, of_stdlib, current = run(worker, scenario)
    assert retried.auto_installed == ("PyYAML",) and retried.value == "a: 1"  # the index's yaml echoes
    assert again.auto_installed == () and again.value == "a: 1"
    assert current.requirements == "lazyyaml\nPyYAML\n" and current.number == 2 and of_stdlib is None


def test_without_the_option_a_call_time_import_installs_nothing(worker):
    async def scenario(w):
        await w.deploy("lazy", LAZY_PACKAGE, "lazyyaml")
        with pytest.raises(LambdaError) as caught:
            await w.invoke("lazy", "a: 1")
        return await w.retry_missing_import("lazy", caught.value), [v.number for v in w.registry.history("lazy")]

    assert run(worker, scenario) == (None, [1])
    assert store_keys(worker) == ["lazyyaml==1.0"]


# The numpy ABI hint


def test_a_binary_built_for_numpy_1_gets_the_missing_upper_bound(worker):
    async def scenario(w):
        with pytest.raises(LambdaStartError) as caught:
            await w.deploy("legacy", OLDABI, "oldabi")
        fixed = await w.deploy("legacy", OLDABI, "oldabi\nnumpy<2")
        return caught.value, fixed, (await w.invoke("legacy", None)).value

    error, fixed, served = run(worker, scenario)
    assert "numpy.dtype size changed, may indicate binary incompatibility" in str(error)
    assert str(error).endswith("Hint: a binary package was likely built against an older numpy than the "
                               "numpy==2.0.0 its requirements resolved to: add numpy<2 to its requirements")
    assert [p.key for p in fixed.closure.pins] == ["numpy==1.26.4", "oldabi==1.0"] and served == "oldabi"


def test_the_setting_is_checked_like_every_other():
    from ol_notebook.registry import InvalidSettings

    with pytest.raises(InvalidSettings, match="'auto_install' must be true or false, not 'yes'"):
        LambdaSettings(auto_install="yes")
    assert replace(AUTO, timeout=1).auto_install and LambdaSettings.from_dict({}).auto_install is False
