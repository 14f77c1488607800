"""Long-lived sandboxes: inherited descriptors, kill, and waiting with a timeout."""

from __future__ import annotations

import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from ol_notebook.sandbox import Limits, Sandbox, SandboxTimeout
from tests.sandbox.helpers import py


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


def test_concurrent_runs_from_threads(sandbox: Sandbox) -> None:
    """The puller runs several installs at once: each sandbox keeps its own pipes and bounds."""
    limits = Limits(timeout=30, memory=128 << 20, processes=8, disk=8 << 20)

    def run(index: int) -> bytes:
        return sandbox.run(py(f"open('/tmp/x', 'w').write('{index}'); print(open('/tmp/x').read())",
                              limits=limits)).stdout

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(run, range(20))) == [f"{index}\n".encode() for index in range(20)]
