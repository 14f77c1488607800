"""Each limit against a hostile command: stopped quickly, with its own error; normal commands pass."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from ol_notebook.sandbox import (
    PYTHON,
    Bind,
    Limits,
    Sandbox,
    SandboxDiskExceeded,
    SandboxMemoryExceeded,
    SandboxProcessLimitExceeded,
    SandboxSpec,
    SandboxTimeout,
)
from tests.sandbox.helpers import py

MiB = 1 << 20


def host_pythons_with(marker: str) -> list[int]:
    """Host pids of this interpreter's processes whose arguments include marker (not bwrap's)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0] == PYTHON.encode() and marker.encode() in argv:
            found.append(int(pid))
    return found


def test_timeout_kills_every_process_it_started(sandbox: Sandbox) -> None:
    marker = f"marker-{secrets.token_hex(4)}"
    process = sandbox.start(py(
        """
        import os, time
        if os.fork() == 0:          # a child that leaves a grandchild in its own session
            if os.fork() == 0:
                os.setsid()
                time.sleep(1000)
            os._exit(0)
        os.wait()
        print("ready", flush=True)
        time.sleep(1000)
        """, marker, limits=Limits(timeout=3),
    ), stdin=None, stderr=None)
    assert process.stdout is not None
    with process.stdout:
        assert process.stdout.readline() == b"ready\n"
        assert len(host_pythons_with(marker)) == 2  # the sleeper and its grandchild
    with pytest.raises(SandboxTimeout, match=r"time limit of 3 s .*Raise Limits.timeout") as caught:
        process.wait(30)
    assert caught.value.limit == "timeout" and caught.value.value == 3
    assert process.duration >= 3
    assert host_pythons_with(marker) == []


def test_memory(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxMemoryExceeded, match=r"memory limit of 64 MiB") as caught:
        sandbox.run(py(
            """
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
            """, limits=Limits(timeout=30, memory=64 * MiB),
        ))
    assert caught.value.result is not None
    normal = sandbox.run(py("x = bytearray(32 << 20); print(len(x))", limits=Limits(memory=128 * MiB)))
    assert normal.stdout == b"33554432\n"


FORKS = """
import os, sys, time
count = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    count += 1
print(count, flush=True)
"""

THREADS = """
import threading, time
count = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        count += 1
except RuntimeError:
    print(count, flush=True)
"""


@pytest.mark.parametrize("program", [FORKS, THREADS], ids=["processes", "threads"])
def test_process_limit_bounds_tasks_exactly(sandbox: Sandbox, program: str) -> None:
    with pytest.raises(SandboxProcessLimitExceeded, match="limit of 10 processes and threads") as caught:
        sandbox.run(py(program, limits=Limits(timeout=20, processes=10)))
    assert caught.value.result is not None
    assert caught.value.result.stdout == b"9\n"  # 9 more besides the first: 10 at once


def test_spinning_fork_bomb_stays_bounded_and_ends(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxProcessLimitExceeded):  # not SandboxTimeout: the bound is what it hit
        sandbox.run(py(
            """
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
            """, limits=Limits(timeout=2, processes=16),
        ))


WRITE_FOREVER = """
import sys
for i in range(1000):
    with open(f"{sys.argv[1]}/file{i}", "wb") as f:
        f.write(b"x" * (1 << 20))
"""


