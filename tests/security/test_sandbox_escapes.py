"""Attacks on the sandbox itself: a lambda's environment reaching bwrap on the host, scratch
space that outgrows its limit (unlinked files, /dev/shm, the zygote's output), the engine's own
packages visible inside, and scratch left on the host after the owner's SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from ol_notebook.runtime import LambdaSpec, LambdaSpecError
from ol_notebook.sandbox import Sandbox, SandboxError, SandboxSpec
from ol_notebook.sandbox.disk import SANDBOX_PREFIX
from ol_notebook.sandbox.procfs import descendants
from tests.runtime.conftest import Engine, lambda_processes

MakeLambda = Callable[..., LambdaSpec]

MiB = 1 << 20
REPO = Path(__file__).resolve().parents[2]

PRELOAD_SOURCE = r"""
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void pwn(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loaded-by-%d", MARKER_DIR, (int)getpid());
    FILE *out = fopen(path, "w");
    if (out) { fputs("this library ran in a process that can see the host", out); fclose(out); }
}
"""


@pytest.fixture
def preload(tmp_path: Path) -> tuple[Path, Path]:
    """A shared library on the host whose constructor leaves a file in a host directory: proof
    that some process which can see the host's filesystem loaded it."""
    markers = tmp_path / "markers"
    markers.mkdir()
    markers.chmod(0o777)
    source = tmp_path / "pwn.c"
    source.write_text(PRELOAD_SOURCE)
    library = tmp_path / "pwn.so"
    subprocess.run(["gcc", "-shared", "-fPIC", f'-DMARKER_DIR="{markers}"', "-o", str(library), str(source)],
                   check=True, capture_output=True)
    return library, markers


# 1. A lambda's env must never reach a process outside the sandbox.

def test_lambda_env_ld_preload_never_runs_on_the_host(engine: Engine, make_lambda: MakeLambda,
                                                      preload: tuple[Path, Path]) -> None:
    library, markers = preload
    subprocess.run(["true"], env={"LD_PRELOAD": str(library)}, check=True)  # the library works on the host...
    assert list(markers.iterdir())
    for marker in markers.iterdir():
        marker.unlink()
    spec = make_lambda("""
        import os
        def f(event):
            return {key: os.environ.get(key) for key in ("LD_PRELOAD", "GREETING")}
    """, env={"LD_PRELOAD": str(library), "GREETING": "hello"})
    result = engine.invoke(spec, None)
    # ...the handler still gets its environment, but nothing outside the sandbox loaded it
    assert result.value == {"LD_PRELOAD": str(library), "GREETING": "hello"}
    assert list(markers.iterdir()) == []


def test_sandbox_env_reaches_the_command_only(sandbox: Sandbox, preload: tuple[Path, Path]) -> None:
    library, markers = preload
    result = sandbox.run(SandboxSpec(["sh", "-c", 'echo "$SECRET"'], python=False,
                                     env={"LD_PRELOAD": str(library), "SECRET": "s3cret"}))
    assert result.stdout == b"s3cret\n"
    assert list(markers.iterdir()) == []  # not bwrap on the host; inside, the library is not visible


def test_lambda_env_is_not_in_bwraps_command_line_or_environment(engine: Engine, make_lambda: MakeLambda) -> None:
    spec = make_lambda("def f(event):\n    return 1\n", env={"API_KEY": "s3cret-value"})
    engine.invoke(spec, None)
    bwraps = _bwraps()
    assert bwraps
    for pid in lambda_processes():
        assert b"s3cret-value" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    for pid in bwraps:  # the one process of the sandbox that runs on the host
        assert b"s3cret-value" not in Path(f"/proc/{pid}/environ").read_bytes()


@pytest.mark.parametrize("env", [{"": "x"}, {"A=B": "x"}, {"A\0B": "x"}, {"A": "x\0y"}])
def test_bad_env_is_refused_before_any_sandbox(sandbox: Sandbox, make_lambda: MakeLambda, env: dict[str, str]) -> None:
    with pytest.raises(LambdaSpecError, match="env"):
        make_lambda("def f(event):\n    return 1\n", env=env)
    with pytest.raises(SandboxError, match="env"):
        sandbox.run(SandboxSpec(["true"], python=False, env=env))


# 4. Scratch space is bounded by the kernel, linked or not.

