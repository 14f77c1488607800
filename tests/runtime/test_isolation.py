"""What a lambda sees: exactly its own packages, the runtime, the standard library and its code."""

from __future__ import annotations

import json
import subprocess

from ol_notebook.runtime.spec import default_python
from tests.runtime.conftest import packages

PROBE = """
import importlib.util, os, sys

def f(event):
    import alpha
    return {
        "path": sys.path,
        "alpha": alpha.__version__,
        "packages": sorted(os.listdir("/packages")),
        "importable": {name: importlib.util.find_spec(name) is not None for name in event},
        "cwd": os.getcwd(),
    }
"""


def stdlib_path() -> list[str]:
    """sys.path of `python -I -S` for the lambda's interpreter: the standard library alone."""
    command = [default_python(), "-I", "-S", "-c", "import json, sys; print(json.dumps(sys.path))"]
    return json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)


def test_sys_path_is_exactly_packages_runtime_stdlib_handler(engine, make_lambda, entries) -> None:
    spec = make_lambda(PROBE, packages=packages(entries, "alpha==2.0", "beta==1.5"))
    seen = engine.invoke(spec, []).value
    assert seen["path"] == [
        "/packages/alpha==2.0/files", "/packages/beta==1.5/files", "/runtime", *stdlib_path(), "/handler",
    ]
    assert seen["packages"] == ["alpha==2.0", "beta==1.5"]
    assert seen["cwd"] == "/handler"


def test_other_lambdas_packages_and_host_site_packages_are_not_importable(engine, make_lambda, entries) -> None:
    spec = make_lambda(PROBE, packages=packages(entries, "alpha==1.0"))
    seen = engine.invoke(spec, ["alpha", "beta", "pytest", "ol_notebook", "packaging", "json"]).value
    assert seen["importable"] == {
        "alpha": True, "beta": False, "pytest": False, "ol_notebook": False, "packaging": False, "json": True,
    }
    assert seen["packages"] == ["alpha==1.0"]


def test_two_versions_of_a_package_side_by_side(engine, make_lambda, entries) -> None:
    old = make_lambda(PROBE, packages=packages(entries, "alpha==1.0"))
    new = make_lambda(PROBE, packages=packages(entries, "alpha==2.0", "beta==1.5"))
    for _ in range(2):  # both stay warm at once, each with its own alpha
        calls = [engine.start(old, []), engine.start(new, [])]
        engine.run(calls[1])
        assert [engine.run(call).value["alpha"] for call in calls] == ["1.0", "2.0"]
    assert engine.runtimes.state(old.name)["state"] == engine.runtimes.state(new.name)["state"] == "warm"