def test_disk_watcher_stops_endless_writes_into_a_counted_bind(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(SandboxDiskExceeded, match=r"disk limit of 8 MiB .*disk watcher measured"):
        sandbox.run(py(WRITE_FOREVER, str(tmp_path), binds=[Bind(tmp_path, writable=True)],
                       limits=Limits(timeout=30, disk=8 * MiB)))
    assert 8 < len(list(tmp_path.iterdir())) < 1000


@pytest.mark.parametrize(("where", "size"), [("/tmp", 8 * MiB), ("/dev/shm", 2 * MiB)])
def test_private_tmp_and_shm_are_full_at_their_size(sandbox: Sandbox, where: str, size: int) -> None:
    """The kernel bounds them: ENOSPC at exactly the size, however the bytes were written."""
    with pytest.raises(SandboxDiskExceeded, match=r"disk limit of 8 MiB .*tmpfs of that size") as caught:
        sandbox.run(py(WRITE_FOREVER + "\nprint('never')", where, limits=Limits(timeout=30, disk=8 * MiB)))
    assert caught.value.result is not None and b"never" not in caught.value.result.stdout
    listing = sandbox.run(py(f"import os; print(os.statvfs({where!r}).f_blocks * os.statvfs({where!r}).f_frsize)",
                             limits=Limits(timeout=30, disk=8 * MiB)))
    assert int(listing.stdout) == size


@pytest.mark.parametrize("writer", [
    [PYTHON, "-c", "import sys; open(sys.argv[1], 'wb').write(b'x' * (64 << 20))"],  # Python: EFBIG
    ["sh", "-c", 'head -c 64M /dev/zero > "$0"'],  # SIGXFSZ
], ids=["python", "head"])
def test_one_huge_file_is_cut_at_the_limit(sandbox: Sandbox, tmp_path: Path, writer: list[str]) -> None:
    with pytest.raises(SandboxDiskExceeded, match=r"disk limit of 8 MiB .*RLIMIT_FSIZE"):
        sandbox.run(SandboxSpec([*writer, f"{tmp_path}/huge"], binds=[Bind(tmp_path, writable=True)],
                                limits=Limits(timeout=30, disk=8 * MiB)))
    assert (tmp_path / "huge").stat().st_size == 8 * MiB


def test_only_growth_of_counted_places_counts(sandbox: Sandbox, tmp_path: Path) -> None:
    counted, cache = tmp_path / "counted", tmp_path / "cache"
    counted.mkdir()
    cache.mkdir()
    (counted / "existing").write_bytes(b"x" * 20 * MiB)  # there before: not this command's doing
    result = sandbox.run(py(
        WRITE_FOREVER.replace("1000", "6"), str(cache),  # 6 MiB each run: 12 MiB in all, uncounted
        binds=[Bind(counted, writable=True), Bind(cache, writable=True, count_disk=False)],
        limits=Limits(timeout=30, disk=8 * MiB),
    ))
    assert result.returncode == 0, result.stderr
    result = sandbox.run(py(
        WRITE_FOREVER.replace("1000", "6"), str(counted),  # 6 MiB into the counted bind: under 8
        binds=[Bind(counted, writable=True), Bind(cache, writable=True, count_disk=False)],
        limits=Limits(timeout=30, disk=8 * MiB),
    ))
    assert result.returncode == 0, result.stderr
    assert len(list(cache.iterdir())) == 6 and len(list(counted.iterdir())) == 7


def test_normal_command_passes_all_limits(sandbox: Sandbox, tmp_path: Path) -> None:
    result = sandbox.run(py(
        """
        import subprocess, sys
        data = bytearray(16 << 20)
        open("/tmp/scratch", "wb").write(b"x" * (2 << 20))
        open(sys.argv[1] + "/out", "w").write("done")
        children = [subprocess.Popen([sys.executable, "-c", "pass"]) for _ in range(3)]
        print([child.wait() for child in children])
        """, str(tmp_path), binds=[Bind(tmp_path, writable=True)],
        limits=Limits(timeout=30, memory=256 * MiB, processes=16, disk=8 * MiB),
    ))
    assert (result.returncode, result.stdout) == (0, b"[0, 0, 0]\n"), result.stderr
    assert (tmp_path / "out").read_text() == "done"


def test_stdout_spooled_whole_into_a_host_file(sandbox: Sandbox, tmp_path: Path) -> None:
    with (tmp_path / "product").open("wb") as out:
        result = sandbox.run(SandboxSpec(["head", "-c", str(3 * MiB), "/dev/urandom"], python=False,
                                         limits=Limits(timeout=30, disk=8 * MiB)), stdout=out)
    assert result.returncode == 0
    assert (tmp_path / "product").stat().st_size == 3 * MiB


def test_spooled_stdout_is_cut_at_the_disk_limit(sandbox: Sandbox, tmp_path: Path) -> None:
    with (tmp_path / "product").open("wb") as out, pytest.raises(SandboxDiskExceeded, match="output to the host file"):
        sandbox.run(SandboxSpec(["cat", "/dev/zero"], python=False, limits=Limits(timeout=30, disk=8 * MiB)),
                    stdout=out)
    assert (tmp_path / "product").stat().st_size <= 8 * MiB
