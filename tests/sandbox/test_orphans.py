"""An orphaned sandbox of ours (owner gone, parent init) is killed by the next Sandbox; others are not."""

import os
import subprocess
import time

from ol_notebook.sandbox import Sandbox
from ol_notebook.sandbox.orphans import HOSTNAME
from tests.processes import running


def _orphan(bwrap: str, hostname: str) -> int:
    """A bwrap whose parent exited at once, so that init adopts it."""
    sandbox = f"{bwrap} --unshare-pid --unshare-uts --hostname {hostname} --ro-bind / / sleep 60"
    command = f"{sandbox} </dev/null >/dev/null 2>&1 & echo $!"
    return int(subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout)


def test_next_sandbox_sweeps_our_orphans_only(sandbox: Sandbox) -> None:
    ours = _orphan(sandbox.bwrap.path, HOSTNAME)
    theirs = _orphan(sandbox.bwrap.path, "someone-else")
    try:
        time.sleep(0.2)
        assert running(ours) and running(theirs)
        Sandbox(sandbox.bwrap.path)
        deadline = time.monotonic() + 5
        while running(ours) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not running(ours) and running(theirs)
    finally:
        for pid in (ours, theirs):
            if running(pid):
                os.kill(pid, 9)
