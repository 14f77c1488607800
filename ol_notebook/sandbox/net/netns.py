"""Open sockets inside a sandbox's network namespace from outside it, before the command runs.

A socket belongs to the namespace it was created in, whoever uses it later. So a netlink
socket made inside lets us add routes there (netlink.py), and a listener made inside on
127.0.0.1:PORT lets us serve that port to the sandbox from here (tunnel.py), while the
sandboxed command, which has no capabilities, can change neither.

Entering the namespace: with CAP_SYS_ADMIN (root) a short-lived thread joins it, which costs
well under a millisecond; a network namespace is per thread, so the rest of the process stays
outside. Without it (a server run by an ordinary user) one must first join the namespace's
user namespace, which the kernel allows only to a single-threaded process: the server has
threads, and forking a threaded Python is not safe, so a fresh interpreter runs this file
(`python -I -S netns.py`, stdlib only), joins both namespaces and sends the sockets back over
a unix socket (SCM_RIGHTS).
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
IP_FREEBIND = 15
HELPER_TIMEOUT = 30.0


@dataclass
class NamespaceSockets:
    """route: an rtnetlink socket of the namespace (or None); listeners: one per port, on 127.0.0.1."""

    route: socket.socket | None = None
    listeners: list[socket.socket] = field(default_factory=list)

    def close(self) -> None:
        for sock in [self.route, *self.listeners]:
            if sock is not None:
                sock.close()


def open_inside(netns_fd: int, userns_fd: int, ports: Sequence[int], route: bool) -> NamespaceSockets:
    """Sockets made inside the namespace `netns_fd` (owned by user namespace `userns_fd`)."""
    try:
        return _in_thread(netns_fd, ports, route)
    except PermissionError:
        return _in_helper(netns_fd, userns_fd, ports, route)


def make_sockets(ports: Sequence[int], route: bool) -> NamespaceSockets:
    """In the calling thread's namespace. IP_FREEBIND: the sandbox's loopback may not be up yet
    (bwrap raises it concurrently); the listener receives its connections once it is."""
    made = NamespaceSockets()
    try:
        if route:
            made.route = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        for port in ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            made.listeners.append(listener)
            listener.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(64)
    except BaseException:
        made.close()
        raise
    return made


def setns(fd: int, kind: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, kind)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, kind) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def _in_thread(netns_fd: int, ports: Sequence[int], route: bool) -> NamespaceSockets:
    outcome: list[NamespaceSockets | BaseException] = []

    def enter() -> None:  # the thread ends inside the namespace: nothing to undo
        try:
            setns(netns_fd, CLONE_NEWNET)
            outcome.append(make_sockets(ports, route))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=enter, name="sandbox-netns")
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _in_helper(netns_fd: int, userns_fd: int, ports: Sequence[int], route: bool) -> NamespaceSockets:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        argv = [sys.executable, "-I", "-S", os.path.abspath(__file__), str(netns_fd), str(userns_fd),
                str(theirs.fileno()), "route" if route else "-", *map(str, ports)]
        helper = subprocess.Popen(argv, pass_fds=(netns_fd, userns_fd, theirs.fileno()),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        theirs.close()
        try:
            _, said = helper.communicate(timeout=HELPER_TIMEOUT)
        except subprocess.TimeoutExpired:
            helper.kill()
            _, said = helper.communicate()
        # Sent before it exited, or nothing at all: then this reads the end of the stream.
        _, fds, _, _ = socket.recv_fds(ours, 16, 1 + len(ports))
        if helper.returncode != 0 or len(fds) != int(route) + len(ports):
            for fd in fds:
                os.close(fd)
            raise OSError(f"could not enter the sandbox's network namespace: {said.decode(errors='replace').strip()}")
    sockets = [socket.socket(fileno=fd) for fd in fds]
    return NamespaceSockets(sockets[0] if route else None, sockets[int(route):])


def _helper_main(argv: list[str]) -> None:
    netns_fd, userns_fd, reply_fd = map(int, argv[:3])
    ports = [int(port) for port in argv[4:]]
    setns(userns_fd, CLONE_NEWUSER)  # first: it grants the capabilities that joining the netns needs
    setns(netns_fd, CLONE_NEWNET)
    made = make_sockets(ports, argv[3] == "route")
    sockets = [sock for sock in [made.route, *made.listeners] if sock is not None]
    with socket.socket(fileno=reply_fd) as reply:
        socket.send_fds(reply, [b"ok"], [sock.fileno() for sock in sockets])


if __name__ == "__main__":
    _helper_main(sys.argv[1:])
