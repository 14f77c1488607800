"""Attacks on the runtime and its bookkeeping: a handler that floods the invocation log, redeploys
under load, a sandbox nobody calls, processes killed from outside, and the limits' messages.

The HTTP attacks run against the session's real `jupyter server` process; the others against
real sandboxes on the test's own Runtimes.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.invocations import RECORD_BYTES, ROTATE_BYTES, TAIL_BYTES, InvocationLog, InvocationLogs
from ol_notebook.runtime import LambdaCrashed
from ol_notebook.sandbox.cgroups import find_parents
from ol_notebook.sandbox.procfs import descendants, parent_map
from tests.runtime.conftest import MARKER
from tests.security.conftest import ServerAPI

MiB = 1 << 20
POLL_DEADLINE = 20.0  # seconds a test waits for something that takes well under one

needs_memory_cgroup = pytest.mark.skipif("memory" not in find_parents(),
                                         reason="only a memory cgroup counts out-of-memory kills")


def deploy(api: ServerAPI, name: str, code: str, **settings: Any) -> tuple[int, Any]:
    return api.call("PUT", f"lambdas/{name}", {"code": code, "settings": settings or None})


# Break 5: the invocation log.

FLOOD = """
import sys

def f(event):
    sys.stdout.write("\\x01" * (1 << 20))
    sys.stderr.write("\\x01" * (1 << 20))
    return event
"""


def test_a_handler_flooding_its_output_keeps_the_log_bounded_and_never_rewritten(server_api: ServerAPI) -> None:
    name = "log-flood"
    assert deploy(server_api, name, FLOOD)[0] == 200
    log = server_api.server.registry_dir / name / "logs.jsonl"
    rotated = log.with_name("logs.jsonl.1")
    largest: dict[int, int] = {}  # inode -> the largest size seen under the name logs.jsonl
    try:
        for number in range(40):
            status, result = server_api.call("POST", f"run/{name}", body=str(number))
            assert (status, result) == (200, number)
            if not log.exists():  # just rotated: the next record starts a new file
                continue
            seen = os.stat(log)
            # A rewrite (truncate, or write a new file over the old name in place) shrinks an inode.
            assert seen.st_size >= largest.get(seen.st_ino, 0), "logs.jsonl was rewritten in place"
            largest[seen.st_ino] = seen.st_size
            assert seen.st_size <= ROTATE_BYTES + RECORD_BYTES
        assert os.stat(rotated).st_ino in largest, "logs.jsonl.1 is not a former logs.jsonl moved by rename"
        assert os.stat(rotated).st_size <= ROTATE_BYTES + RECORD_BYTES
        lines = rotated.read_bytes().splitlines() + log.read_bytes().splitlines()
        assert max(len(line) for line in lines) <= RECORD_BYTES
        status, answer = server_api.call("GET", f"lambdas/{name}/logs?limit=1000")
        records = answer["logs"]
        assert status == 200 and len(records) == len(lines) and records[-1]["stdout_cut"] == MiB - TAIL_BYTES
        assert records[-1]["stdout"] == f"[... {MiB - TAIL_BYTES} bytes cut ...]\n" + "\x01" * TAIL_BYTES
    finally:
        assert server_api.call("DELETE", f"lambdas/{name}")[0] == 204


def test_a_record_is_bounded_whatever_its_text(tmp_path: Path) -> None:
    """Six JSON bytes per kept byte at worst (control characters), lone surrogates kept as one
    byte each, an error message cut at its start; a line cut by a writer's crash is skipped."""
    (tmp_path / "x").mkdir()
    logs = InvocationLogs(tmp_path)
    for text in ("\x01" * (3 * MiB), "é" * MiB, "\U0001F600" * MiB, "\ud800" * MiB):
        logs.append("x", InvocationLog(0.0, 1, 0.0, False, False, text, text, text))
    logs.close()
    lines = (tmp_path / "x" / "logs.jsonl").read_bytes().splitlines()
    assert len(lines) == 4 and max(len(line) for line in lines) <= RECORD_BYTES
    with (tmp_path / "x" / "logs.jsonl").open("a") as log:
        log.write('{"at": 1.0, "vers')
    records = InvocationLogs(tmp_path).read("x", 10)
    assert [record.stdout_cut for record in records] == [3 * MiB - TAIL_BYTES, 2 * MiB - TAIL_BYTES,
                                                         4 * MiB - TAIL_BYTES, MiB - TAIL_BYTES]
    assert all(len(record.error or "") < 2 * TAIL_BYTES for record in records)


