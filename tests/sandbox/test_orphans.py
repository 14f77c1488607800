"""An orphaned sandbox of ours (owner gone) is killed by the next Sandbox, whoever adopted it; others are not."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from ol_notebook.sandbox import Sandbox, SandboxSpec
from ol_notebook.sandbox.orphans import HOSTNAME, OWNER_PREFIX
from tests.processes import running

# Starts the adopter (which becomes a child subreaper when asked), whose short-lived child starts
# the sandbox labelled with its own pid, the way BwrapLauncher does, and exits at once.
ADOPTER = textwrap.dedent("""
    import ctypes, os, subprocess, sys, time
    bwrap, hostname, label, subreaper = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    if subreaper:
        assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    read, write = os.pipe()
    if os.fork() == 0:
        argv = [label.replace("OWNER", str(os.getpid())), "--unshare-pid", "--unshare-uts", "--hostname", hostname,
                "--ro-bind", "/", "/", "sleep", "60"]
        sandbox = subprocess.Popen(argv, executable=bwrap, start_new_session=True, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.write(write, str(sandbox.pid).encode())
        os._exit(0)
    os.close(write)
    print(os.read(read, 64).decode(), flush=True)
    while True:
        try:
            os.wait()  # reap the owner, then whatever the sweep kills
        except ChildProcessError:
            time.sleep(0.05)
""")


def _orphan(bwrap: str, hostname: str, subreaper: bool,
            label: str = f"{OWNER_PREFIX}OWNER") -> tuple[int, subprocess.Popen]:
    """A sandbox whose owner exited at once: adopted by init, or by a subreaper between us and it."""
    adopter = subprocess.Popen([sys.executable, "-c", ADOPTER, bwrap, hostname, label, "1" if subreaper else "0"],
                               stdout=subprocess.PIPE, text=True)
    assert adopter.stdout is not None
    return int(adopter.stdout.readline()), adopter


def _wait_until_adopted(pid: int, adopter: subprocess.Popen, subreaper: bool) -> None:
    expected = adopter.pid if subreaper else 1
    deadline = time.monotonic() + 5
    while _parent(pid) != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _parent(pid) == expected


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])


@pytest.mark.parametrize("subreaper", [False, True], ids=["adopted-by-init", "adopted-by-a-subreaper"])
def test_next_sandbox_sweeps_our_orphans_only(sandbox: Sandbox, subreaper: bool) -> None:
    started = [_orphan(sandbox.bwrap.path, HOSTNAME, subreaper),
               _orphan(sandbox.bwrap.path, "someone-else", subreaper),
               _orphan(sandbox.bwrap.path, HOSTNAME, subreaper, label="bwrap")]
    (ours, _), (theirs, _), (unlabelled, _) = started
    try:
        for pid, adopter in started:
            _wait_until_adopted(pid, adopter, subreaper)
        assert running(ours) and running(theirs) and running(unlabelled)
        Sandbox(sandbox.bwrap.path)
        deadline = time.monotonic() + 5
        while running(ours) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not running(ours) and running(theirs) and running(unlabelled)
    finally:
        for pid, adopter in started:
            if running(pid):
                os.kill(pid, 9)
            adopter.kill()
            adopter.wait()


def test_a_running_sandbox_is_not_an_orphan(sandbox: Sandbox) -> None:
    """Its owner (this process) is alive and its parent: a sweep by another Sandbox leaves it alone."""
    process = sandbox.start(SandboxSpec(argv=["sleep", "30"]), stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        Sandbox(sandbox.bwrap.path)
        time.sleep(0.2)
        assert process.returncode is None and running(process.pid)
    finally:
        process.kill()
        process.join()
