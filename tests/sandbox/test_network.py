"""The three network modes: False, a private loopback only; True, egress through slirp4netns and
nothing of the host's; "host", the host's network. And loopback ports tunnelled one by one."""

from __future__ import annotations

import errno
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ol_notebook.sandbox import Sandbox, SandboxError, SandboxSpec
from ol_notebook.sandbox.net import network
from ol_notebook.sandbox.net.slirp import SLIRP4NETNS_ENV
from ol_notebook.sandbox.procfs import descendants
from tests.processes import running
from tests.sandbox.helpers import py

REPO = Path(__file__).resolve().parents[2]

CONNECT = """
import socket, sys, time
started = time.monotonic()
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as s:
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


def port_of(sock: socket.socket) -> str:
    return str(sock.getsockname()[1])


def serve_one(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        assert connection.recv(4) == b"ping"
        connection.sendall(b"pong")


def connect_through(sandbox: Sandbox, listener: socket.socket, **spec) -> bytes:
    """Start a sandbox that connects to 127.0.0.1:<listener's port>, answer it, return what it printed."""
    process = sandbox.start(py(CONNECT, "127.0.0.1", port_of(listener), **spec))
    serve_one(listener)
    assert process.stdout is not None and process.stderr is not None
    with process.stdout, process.stderr:
        printed = process.stdout.read()
    assert process.wait(10) == 0
    return printed


def slirp_processes() -> list[int]:
    found = []
    for pid in descendants(os.getpid()):
        try:
            if b"slirp4netns" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_no_network_by_default(sandbox: Sandbox, listener: socket.socket) -> None:
    result = sandbox.run(py(CONNECT, "127.0.0.1", port_of(listener)))
    # refused at once by the sandbox's own empty loopback, not left to time out
    assert result.stdout == b"ConnectionRefusedError 0.0\n"
    listener.settimeout(0.2)
    with pytest.raises(TimeoutError):
        listener.accept()


def test_egress_does_not_reach_the_hosts_loopback(sandbox: Sandbox, listener: socket.socket) -> None:
    result = sandbox.run(py(CONNECT, "127.0.0.1", port_of(listener), network=True))
    assert result.stdout == b"ConnectionRefusedError 0.0\n"
    # slirp's gateway leads to the host's loopback only without --disable-host-loopback
    result = sandbox.run(py(CONNECT, "10.0.2.2", port_of(listener), network=True))
    assert result.stdout == b"OSError 0.0\n"  # slirp answers "unreachable" at once
    listener.settimeout(0.2)
    with pytest.raises(TimeoutError):
        listener.accept()


def test_egress_has_slirps_interface_and_a_prohibit_route_per_host_address(sandbox: Sandbox) -> None:
    result = sandbox.run(SandboxSpec(["ip", "-4", "route"], network=True, python=False))
    routes = result.stdout.decode()
    assert "default via 10.0.2.2 dev tap0" in routes
    host = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    addresses = [line.split()[3].split("/")[0] for line in host.splitlines() if " lo " not in line]
    assert addresses, "the host has no non-loopback IPv4 address to test with"
    for address in addresses:
        assert f"prohibit {address} " in routes


def test_host_network_when_asked(sandbox: Sandbox, listener: socket.socket) -> None:
    assert connect_through(sandbox, listener, network="host") == b"connected pong\n"


@pytest.mark.parametrize("network", [False, True])
def test_a_tunnelled_loopback_port_and_no_other(sandbox: Sandbox, listener: socket.socket, network: bool) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        other.settimeout(0.2)
        spec = {"network": network, "loopback_ports": (int(port_of(listener)),)}
        assert connect_through(sandbox, listener, **spec) == b"connected pong\n"
        result = sandbox.run(py(CONNECT, "127.0.0.1", port_of(other), **spec))
        assert result.stdout == b"ConnectionRefusedError 0.0\n"
        with pytest.raises(TimeoutError):
            other.accept()


TRY_BIND = """
import socket, sys
try:
    socket.create_server(("127.0.0.1", int(sys.argv[1])))
    print("bound")
except OSError as error:
    print(error.errno)
"""

RECEIVE = """
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
        print(repr(s.recv(10)))
except OSError as error:
    print(type(error).__name__)
"""


def test_a_sandbox_cannot_take_over_a_tunnelled_port(sandbox: Sandbox, listener: socket.socket) -> None:
    port = int(port_of(listener))
    assert sandbox.run(py(TRY_BIND, str(port), loopback_ports=(port,))).stdout == f"{errno.EADDRINUSE}\n".encode()
    assert sandbox.run(py(TRY_BIND, str(port))).stdout == b"bound\n"  # the port is free without the tunnel


def test_a_tunnelled_port_nobody_serves_ends_the_connection(sandbox: Sandbox) -> None:
    with socket.create_server(("127.0.0.1", 0)) as gone:
        port = gone.getsockname()[1]
    result = sandbox.run(py(RECEIVE, str(port), loopback_ports=(port,)))
    assert result.stdout in (b"b''\n", b"ConnectionResetError\n")


ECHO_THROUGH = """
import hashlib, socket, sys, threading
port = int(sys.argv[1])
small = bytes(range(256)) * 128
many = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(60)]
for connection in many:  # all open at once, each half-closed after its request
    connection.sendall(small)
    connection.shutdown(socket.SHUT_WR)
def read_all(connection):
    data = bytearray()
    while chunk := connection.recv(1 << 16):
        data += chunk
    return bytes(data)
echoed = sum(read_all(connection) == small for connection in many)
big = hashlib.sha256(b"seed").digest() * (1 << 19)  # 16 MiB, sent while the echo is read
with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
    def send():
        connection.sendall(big)
        connection.shutdown(socket.SHUT_WR)
    sender = threading.Thread(target=send)
    sender.start()
    back = read_all(connection)
    sender.join()
print(echoed, back == big)
"""


