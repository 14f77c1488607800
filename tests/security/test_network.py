"""Attacks from a network-on lambda on the host's network (issue 8, break 3).

With the host's network namespace shared, a lambda subscribed to a running kernel's iopub port
(iopub needs no key) and read the notebook's cells, secrets included; it reached every loopback
service, the host's own addresses and its abstract unix sockets, and could publish ports on the
host. Each attack runs for real against network=True (which must hold) and against
network="host" (the explicit opt-in, where it must still work: proof that the attack is real).
Egress itself is tested against a host the test makes in a network namespace of its own.
"""

from __future__ import annotations

import ast
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.index import IndexConfig, IndexConfigError
from ol_notebook.index.config import IndexAccess
from ol_notebook.sandbox import PYTHON, Sandbox, SandboxSpec
from tests.engine import make_service
from tests.jupyter_fixtures import running_kernel
from tests.runtime.conftest import Engine
from tests.sandbox.test_unprivileged import SYSTEM_PYTHON, run_as_unprivileged, world_readable_tree  # noqa: F401

SECRET = f"sk-test-{uuid.uuid4().hex}"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
OUTSIDE_NET = "10.203.0"  # the test's own "internet": a veth pair into a namespace the test creates

PROBE = """
import socket

def attempt(family, address):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(address)
        return "connected"
    except OSError as error:
        return type(error).__name__

def f(event):
    return {
        "loopback": attempt(socket.AF_INET, ("127.0.0.1", event["loopback"])),
        "host address": attempt(socket.AF_INET, (event["address"], event["address_port"])),
        "abstract socket": attempt(socket.AF_UNIX, "\\0" + event["abstract"]),
    }
"""

# A ZMTP 3.0 SUB peer in the standard library only: what a lambda needs to read a kernel's iopub.
IOPUB_SUBSCRIBER = """
import socket, struct, time

def exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the publisher hung up")
        data += chunk
    return data

def frame(s):
    flags = exactly(s, 1)[0]
    size = struct.unpack(">Q", exactly(s, 8))[0] if flags & 0x02 else exactly(s, 1)[0]
    return exactly(s, size)

def f(event):
    try:
        s = socket.create_connection((event["ip"], event["port"]), timeout=5)
    except OSError as error:
        return {"connected": False, "error": type(error).__name__, "heard": ""}
    s.sendall(b"\\xff" + b"\\0" * 8 + b"\\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\\0") + b"\\0" * 32)
    exactly(s, 64)
    ready = b"\\x05READY" + b"\\x0bSocket-Type" + struct.pack(">I", 3) + b"SUB"
    s.sendall(bytes([0x04, len(ready)]) + ready)
    frame(s)  # the publisher's READY
    s.sendall(b"\\x00\\x01\\x01")  # subscribe to every topic
    heard, deadline = b"", time.monotonic() + 30
    while b"API_KEY" not in heard and time.monotonic() < deadline:
        heard += frame(s)
    return {"connected": True, "error": "", "heard": heard.decode(errors="replace")}
"""

LISTEN = """
import socket

held = []

def f(event):
    server = socket.create_server(("0.0.0.0", 0))
    held.append(server)  # stays open while the worker lives
    return server.getsockname()[1]
"""

FETCH = """
import urllib.request

def f(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.read().decode()
    except OSError as error:
        return type(error).__name__
"""


