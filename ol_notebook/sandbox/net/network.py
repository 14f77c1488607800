"""A sandbox's own network, set up between bwrap's clone and the gate that lets the command run.

network=True gives egress (internet and DNS) through slirp4netns, a user-space TCP/IP stack
made for exactly this: the sandbox's traffic leaves through a tap device into slirp4netns,
which makes ordinary sockets on the host. bwrap is started with --unshare-net and reports its
child's pid; we open /proc/PID/ns/net and its owning user namespace (ioctl NS_GET_USERNS:
attaching by pid is racy, bwrap may move the child into a second user namespace) and hand both
to slirp4netns as /proc/self/fd paths. Then, before the gate opens:

- `--disable-host-loopback` stops slirp's gateway (10.0.2.2) from leading to the host's
  127.0.0.1. It does not stop a connection to the host's *other* addresses (eth0's 192.0.2.2,
  a docker bridge): slirp4netns would make that connection on the host, which answers it
  like any local one, so services listening on 0.0.0.0 would be reachable. Hence a `prohibit`
  route inside the namespace for every IPv4 address the host has when the sandbox starts
  (netlink.py): such connections fail at once with EACCES. The command has no capabilities,
  so it cannot remove them.
- IPv6 is off (slirp4netns without --enable-ipv6): the only IPv6 is the namespace's own.
- Abstract unix sockets belong to a network namespace: a new one has none of the host's.

slirp4netns itself (its flags, its lifetime) is slirp.py's. Loopback ports
(`SandboxSpec.loopback_ports`) are served by tunnel.py, with or without egress.
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
from collections.abc import Sequence
from pathlib import Path

from ol_notebook.sandbox.errors import SandboxError
from ol_notebook.sandbox.net.netlink import Address, add_prohibit_routes, host_ipv4_addresses, wait_for_address
from ol_notebook.sandbox.net.netns import open_inside
from ol_notebook.sandbox.net.slirp import READY_TIMEOUT, Slirp, find_slirp4netns
from ol_notebook.sandbox.net.tunnel import Tunnel
from ol_notebook.sandbox.spec import SandboxSpec

NS_GET_USERNS = 0xB701  # _IO(0xb7, 0x1) from linux/nsfs.h
SLIRP_RESOLV_CONF = Path(__file__).with_name("slirp-resolv.conf")  # slirp's DNS forwarder, 10.0.2.3
LOOPBACK = Address("127.0.0.1")


def resolver_args(network: object) -> list[str]:
    """bwrap arguments that point an egress sandbox's resolver at slirp's DNS forwarder, where
    the host's own resolver listens on its loopback (systemd-resolved's 127.0.0.53): the
    sandbox's 127.0.0.53 is its own. Placed after the system view's /etc/resolv.conf."""
    if network is True and host_resolver_on_loopback():
        return ["--ro-bind", str(SLIRP_RESOLV_CONF), "/etc/resolv.conf"]
    return []


def host_resolver_on_loopback(resolv_conf: Path = Path("/etc/resolv.conf")) -> bool:
    try:
        lines = resolv_conf.read_text(errors="replace").splitlines()
    except OSError:
        return False
    servers = [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]
    return any(server.startswith("127.") or server == "::1" for server in servers)


class SandboxNetwork:
    """What one sandbox's network needs beyond bwrap's flags; `attach` it to bwrap's child
    before the gate opens, `close` it when the sandbox has ended."""

    def __init__(self, slirp4netns: str | None, loopback_ports: Sequence[int]):
        self.slirp4netns = slirp4netns
        self.loopback_ports = tuple(loopback_ports)
        self._slirp: Slirp | None = None
        self._tunnel: Tunnel | None = None
        self._lock = threading.Lock()  # close() comes from settle() and from a failed attach()

    @classmethod
    def plan(cls, spec: SandboxSpec) -> SandboxNetwork | None:
        """None when bwrap's flags are all it takes; refuses network=True without slirp4netns
        before anything starts."""
        if spec.network is not True and not spec.loopback_ports:
            return None
        return cls(find_slirp4netns() if spec.network is True else None, spec.loopback_ports)

    def attach(self, child_pid: int) -> None:
        """Give bwrap's child (blocked before the command) its egress, routes and tunnels."""
        try:
            gone = os.pidfd_open(child_pid)
        except ProcessLookupError:
            return  # bwrap's child has failed already: bwrap's exit says why
        try:
            netns = os.open(f"/proc/{child_pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        except OSError as error:
            os.close(gone)
            if isinstance(error, FileNotFoundError):
                return
            raise SandboxError(f"cannot open the sandbox's network namespace: {error}") from error
        try:
            if _has_ended(gone):  # then that pid, and so that namespace, may be another's
                return
            userns = fcntl.ioctl(netns, NS_GET_USERNS)  # a new descriptor, close-on-exec
            try:
                self._attach(netns, userns, gone)
            finally:
                os.close(userns)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(netns)
            os.close(gone)

    def _attach(self, netns: int, userns: int, gone: int) -> None:
        try:
            sockets = open_inside(netns, userns, self.loopback_ports, route=self.slirp4netns is not None)
        except OSError as error:
            raise SandboxError(f"cannot set up the sandbox's network namespace: {error}") from error
        if sockets.listeners:
            self._tunnel = Tunnel(sockets.listeners)
        if sockets.route is None:
            return
        with sockets.route:
            try:
                # bwrap's child adds 127.0.0.1 to its loopback with NLM_F_EXCL, while slirp4netns
                # --configure sets that loopback up, which adds 127.0.0.1 by itself: started
                # first, slirp4netns would make bwrap fail ("loopback: Failed RTM_NEWADDR").
                if not wait_for_address(sockets.route, LOOPBACK, gone, READY_TIMEOUT):
                    return  # bwrap's child has failed: bwrap's exit says why
                assert self.slirp4netns is not None
                slirp = self._slirp = Slirp(self.slirp4netns, netns, userns)
                add_prohibit_routes(sockets.route, host_ipv4_addresses())
            except OSError as error:  # TimeoutError and NetlinkError included
                raise SandboxError(f"cannot set up the sandbox's network: {error}") from error
        slirp.wait_ready()

    def close(self) -> None:
        """End the tunnel and slirp4netns; safe to call again, and from another thread."""
        with self._lock:
            tunnel, self._tunnel = self._tunnel, None
            slirp, self._slirp = self._slirp, None
        if tunnel:
            tunnel.close()
        if slirp:
            slirp.stop()


def _has_ended(pidfd: int) -> bool:
    poll = select.poll()
    poll.register(pidfd, select.POLLIN)
    return bool(poll.poll(0))