def test_unlinked_files_cannot_outgrow_the_disk_limit(engine: Engine, make_lambda: MakeLambda) -> None:
    spec = make_lambda("""
        import os
        def f(where):
            written = 0
            held = []
            for i in range(8):
                out = open(f"{where}/big{i}", "wb")
                os.unlink(out.name)        # gone from every directory listing, still on the filesystem
                held.append(out)
                chunk = b"x" * (128 << 10)
                try:
                    for _ in range(240):     # 30 MiB a file: under the per-file bound, 240 MiB in all
                        out.write(chunk)
                        out.flush()
                        written += len(chunk)
                except OSError as error:
                    return {"written": written, "error": error.strerror}
            return {"written": written, "error": None}
    """, disk=32 * MiB)
    on_tmp = engine.invoke(spec, "/tmp").value
    assert on_tmp["error"] == "No space left on device"
    assert on_tmp["written"] <= 32 * MiB
    on_shm = engine.invoke(spec, "/dev/shm").value
    assert on_shm["error"] == "No space left on device"
    assert on_shm["written"] <= 8 * MiB


def test_zygote_output_is_no_way_around_the_disk_limit(engine: Engine, make_lambda: MakeLambda) -> None:
    """Every file a lambda's processes can write is on its sized tmpfs or a memfd charged to its
    memory: not, say, the zygote's stdout as a host file reachable through /proc/2/fd/1."""
    spec = make_lambda("""
        def f(event):
            with open("/proc/2/fd/1", "wb") as out:
                for _ in range(64):
                    out.write(b"y" * (1 << 20))
            return "written"
    """, disk=16 * MiB)
    assert engine.invoke(spec, None).value == "written"
    processes = lambda_processes()
    assert processes
    for pid in processes:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            assert _host_file_written(pid, fd) is None


def _host_file_written(pid: int, fd: str) -> str | None:
    """The target of a writable descriptor that is a regular file outside the sandbox's tmpfs."""
    try:
        info = os.stat(f"/proc/{pid}/fd/{fd}")
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        flags = int(Path(f"/proc/{pid}/fdinfo/{fd}").read_text().split("flags:")[1].split()[0], 8)
        scratch = {os.stat(f"/proc/{pid}/root/tmp").st_dev, os.stat(f"/proc/{pid}/root/dev/shm").st_dev}
    except (OSError, IndexError):
        return None  # gone meanwhile, or bwrap's own (its root is the host's)
    if not stat.S_ISREG(info.st_mode) or flags & 0o3 == os.O_RDONLY or target.startswith("/memfd:"):
        return None
    return None if info.st_dev in scratch else target


# 8. The engine's own packages are not visible inside.

def test_engine_packages_are_not_importable_from_a_lambda(engine: Engine, make_lambda: MakeLambda) -> None:
    import httpx
    import jupyter_server

    engine_site = str(Path(jupyter_server.__file__).parents[1])
    base_site = [p for p in (Path(sys.base_prefix) / "lib").glob("python3*/site-packages")]
    spec = make_lambda("""
        import os, sys
        def f(event):
            sys.path.extend(event["paths"])
            found = {}
            for name in ("httpx", "jupyter_server", "pip"):
                try:
                    __import__(name)
                    found[name] = "imported"
                except ImportError:
                    found[name] = "ImportError"
            listed = {path: sorted(os.listdir(path)) if os.path.isdir(path) else None for path in event["paths"]}
            return {"found": found, "listed": listed, "prefix": sys.prefix}
    """)
    paths = [engine_site, str(Path(httpx.__file__).parents[1]), sys.prefix, *map(str, base_site)]
    seen = engine.invoke(spec, {"paths": paths}).value
    assert seen["found"] == {"httpx": "ImportError", "jupyter_server": "ImportError", "pip": "ImportError"}
    assert all(not listing for listing in seen["listed"].values()), seen["listed"]
    assert seen["prefix"] == sys.base_prefix


# Scratch left behind by an owner killed with SIGKILL.

def test_scratch_of_a_killed_owner_is_swept_by_the_next(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("ignore")
        from ol_notebook.sandbox import Limits, Sandbox, SandboxSpec
        for unsafe in (False, True):
            Sandbox(unsafe=unsafe).start(SandboxSpec(["sleep", "1000"], python=False, limits=Limits(disk=1 << 20)),
                                         stdin=None, stdout=None, stderr=None)
        print("started", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert owner.stdout is not None and owner.stdout.readline() == b"started\n"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 1 and left[0].startswith(f"{SANDBOX_PREFIX}{owner.pid}-")  # the unsafe one only
    children = descendants(owner.pid)
    owner.send_signal(signal.SIGKILL)  # no chance to clean up
    owner.wait()
    for child in children:  # the unsafe one has no --die-with-parent
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    subprocess.run([sys.executable, "-c", "from ol_notebook.sandbox import Sandbox; Sandbox()"],
                   env=env, check=True, capture_output=True)
    assert list(tmp_path.iterdir()) == []


def _bwraps() -> set[int]:
    found = set()
    for pid in lambda_processes():
        try:
            if os.readlink(f"/proc/{pid}/exe").endswith("bwrap"):
                found.add(pid)
        except OSError:
            continue
    return found
