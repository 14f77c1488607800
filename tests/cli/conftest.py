"""The `ol-notebook` console script, run as a user would: a real subprocess on the local index."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("ol-notebook"))


@pytest.fixture
def run(tmp_path, local_index):
    store = tmp_path / "store"

    def run(*args: str, ok: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "OL_NOTEBOOK_STORE": str(store), "OL_NOTEBOOK_INDEX_URL": local_index.url,
               "OL_NOTEBOOK_LAMBDAS": str(tmp_path / "lambdas"), **(env or {})}
        result = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert (result.returncode == 0) == ok, result.stdout + result.stderr
        return result

    run.store = store
    return run
