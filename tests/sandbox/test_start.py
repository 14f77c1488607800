"""Long-lived sandboxes: inherited descriptors, kill, and waiting with a timeout."""

from __future__ import annotations

import socket
import subprocess

import pytest

from ol_notebook.sandbox import Limits, Sandbox, SandboxTimeout
from tests.sandbox.conftest import py


def test_socketpair_round_trip_through_pass_fds(sandbox: Sandbox) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        process = sandbox.start(py(
            f"""
            import socket
            with socket.socket(fileno={theirs.fileno()}) as channel:  # the same number inside
                while request := channel.recv(100):
                    channel.sendall(request.upper())
            """
        ), pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=None, stderr=None)
        theirs.close()
        assert process.stdin is None and process.stdout is None
        for word in (b"hello", b"sandbox"):
            ours.sendall(word)
            assert ours.recv(100) == word.upper()
        ours.shutdown(socket.SHUT_WR)
        assert process.wait(10) == 0


def test_kill_ends_it(sandbox: Sandbox) -> None:
    process = sandbox.start(py("import time; time.sleep(1000)"), stdout=None, stderr=None, stdin=None)
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(0.2)
    process.kill()
    assert process.wait(10) == 128 + 9
    assert process.returncode == 137


def test_limits_hold_for_started_sandboxes(sandbox: Sandbox) -> None:
    process = sandbox.start(py("import time; time.sleep(1000)", limits=Limits(timeout=0.5)),
                            stdout=None, stderr=None, stdin=None)
    with pytest.raises(SandboxTimeout):
        process.wait(10)