def host_address() -> str:
    """An IPv4 address of the host other than loopback (eth0's), found independently of the product."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True,
                           check=True).stdout
    addresses = [line.split()[3].split("/")[0] for line in shown.splitlines()
                 if not line.split()[3].startswith(OUTSIDE_NET + ".")]
    assert addresses, "the host has no non-loopback IPv4 address to attack"
    return addresses[0]


@pytest.mark.parametrize(("network", "reached"), [(True, False), ("host", True)])
def test_host_services_are_out_of_reach(engine: Engine, make_lambda, network: Any, reached: bool) -> None:
    address = host_address()
    abstract = f"ol-test-{uuid.uuid4().hex}"
    with socket.create_server(("127.0.0.1", 0)) as loopback, socket.create_server((address, 0)) as on_address, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.bind("\0" + abstract)
        unix.listen()
        event = {"loopback": loopback.getsockname()[1], "address": address,
                 "address_port": on_address.getsockname()[1], "abstract": abstract}
        outcome = engine.invoke(make_lambda(PROBE, network=network, timeout=40.0), event).value
    if reached:  # the opt-in gives it all away, as documented: the attack is real
        assert outcome == {"loopback": "connected", "host address": "connected", "abstract socket": "connected"}
    else:  # each refused at once, none left to time out
        assert outcome == {"loopback": "ConnectionRefusedError", "host address": "PermissionError",
                           "abstract socket": "ConnectionRefusedError"}


@pytest.fixture(scope="module")
def kernel() -> Iterator[tuple[dict[str, Any], Any]]:
    """A real ipykernel, its connection info, and a client to run cells with."""
    with running_kernel() as (manager, client):
        yield manager.get_connection_info(), client


@pytest.mark.parametrize(("network", "reached"), [(True, False), ("host", True)])
def test_a_kernels_iopub_cannot_be_read(engine: Engine, make_lambda, kernel, network: Any, reached: bool) -> None:
    info, client = kernel
    stop = threading.Event()

    def notebook_cells() -> None:  # the user keeps working while the lambda listens
        while not stop.wait(0.3):
            client.execute(f"API_KEY = {SECRET!r}\nprint('calling the API with', API_KEY)")

    cells = threading.Thread(target=notebook_cells, daemon=True)
    cells.start()
    try:
        outcome = engine.invoke(make_lambda(IOPUB_SUBSCRIBER, network=network, timeout=40.0),
                                {"ip": info["ip"], "port": info["iopub_port"]}).value
    finally:
        stop.set()
        cells.join()
    if reached:
        assert outcome["connected"] and SECRET in outcome["heard"]
    else:
        assert outcome == {"connected": False, "error": "ConnectionRefusedError", "heard": ""}
    for name in ("shell_port", "stdin_port", "control_port", "hb_port"):
        probe = engine.invoke(make_lambda(PROBE, network=network, timeout=40.0), {
            "loopback": info[name], "address": host_address(), "address_port": info[name], "abstract": "none"})
        assert (probe.value["loopback"] == "connected") is reached


@pytest.mark.parametrize(("network", "visible"), [(True, False), ("host", True)])
def test_a_lambda_cannot_publish_a_port_on_the_host(engine: Engine, make_lambda, network: Any,
                                                     visible: bool) -> None:
    port = engine.invoke(make_lambda(LISTEN, network=network, timeout=40.0), None).value
    for address in ("127.0.0.1", host_address()):
        try:
            socket.create_connection((address, port), timeout=5).close()
            reached = True
        except ConnectionRefusedError:
            reached = False
        assert reached is visible, address


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def outside_host(tmp_path: Path) -> Iterator[str]:
    """http://10.203.0.2:8080/ served from a network namespace made here, reached from the host
    through a veth pair: a stand-in for the internet that never leaves this machine."""
    if os.geteuid() != 0:
        pytest.skip("making a network namespace with `ip netns` needs root")
    tag = f"{os.getpid() % 100000}"
    namespace, host_end, far_end = f"ol-outside-{tag}", f"olh{tag}", f"olf{tag}"
    (tmp_path / "hello.txt").write_text(f"hello from outside {tag}")
    _ip("netns", "add", namespace)
    server = None
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", far_end)
        _ip("link", "set", far_end, "netns", namespace)
        _ip("addr", "add", f"{OUTSIDE_NET}.1/24", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("-n", namespace, "addr", "add", f"{OUTSIDE_NET}.2/24", "dev", far_end)
        _ip("-n", namespace, "link", "set", far_end, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        server = subprocess.Popen(
            ["ip", "netns", "exec", namespace, sys.executable, "-m", "http.server", "--bind", f"{OUTSIDE_NET}.2",
             "--directory", str(tmp_path), "8080"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30  # a liveness bound for the server's start, not a speed claim
        while True:
            try:
                socket.create_connection((f"{OUTSIDE_NET}.2", 8080), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the outside server did not start"
                time.sleep(0.05)
        yield f"http://{OUTSIDE_NET}.2:8080/hello.txt"
    finally:
        if server:
            server.kill()
            server.wait()
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", host_end)
        _ip("netns", "del", namespace)


def test_network_on_reaches_the_outside(engine: Engine, make_lambda, outside_host: str) -> None:
    expected = f"hello from outside {os.getpid() % 100000}"
    assert engine.invoke(make_lambda(FETCH, network=True, timeout=40.0), outside_host).value == expected
    assert engine.invoke(make_lambda(FETCH, network=False, timeout=40.0), outside_host).value == "URLError"


CONNECT = """
import socket, sys
for port in sys.argv[1:]:
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
        print(port, "connected")
    except OSError as error:
        print(port, type(error).__name__)
