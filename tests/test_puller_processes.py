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


def _sandboxes_alive(marker: str) -> list[int]:
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                alive.append(int(pid))
        except OSError:
            continue
    return alive


@pytest.mark.parametrize("delay", [0.0, 0.03, 0.08, 0.15, 0.25])
def test_kill_9_during_a_pull_leaves_no_partial_entry_and_the_next_pull_repairs(closure_file, local_index, delay):
    service, closure, path = closure_file
    command = _pull_command(service.store.root, local_index.url, path, "--jobs", "1")
    victim = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not any(service.store.staging_dir.iterdir()) and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    assert victim.poll() is None, "the pull finished before it could be killed"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert len(service.packages()) < len(closure.pins), "killed in the middle of the pull"
    deadline = time.monotonic() + 10  # sandboxes die with their parent
    while _sandboxes_alive(str(service.store.root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sandboxes_alive(str(service.store.root)) == []
    for entry in service.packages():  # whatever is visible is complete
        assert (entry.path / "meta.json").is_file()
    assert service.verify() == []
    report = service.pull(closure)
    assert sorted(report.installed + report.hits) == sorted(pin.key for pin in closure.pins)
    assert service.verify() == [] and list(service.store.staging_dir.iterdir()) == []
