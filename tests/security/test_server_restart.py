"""A server killed with SIGKILL leaves nothing running and no scratch behind once the next one starts."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ol_notebook.sandbox.disk import SANDBOX_PREFIX
from ol_notebook.sandbox.procfs import descendants
from tests.jupyter_fixtures import start_jupyter_server
from tests.processes import running


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_scratch_of_a_server_killed_with_sigkill_is_swept_at_the_next_start(
        tmp_path: Path, local_index, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    server = start_jupyter_server(tmp_path / "first", local_index.url)
    try:
        server.request("PUT", "ol/lambdas/busy", {"code": "def f(event):\n    open('/tmp/x', 'w').write('x')\n"
                                                          "    return event\n"})
        assert server.request("POST", "ol/run/busy", 1) == 1
        sandboxes = descendants(server.process.pid)
    finally:
        server.process.send_signal(signal.SIGKILL)  # no stop hook runs
        server.process.wait()
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in sandboxes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in sandboxes if running(pid)]  # --die-with-parent took them
    # What an owner killed mid-way leaves (an unsafe-mode /tmp, a resolve's work directory):
    stale = [scratch / f"{SANDBOX_PREFIX}{dead_pid()}-abc", scratch / f"ol-compile-{dead_pid()}-abc"]
    for directory in stale:
        (directory / "tmp").mkdir(parents=True)
        (directory / "tmp" / "left").write_text("behind")
    live = scratch / f"{SANDBOX_PREFIX}{os.getpid()}-ours"  # a live owner's: kept
    live.mkdir()
    second = start_jupyter_server(tmp_path / "second", local_index.url)
    try:
        # The API answers before the extension's start hook (which sweeps) has finished: wait for it.
        deadline = time.monotonic() + 30
        while sorted(scratch.iterdir()) != [live] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(scratch.iterdir()) == [live]
    finally:
        second.stop()
