"""Attacks on auto-install: with `auto_install` on, a call that fails to import a module leads the
engine to add that module's distribution to the lambda and redeploy it. An event must not choose
what gets installed: a lambda that imports a name it computes when it runs (from its event) gets
nothing added, whatever the event says; only an import statement that names the module does."""

from __future__ import annotations

import pytest

from ol_notebook.registry import LambdaSettings
from ol_notebook.resolve.imports import imported_by_statement
from ol_notebook.runtime import LambdaError
from ol_notebook.worker import Worker
from tests.engine import run_scenario
from tests.test_deploy import make_worker

EVENT_CHOSEN = {
    "import_module": "import importlib\n\ndef f(event):\n    return importlib.import_module(event)\n",
    "exec": "def f(event):\n    exec(f'import {event}')\n",
    "__import__": "def f(event):\n    return __import__(event)\n",
}


@pytest.mark.parametrize("how", sorted(EVENT_CHOSEN))
def test_an_event_cannot_choose_what_auto_install_adds(tmp_path, http_index, how: str) -> None:
    worker: Worker = make_worker(tmp_path, http_index)

    async def scenario(w: Worker) -> tuple[str, list[int]]:
        await w.deploy("victim", EVENT_CHOSEN[how], "", LambdaSettings(auto_install=True))
        with pytest.raises(LambdaError) as failed:
            await w.invoke("victim", "yaml")  # pyyaml is on the index: it would be installed
        return failed.value.type, [version.number for version in w.registry.history("victim")]

    kind, versions = run_scenario(worker, scenario)
    assert kind == "ModuleNotFoundError" and versions == [1]
    assert worker.package_entries() == [] and worker.registry.require("victim").requirements == ""


def test_only_an_import_statement_naming_the_module_counts() -> None:
    def frame(source: str) -> str:
        return f'Traceback (most recent call last):\n  File "/handler/handler.py", line 2, in f\n    {source}\n'

    assert imported_by_statement(frame("import yaml"), "yaml")
    assert imported_by_statement(frame("import yaml.composer as composer"), "yaml")
    assert imported_by_statement(frame("from google.api import http_pb2"), "google.api.http_pb2")
    assert imported_by_statement(frame("from lazy import (first,"), "lazy")  # a statement's first line
    assert not imported_by_statement(frame("return importlib.import_module(event)"), "yaml")
    assert not imported_by_statement(frame("import yaml"), "requests")
    assert not imported_by_statement('  File "<string>", line 1, in <module>\n', "yaml")  # exec: no source shown
    assert not imported_by_statement("", "yaml")