@pytest.fixture
def echo_server() -> Iterator[int]:
    """Echoes each connection until its end, then ends it too (a half-close passed back)."""

    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            while chunk := self.request.recv(1 << 16):
                self.request.sendall(chunk)
            self.request.shutdown(socket.SHUT_WR)

    class Server(socketserver.ThreadingTCPServer):
        request_queue_size = 128  # the default 5 resets connections under a burst of 60, tunnel or not

    with Server(("127.0.0.1", 0), Echo) as server:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        yield server.server_address[1]
        server.shutdown()


def test_the_tunnel_carries_many_connections_and_every_byte(sandbox: Sandbox, echo_server: int) -> None:
    result = sandbox.run(py(ECHO_THROUGH, str(echo_server), loopback_ports=(echo_server,)))
    assert result.stdout == b"60 True\n", result.stderr


@pytest.mark.parametrize(("text", "on_loopback"), [
    ("nameserver 127.0.0.53\noptions edns0\n", True),
    ("# comment\nnameserver 10.255.255.53\n", False),
    ("nameserver 192.0.2.1\nnameserver ::1\n", True),
    ("", False),
])
def test_which_host_resolvers_count_as_loopback(tmp_path: Path, text: str, on_loopback: bool) -> None:
    (tmp_path / "resolv.conf").write_text(text)
    assert network.host_resolver_on_loopback(tmp_path / "resolv.conf") is on_loopback


def test_a_host_resolver_on_loopback_is_replaced_by_slirps(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """systemd-resolved's 127.0.0.53 would be the sandbox's own loopback: slirp forwards 10.0.2.3."""
    monkeypatch.setattr(network, "host_resolver_on_loopback", lambda: True)
    show = SandboxSpec(["cat", "/etc/resolv.conf"], python=False, network=True)
    assert sandbox.run(show).stdout == b"nameserver 10.0.2.3\n"
    host = Path("/etc/resolv.conf").read_bytes()
    for other in (False, "host"):
        assert sandbox.run(SandboxSpec(["cat", "/etc/resolv.conf"], python=False, network=other)).stdout == host


@pytest.mark.parametrize(("fields", "message"), [
    ({"network": 1}, "network must be False (no network), True (egress through slirp4netns) or 'host'"),
    ({"network": "yes"}, "not 'yes'"),
    ({"loopback_ports": (0,)}, "loopback_ports must be a tuple of ports (1-65535)"),
    ({"loopback_ports": [80]}, "must be a tuple"),
    ({"loopback_ports": (80, 80)}, "names a port twice"),
    ({"network": "host", "loopback_ports": (80,)}, "with network='host' every loopback port"),
])
def test_bad_network_settings_are_refused(sandbox: Sandbox, fields: dict, message: str) -> None:
    with pytest.raises(SandboxError) as raised:
        sandbox.run(SandboxSpec(["true"], python=False, **fields))
    assert message in str(raised.value)


def test_missing_slirp4netns_is_refused_saying_what_to_install(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SLIRP4NETNS_ENV, str(tmp_path / "no-such-slirp4netns"))
    with pytest.raises(SandboxError) as raised:
        sandbox.run(SandboxSpec(["true"], python=False, network=True))
    assert "apt install slirp4netns" in str(raised.value) and "no-such-slirp4netns" in str(raised.value)
    # network=False and "host" do not need it
    assert sandbox.run(SandboxSpec(["true"], python=False)).returncode == 0
    assert sandbox.run(SandboxSpec(["true"], python=False, network="host")).returncode == 0


def test_slirp4netns_that_fails_is_reported_with_its_reason(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "slirp4netns"
    fake.write_text("#!/bin/sh\necho 'cannot open /dev/net/tun: sabotaged' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv(SLIRP4NETNS_ENV, str(fake))
    with pytest.raises(SandboxError, match=r"slirp4netns could not .*\(exit status 3\): cannot open /dev/net/tun"):
        sandbox.run(SandboxSpec(["true"], python=False, network=True))
    assert slirp_processes() == []


def wait_until_gone(pids: list[int]) -> list[int]:
    """The pids still running after a liveness bound (not a speed claim): a process whose exit
    fd closed ends, the kernel takes its time to tear its tap device down."""
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [pid for pid in pids if running(pid)]


def test_slirp4netns_ends_with_its_sandbox(sandbox: Sandbox) -> None:
    process = sandbox.start(SandboxSpec(["sleep", "60"], python=False, network=True))
    slirps = slirp_processes()
    assert len(slirps) == 1
    process.kill()
    assert process.wait(10) == 137
    assert wait_until_gone(slirps) == []


OWNER = """
import sys, time
from ol_notebook.sandbox import Sandbox, SandboxSpec
process = Sandbox().start(SandboxSpec(["sleep", "600"], python=False, network=True))
print("started", flush=True)
time.sleep(600)
"""


def test_slirp4netns_ends_when_its_owner_is_killed() -> None:
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert owner.stdout is not None and owner.stdout.readline() == b"started\n"
        slirps = [pid for pid in descendants(owner.pid)
                  if b"slirp4netns" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(slirps) == 1
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert wait_until_gone(slirps) == []  # its exit fd closed with the owner