"""


@pytest.mark.parametrize(("options", "access"), [
    ({}, IndexAccess(egress=True)),
    ({"index_url": "https://pypi.example/simple/"}, IndexAccess(egress=True)),
    ({"index_url": "http://127.0.0.1:3141/root/pypi/+simple/"}, IndexAccess(loopback_ports=(3141,))),
    ({"index_url": "http://localhost/simple/"}, IndexAccess(loopback_ports=(80,))),
    ({"mirror": "https://localhost:8443/simple/"}, IndexAccess(loopback_ports=(8443,))),
    ({"index_url": "file:///srv/simple/"}, IndexAccess()),
])
def test_each_index_gets_just_the_network_it_needs(options: dict, access: IndexAccess,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert IndexConfig.from_options(**options).sandbox_access() == access


def test_a_proxy_on_loopback_is_tunnelled_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """uv keeps the proxy variables: a proxy on the host's loopback must stay reachable."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("https_proxy", "http://localhost:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:8080")  # elsewhere: egress reaches it
    assert IndexConfig().sandbox_access() == IndexAccess(egress=True, loopback_ports=(3128,))
    loopback = IndexConfig.from_options(index_url="http://127.0.0.1:3141/simple/")
    assert loopback.sandbox_access() == IndexAccess(loopback_ports=(3141, 3128))


@pytest.mark.parametrize("url", ["http://[::1]:3141/simple/", "http://127.0.0.2:3141/simple/"])
def test_an_index_on_another_loopback_address_is_refused(url: str) -> None:
    with pytest.raises(IndexConfigError, match=r"sandboxes reach the host's loopback only at 127\.0\.0\.1"):
        IndexConfig.from_options(index_url=url)


def test_the_index_on_loopback_and_nothing_else(sandbox: Sandbox, local_index, canary) -> None:
    access = IndexConfig.from_options(index_url=local_index.url).sandbox_access()
    assert access.egress is False and access.loopback_ports == (local_index.server.address[1],)
    fetch = "import sys, urllib.request\nprint(urllib.request.urlopen(sys.argv[1], timeout=10).status)"
    before = canary.connections
    spec = {"network": access.egress, "loopback_ports": access.loopback_ports}
    assert sandbox.run(SandboxSpec([PYTHON, "-c", fetch, local_index.url], **spec)).stdout == b"200\n"
    probe = sandbox.run(SandboxSpec([PYTHON, "-c", CONNECT, str(canary.port)], **spec))
    assert probe.stdout == f"{canary.port} ConnectionRefusedError\n".encode()
    assert canary.connections == before


def test_a_hostile_build_reaches_the_loopback_index_and_not_the_canary(tmp_path: Path, local_index, canary) -> None:
    """evil-net's build backend connects to the canary and to the index server (both on the
    host's loopback); before this fix it shared the host's network and reached both."""
    service = make_service(tmp_path / "store", IndexConfig.from_options(index_url=local_index.url))
    before = canary.connections
    entry = service.pull(service.compile(["evil-net"])).entries["evil-net==1.0"]
    assert canary.connections == before
    lines = (entry.files / "evil_net" / "__init__.py").read_text().splitlines()
    outcome = ast.literal_eval(next(line for line in lines if line.startswith("NET = ")).removeprefix("NET = "))
    host, port = local_index.server.address
    assert outcome[f"{host}:{port}"] == "connected"
    assert outcome[f"{canary.host}:{canary.port}"].startswith("ConnectionRefusedError")


ROOTLESS = r"""
import json, socket, sys, threading
from ol_notebook.sandbox import Sandbox, SandboxError, SandboxSpec

wanted, other = socket.create_server(("127.0.0.1", 0)), socket.create_server(("127.0.0.1", 0))
threading.Thread(target=lambda: wanted.accept(), daemon=True).start()
ports = [str(sock.getsockname()[1]) for sock in (wanted, other)]
sandbox = Sandbox()
outcomes = {}
for network in (False, True):
    spec = SandboxSpec([sys.executable, "-c", CONNECT, *ports], network=network, loopback_ports=(int(ports[0]),))
    try:
        outcomes[str(network)] = sandbox.run(spec).stdout.decode().split()[1::2]
    except SandboxError as error:
        outcomes[str(network)] = str(error)
print(json.dumps(outcomes))
"""


@pytest.mark.skipif(not os.path.exists(SYSTEM_PYTHON), reason=f"needs the system interpreter {SYSTEM_PYTHON}")
def test_an_ordinary_user_gets_the_tunnel_and_egress_or_a_clear_refusal(world_readable_tree: Path) -> None:  # noqa: F811
    """Run by an ordinary user, the sockets inside are made by a helper process (netns.py)."""
    outcomes = run_as_unprivileged(world_readable_tree, f"CONNECT = {CONNECT!r}\n{ROOTLESS}")
    assert outcomes["False"] == ["connected", "ConnectionRefusedError"]
    if isinstance(outcomes["True"], str):  # slirp4netns cannot run for this user here: it must say why
        assert "slirp4netns could not give the sandbox its network" in outcomes["True"]
        if os.stat("/dev/net/tun").st_mode & 0o006 != 0o006:  # as here: crw------- root
            assert "/dev/net/tun must be readable and writable by this user" in outcomes["True"]
    else:
        assert outcomes["True"] == ["connected", "ConnectionRefusedError"]
