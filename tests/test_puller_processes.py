"""Several processes on one store: concurrent pulls install once; kill -9 at any point loses nothing."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine import make_service
from tests.processes import describe, processes_mentioning

CLOSURE_REQUIREMENTS = ["bulky", "alpha==2.0", "gamma[fast]", "epsilon", "py-widget", "nsp-one", "toolpkg", "sdistonly"]


def _pull_command(store: Path, index_url: str, closure_json: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ol_notebook.cli", "--store", str(store), "--index-url", index_url,
            "pull", "--closure", str(closure_json), *extra]


@pytest.fixture
def closure_file(tmp_path, http_index):
    service = make_service(tmp_path / "store", http_index)
    closure = service.compile(CLOSURE_REQUIREMENTS)
    path = tmp_path / "closure.json"
    closure.write_json(path)
    return service, closure, path


def test_two_processes_pulling_the_same_closure_install_each_package_once(closure_file, local_index):
    service, closure, path = closure_file
    command = _pull_command(service.store.root, local_index.url, path)
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=240)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    installed = [int(re.search(r"(\d+) installed", output).group(1)) for output in outputs]
    assert sum(installed) == len(closure.pins), outputs
    assert service.verify() == [] and len(service.packages()) == len(closure.pins)


def _installing(service, published: int) -> bool:
    """True while the install after `published` finished ones is under way."""
    return len(service.packages()) >= published and any(service.store.staging_dir.iterdir())


@pytest.mark.parametrize("published", [0, 1, 2, 4, 6])
def test_kill_9_during_a_pull_leaves_no_partial_entry_and_the_next_pull_repairs(closure_file, local_index, published):
    """Killed while package number `published + 1` is being downloaded, built or installed."""
    service, closure, path = closure_file
    command = _pull_command(service.store.root, local_index.url, path, "--jobs", "1")
    victim = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not _installing(service, published) and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert victim.poll() is None, "the pull finished before it could be killed"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert len(service.packages()) < len(closure.pins), "killed in the middle of the pull"
    deadline = time.monotonic() + 10  # sandboxes die with their parent (--die-with-parent) ...
    while processes_mentioning(str(service.store.root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    service = make_service(service.store.root, service.settings.index)  # ... or with the next pull's sweep
    service.sandbox  # noqa: B018 - making the sandbox sweeps orphans
    deadline = time.monotonic() + 5
    while processes_mentioning(str(service.store.root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = processes_mentioning(str(service.store.root))
    assert survivors == [], [describe(pid) for pid in survivors]
    for entry in service.packages():  # whatever is visible is complete
        assert (entry.path / "meta.json").is_file()
    assert service.verify() == []
    report = service.pull(closure)
    assert sorted(report.installed + report.hits) == sorted(pin.key for pin in closure.pins)
    assert service.verify() == [] and list(service.store.staging_dir.iterdir()) == []
