"""pytest fixtures: awslambdaric's files from the test venv, and a runner for bundles.

Enable with ``pytest_plugins = ["tests.awsruntime.plugin"]`` in the top-level conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.sandbox import Sandbox

from .runner import Run, RuntimeFiles, run_bundle, runtime_files

BundleRunner = Callable[..., Run]


@pytest.fixture(scope="session")
def aws_runtime_files() -> RuntimeFiles:
    """awslambdaric and its dependencies as installed in the test venv (the [test] extra)."""
    return runtime_files()


@pytest.fixture
def run_lambda(aws_runtime_files: RuntimeFiles, tmp_path: Path) -> BundleRunner:
    """run_lambda(function_zip, events, layer_zip=None, ...) -> Run: each call in a fresh directory."""
    sandbox = Sandbox()
    calls = iter(range(1 << 30))

    def run(function_zip: Path, events: Sequence[Any], **options: Any) -> Run:
        work_dir = tmp_path / f"run-{next(calls)}"
        return run_bundle(function_zip, events, work_dir=work_dir, sandbox=sandbox, files=aws_runtime_files,
                          **options)

    return run
