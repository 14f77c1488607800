"""Hostile handlers: each limit holds, the caller gets a clear error, and the next call works."""

from __future__ import annotations

import socket
import time

import pytest

from ol_notebook.runtime import LambdaCrashed, LambdaError, LambdaTimeout

PIDS = """
import os

def f(event):
    return os.getpid()
"""


def test_timeout_kills_the_worker_and_a_fresh_one_serves_the_next_call(engine, make_lambda) -> None:
    spec = make_lambda("""
        import os, subprocess, time

        def f(event):
            if event == "hang":
                subprocess.Popen(["sleep", "1000"])  # killed with it: the worker's process group
                time.sleep(1000)
            return os.getpid()
    """, timeout=0.5)
    before = engine.invoke(spec).value
    started = time.monotonic()
    with pytest.raises(LambdaTimeout, match=r"timeout of 0\.5 s; its worker was killed"):
        engine.invoke(spec, "hang")
    assert time.monotonic() - started < 1.5
    engine.wait(0.2)
    assert engine.runtimes.state(spec.name)["instances"] == 1  # replaced, warm
    after = engine.invoke(spec)
    assert after.value != before and after.cold


@pytest.mark.parametrize(("crash", "said"), [
    ("import ctypes; ctypes.string_at(0)", "killed by SIGSEGV"),
    ("os._exit(3)", "exited with status 3"),
])
def test_a_crashing_handler_is_reported_and_the_next_call_works(engine, make_lambda, crash, said) -> None:
    spec = make_lambda(f"import os\n\ndef f(event):\n    if event:\n        {crash}\n    return os.getpid()\n")
    before = engine.invoke(spec).value
    with pytest.raises(LambdaCrashed, match=said):
        engine.invoke(spec, True)
    assert engine.invoke(spec).value != before


def test_a_memory_hog_gets_an_error_not_a_hang(engine, make_lambda) -> None:
    spec = make_lambda("""
        def f(event):
            if event:
                hog = b"x" * (512 << 20)
            return "fine"
    """, memory=128 << 20)
    started = time.monotonic()
    with pytest.raises((LambdaCrashed, LambdaError)) as raised:
        engine.invoke(spec, True)
    assert time.monotonic() - started < 5
    assert "memory" in str(raised.value).lower()
    assert engine.invoke(spec, False).value == "fine"


def test_a_fork_bomb_stays_bounded_and_the_lambda_recovers(engine, make_lambda) -> None:
    spec = make_lambda("""
        import os

        def f(event):
            if event:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
            return "fine"
    """, processes=16)
    started = time.monotonic()
    with pytest.raises(LambdaCrashed, match="processes"):
        engine.invoke(spec, True)
    assert time.monotonic() - started < 5
    assert engine.invoke(spec, False).value == "fine"


def test_network_off_refuses_connections_at_once(engine, make_lambda) -> None:
    code = """
        import socket

        def f(port):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return "connected"
    """
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(LambdaError) as raised:
            engine.invoke(make_lambda(code, network=False), port)
        assert raised.value.type == "ConnectionRefusedError" and time.monotonic() - started < 2
        with pytest.raises(TimeoutError):
            listener.accept()  # saw nothing
        assert engine.invoke(make_lambda(code, network="host"), port).value == "connected"
        listener.accept()[0].close()


def test_garbage_on_the_workers_socket_kills_that_worker_only(engine, make_lambda) -> None:
    spec = make_lambda("""
        import os, stat

        def f(event):
            if event:
                for fd in map(int, os.listdir("/proc/self/fd")):
                    try:
                        if stat.S_ISSOCK(os.fstat(fd).st_mode):
                            os.write(fd, b"\\xff" * 8)
                    except OSError:
                        pass
            return os.getpid()
    """)
    before = engine.invoke(spec).value
    with pytest.raises(LambdaCrashed, match="broke the runtime's protocol"):
        engine.invoke(spec, True)
    assert engine.invoke(spec).value != before
