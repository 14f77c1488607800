"""network=False leaves only a private loopback; network=True shares the host's network."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ol_notebook.sandbox import Sandbox
from tests.sandbox.helpers import py

CONNECT = """
import socket, sys, time
started = time.monotonic()
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
        s.sendall(b"ping")
        print("connected", s.recv(4).decode())
except OSError as error:
    print(type(error).__name__, round(time.monotonic() - started, 1))
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(10)
        yield server


def test_no_network_by_default(sandbox: Sandbox, listener: socket.socket) -> None:
    result = sandbox.run(py(CONNECT, str(listener.getsockname()[1])))
    # refused at once by the sandbox's own empty loopback, not left to time out
    assert result.stdout == b"ConnectionRefusedError 0.0\n"
    listener.settimeout(0.2)
    with pytest.raises(TimeoutError):
        listener.accept()


def test_network_when_asked(sandbox: Sandbox, listener: socket.socket) -> None:
    process = sandbox.start(py(CONNECT, str(listener.getsockname()[1]), network=True))
    connection, _ = listener.accept()
    with connection:
        assert connection.recv(4) == b"ping"
        connection.sendall(b"pong")
    assert process.stdout is not None and process.stderr is not None
    with process.stdout, process.stderr:
        assert process.stdout.read() == b"connected pong\n"
    assert process.wait(10) == 0