# Break 6: redeploys under load, and failed deploys.

def versioned(number: int) -> str:
    return f"VERSION = {number}\n\ndef f(event):\n    return VERSION\n"


def test_redeploys_under_load_fail_no_call_and_a_failed_deploy_leaves_no_version(server_api: ServerAPI) -> None:
    name = "redeploy-load"
    assert deploy(server_api, name, versioned(0))[0] == 200
    served: list[int] = []
    failed: list[tuple[int, Any]] = []
    stop = threading.Event()

    def call_in_a_loop() -> None:
        while not stop.is_set():
            status, answer = server_api.call("POST", f"run/{name}", body="null")
            (served.append(answer) if status == 200 else failed.append((status, answer)))

    callers = [threading.Thread(target=call_in_a_loop) for _ in range(4)]
    for caller in callers:
        caller.start()
    try:
        redeploys = [deploy(server_api, name, versioned(number)) for number in range(1, 5)]
        served_before_last = len(served)
        broken = deploy(server_api, name, "import no_such_module_anywhere\n\ndef f(event):\n    return 0\n")
        deadline = time.monotonic() + POLL_DEADLINE
        while len(served) < served_before_last + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for caller in callers:
            caller.join()
    try:
        assert [status for status, _ in redeploys] == [200] * 4, redeploys
        assert failed == [], failed[:3]
        assert served[-1] == 4 and set(served) <= {0, 1, 2, 3, 4}
        assert broken[0] == 502 and broken[1]["error"]["type"] == "LambdaStartError"
        status, described = server_api.call("GET", f"lambdas/{name}")
        kept = [old["version"] for old in described["history"]]
        assert status == 200 and described["version"] == 5 and max(kept) == 5
        on_disk = sorted(int(path.name) for path in (server_api.server.registry_dir / name / "versions").iterdir())
        assert on_disk == kept, "a failed deploy left its version on disk"
        status, refused = server_api.call("POST", f"lambdas/{name}/rollback", {"version": 6})
        assert status == 404 and refused["error"]["type"] == "RegistryError"
    finally:
        assert server_api.call("DELETE", f"lambdas/{name}")[0] == 204


# A sandbox started by a deploy and never called.

PIDS = """
import os, time

def f(event):
    if event:
        time.sleep(event)
    return [os.getpid(), os.getppid()]
"""


def test_a_lambda_deployed_but_never_invoked_is_reaped(engine, make_lambda) -> None:
    spec = make_lambda(PIDS, idle_timeout=0.5)
    engine.run(engine.runtimes.start(spec))
    assert engine.runtimes.state(spec.name)["state"] == "warm" and sandbox_pids()
    deadline = time.monotonic() + POLL_DEADLINE
    while sandbox_pids() and time.monotonic() < deadline:
        engine.wait(0.1)
    assert sandbox_pids() == [] and engine.runtimes.state(spec.name)["state"] == "cold"


# Processes killed from outside, and real out-of-memory kills.

OUTSIDE = "killed by SIGKILL sent by some other process"
NOT_OOM = "not by the out-of-memory killer"


@needs_memory_cgroup
def test_a_worker_killed_from_outside_is_not_blamed_on_memory(engine, make_lambda) -> None:
    spec = make_lambda(PIDS, network=False)
    worker, _ = engine.invoke(spec).value
    call = engine.start(spec, 30)  # the same, warm worker
    engine.wait(0.3)
    os.kill(host_pid(worker), signal.SIGKILL)
    with pytest.raises(LambdaCrashed) as raised:
        engine.run(call)
    assert OUTSIDE in str(raised.value) and NOT_OOM in str(raised.value), raised.value
    assert "most likely" not in str(raised.value)
    assert engine.invoke(spec).value[0] != worker


