"""Nothing is left behind: cgroups and private /tmp go, also after kills; stale cgroups are swept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ol_notebook.sandbox import Limits, Sandbox, SandboxMemoryExceeded, SandboxTimeout
from ol_notebook.sandbox.cgroups import find_parents
from tests.sandbox.helpers import py

REPO = Path(__file__).resolve().parents[2]
needs_cgroups = pytest.mark.skipif(not find_parents(), reason="no writable cgroup here: limits use rlimits")


def cgroups_of(pid: int) -> list[Path]:
    return sorted(p for parent in find_parents().values() for p in parent.path.glob(f"ol-sandbox-{pid}-*"))


def scratch_dirs(where: Path) -> list[str]:
    return [name for name in os.listdir(where) if name.startswith("ol-sandbox-")]


@needs_cgroups
def test_cgroups_exist_while_running_and_go_after(sandbox: Sandbox, private_tempdir: Path) -> None:
    process = sandbox.start(py("import time; time.sleep(1000)", limits=Limits(memory=96 << 20, processes=8)),
                            stdin=None, stdout=None, stderr=None)
    parents = find_parents()
    seen = {
        path.name: path.read_text().strip()
        for group in cgroups_of(os.getpid())
        for path in group.iterdir()
        if path.name in ("memory.limit_in_bytes", "memory.max", "pids.max")
    }
    expected = {"pids.max": "9"} if "pids" in parents else {}  # 8, and bwrap's pid 1
    if "memory" in parents:
        expected["memory.limit_in_bytes" if parents["memory"].version == 1 else "memory.max"] = str(96 << 20)
    assert seen == expected
    assert scratch_dirs(private_tempdir) == []  # /tmp is a tmpfs inside, nothing on the host
    process.kill()
    assert process.wait(10) == 137
    assert cgroups_of(os.getpid()) == []
    assert scratch_dirs(private_tempdir) == []


def test_nothing_left_after_limit_errors(sandbox: Sandbox, private_tempdir: Path) -> None:
    with pytest.raises(SandboxMemoryExceeded):
        sandbox.run(py("x = bytearray(512 << 20)", limits=Limits(memory=64 << 20, processes=8, timeout=30)))
    with pytest.raises(SandboxTimeout):
        sandbox.run(py("import time; time.sleep(1000)", limits=Limits(memory=64 << 20, timeout=0.3)))
    assert cgroups_of(os.getpid()) == []
    assert scratch_dirs(private_tempdir) == []


@needs_cgroups
def test_cgroups_of_a_killed_process_are_swept_by_the_next(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys
        from ol_notebook.sandbox import Limits, Sandbox, SandboxSpec
        Sandbox().start(SandboxSpec(["sleep", "1000"], limits=Limits(memory=64 << 20, processes=8)),
                        stdin=None, stdout=None, stderr=None)
        print("started", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert holder.stdout is not None and holder.stdout.readline() == b"started\n"
    stale = cgroups_of(holder.pid)
    assert stale
    holder.send_signal(signal.SIGKILL)  # no chance to clean up
    holder.wait()
    assert all(path.exists() for path in stale)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        from ol_notebook.sandbox import Limits, Sandbox, SandboxSpec
        spec = SandboxSpec(["echo", "fine"], limits=Limits(memory=64 << 20, processes=8))
        print(Sandbox().run(spec).stdout)
    """)], capture_output=True, env=env, check=True)
    assert result.stdout == b"b'fine\\n'\n"
    assert not any(path.exists() for path in stale)

