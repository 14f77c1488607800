"""Just enough rtnetlink to list IPv4 addresses, wait for one, and add `prohibit` routes.

Talking netlink directly (a socket and a few packed structs) rather than running `ip`: no
dependency on iproute2, and no process to start for each sandbox. A netlink socket acts on the
network namespace it was opened in, so a socket opened inside a sandbox's namespace (see
netns.py) reads and changes that namespace from here.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import os
import select
import socket
import struct
import time
from collections.abc import Iterator, Sequence

RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE = 20, 22, 24
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_DUMP = 0x1, 0x4, 0x200, 0x400, 0x300
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST = 1
RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_PROHIBIT = 254, 4, 0, 8
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP, RTNLGRP_IPV4_IFADDR = 270, 1, 2, 5

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefix length, flags, scope, interface index
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst/src length, tos, table, protocol, scope, type, flags
_RTATTR = struct.Struct("=HH")  # length, type
_sequence = itertools.count(1)

Address = ipaddress.IPv4Address


class NetlinkError(OSError):
    """The kernel refused a netlink request; errno and strerror say why."""


def open_route_socket() -> socket.socket:
    """An rtnetlink socket in the calling thread's network namespace."""
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)


def host_ipv4_addresses() -> list[Address]:
    """Every IPv4 address of every interface of this namespace, loopback ones excluded (a
    sandbox's own loopback answers for 127.0.0.0/8 inside it)."""
    with open_route_socket() as sock:
        return [address for address in dict.fromkeys(ipv4_addresses(sock)) if not address.is_loopback]


def ipv4_addresses(sock: socket.socket) -> Iterator[Address]:
    request = _IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)
    for kind, payload in _exchange(sock, [(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, request)]):
        if (address := _new_address(kind, payload)) is not None:
            yield address


def wait_for_address(sock: socket.socket, address: Address, gone_fd: int, timeout: float) -> bool:
    """True once `address` is on an interface of `sock`'s namespace (now, or as soon as it is
    added); False as soon as `gone_fd` (the pidfd of whoever would add it) turns readable;
    TimeoutError after `timeout` seconds of neither."""
    sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_IPV4_IFADDR)  # before the dump: none slips by
    try:
        if address in list(ipv4_addresses(sock)):  # a list: the whole dump must be read
            return True
        poll = select.poll()
        poll.register(sock, select.POLLIN)
        poll.register(gone_fd, select.POLLIN)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready = {fd for fd, _ in poll.poll(math.ceil(left * 1000))}
            if gone_fd in ready:
                return False
            if ready and any(_new_address(kind, payload) == address for kind, _, payload in _parse(sock.recv(1 << 16))):
                return True
        raise TimeoutError(f"{address} did not appear within {timeout:g} s")
    finally:
        sock.setsockopt(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, RTNLGRP_IPV4_IFADDR)


def add_prohibit_routes(sock: socket.socket, addresses: Sequence[Address]) -> None:
    """`ip route add prohibit ADDRESS/32` for each address, in one batch on `sock`: a
    connection to them then fails at once with EACCES inside the namespace."""
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    messages = []
    for address in dict.fromkeys(addresses):
        route = _RTMSG.pack(socket.AF_INET, 32, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE,
                            RTN_PROHIBIT, 0)
        messages.append((RTM_NEWROUTE, flags, route + _attribute(RTA_DST, address.packed)))
    for _ in _exchange(sock, messages):
        pass


def _new_address(kind: int, payload: bytes) -> Address | None:
    if kind != RTM_NEWADDR or payload[0] != socket.AF_INET:
        return None
    attributes = dict(_attributes(payload[_IFADDRMSG.size:]))
    raw = attributes.get(IFA_LOCAL) or attributes.get(IFA_ADDRESS)
    return Address(raw) if raw and len(raw) == 4 else None


def _exchange(sock: socket.socket, messages: list[tuple[int, int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """Send the messages at once; yield (type, payload) of every other message received until
    each request is acknowledged or its dump is done. A refused request raises NetlinkError."""
    pending = set()
    batch = b""
    for kind, flags, payload in messages:
        sequence = next(_sequence) & 0xFFFFFFFF
        pending.add(sequence)
        batch += _HEADER.pack(_HEADER.size + len(payload), kind, flags, sequence, 0) + payload
    sock.send(batch)  # one datagram: the kernel handles its messages in order, acking each
    while pending:
        for kind, sequence, payload in _parse(sock.recv(1 << 16)):
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from("=i", payload)
                pending.discard(sequence)
                if error:
                    raise NetlinkError(-error, os.strerror(-error))
            elif kind == NLMSG_DONE:
                pending.discard(sequence)
            else:
                yield kind, payload


def _parse(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, sequence, payload) of each message in one datagram."""
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, kind, _, sequence, _ = _HEADER.unpack_from(data, offset)
        if length < _HEADER.size:
            raise NetlinkError(0, "malformed netlink message")
        yield kind, sequence, data[offset + _HEADER.size:offset + length]
        offset += _align(length)


def _attributes(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size:
            return
        yield kind, data[offset + _RTATTR.size:offset + length]
        offset += _align(length)


def _attribute(kind: int, value: bytes) -> bytes:
    return _RTATTR.pack(_RTATTR.size + len(value), kind) + value + b"\0" * (_align(len(value)) - len(value))


def _align(length: int) -> int:
    return (length + 3) & ~3