@needs_memory_cgroup
@pytest.mark.parametrize("victim", ["zygote", "bwrap"])
def test_a_sandbox_killed_from_outside_says_so(engine, make_lambda, victim: str) -> None:
    spec = make_lambda(PIDS, network=False)
    _, zygote = engine.invoke(spec).value
    call = engine.start(spec, 30)
    engine.wait(0.3)
    os.kill(host_pid(zygote) if victim == "zygote" else bwrap_pid(), signal.SIGKILL)
    with pytest.raises(LambdaCrashed) as raised:
        engine.run(call)
    who = "its zygote" if victim == "zygote" else "its bubblewrap process"
    assert f"lost its sandbox: {who} was {OUTSIDE}" in str(raised.value) and NOT_OOM in str(raised.value), raised.value
    assert "could not start" not in str(raised.value)
    assert engine.invoke(spec).cold  # a fresh sandbox serves


def test_a_real_out_of_memory_kill_still_says_out_of_memory(engine, make_lambda) -> None:
    spec = make_lambda("def f(event):\n    hog = b'x' * (400 << 20)\n    return len(hog)\n", memory=128 * MiB)
    with pytest.raises(LambdaCrashed) as raised:
        engine.invoke(spec)
    assert "by the out-of-memory killer" in str(raised.value) and "memory limit of 128 MiB" in str(raised.value)
    assert "`--memory`" in str(raised.value) and OUTSIDE not in str(raised.value)
    if "memory" in find_parents():  # counted, not guessed
        assert "most likely" not in str(raised.value)


def test_the_process_limit_names_the_option_a_user_has(engine, make_lambda) -> None:
    spec = make_lambda("""
        import os

        def f(event):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """, processes=16)
    with pytest.raises(LambdaCrashed) as raised:
        engine.invoke(spec)
    message = str(raised.value)
    assert "`--processes`" in message and "`settings.processes`" in message and "Limits." not in message, message


def test_an_old_spec_calling_during_a_deploy_never_retires_the_new_sandbox(engine, make_lambda) -> None:
    old = make_lambda("def f(event):\n    return 'old'\n")
    slow = "import time\ntime.sleep(1)\n\ndef f(event):\n    return 'new'\n"
    new = dataclasses.replace(make_lambda(slow, name=old.name), version="v2")
    engine.invoke(old)
    starting = engine.loop.create_task(engine.runtimes.start(new))
    engine.wait(0.1)
    assert [result.value for result in engine.invoke_all([(old, None)] * 8)] == ["old"] * 8
    engine.run(starting)  # the standby was not retired by the calls above
    assert engine.runtimes.state(old.name)["version"] == "v1"  # switched by the first call of the new spec
    assert engine.invoke(new).value == "new" and engine.runtimes.state(old.name)["version"] == "v2"


# Helpers: the host's view of this test's own lambda sandboxes (not the jupyter server's).

def bwrap_pid() -> int:
    """The one bwrap this test process started for a lambda."""
    ours = [pid for pid, parent in parent_map().items() if parent == os.getpid() and MARKER in _cmdline(pid)]
    assert len(ours) == 1, ours
    return ours[0]


def sandbox_pids() -> list[int]:
    parents = parent_map()
    bwraps = [pid for pid, parent in parents.items() if parent == os.getpid() and MARKER in _cmdline(pid)]
    return bwraps + [pid for bwrap in bwraps for pid in descendants(bwrap, parents)]


def host_pid(pid_inside: int) -> int:
    """The host's pid of the process of this test's sandbox that is `pid_inside` in its namespace."""
    for pid in sandbox_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        nspids = next(line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:"))
        if len(nspids) > 1 and int(nspids[-1]) == pid_inside:
            return pid
    raise AssertionError(f"no process of the sandbox is pid {pid_inside} inside it")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
