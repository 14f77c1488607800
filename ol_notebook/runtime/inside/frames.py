"""The wire format between host and sandbox.

Invocations travel over one stream socket per worker as frames: a 4-byte big-endian length,
then that many bytes of JSON. The event frame is the event itself. The reply frame is
`[kind, body]` with kind OK (body: the result), RAISED (body: [type, message,
traceback]), NOT_SERIALIZABLE (body: what could not be encoded) or TOO_LARGE (body: its size).
What a call prints is not in its reply: the host reads it from the worker's memfds (see capture).
One stream per worker and one call at a time on it keep a round trip at two small writes.

Control messages between host and zygote travel over a SOCK_SEQPACKET socket, one JSON object
per message, so that a worker's socket (to the zygote) and its two output memfds (back to the host) can ride
along as SCM_RIGHTS, and boundaries need no framing.
"""

from __future__ import annotations

import json
import os
import socket
import struct

HEADER = struct.Struct("!I")
OK, RAISED, NOT_SERIALIZABLE, TOO_LARGE = range(4)

# A call's reply carries at most this much of an exception's message and of its traceback; the host
# keeps as much of each of its stdout and stderr.
TEXT_LIMIT = 1 << 20
# Control messages carry at most this much text each: a seqpacket message must fit the socket buffer.
CONTROL_TEXT_LIMIT = 8 << 10
CONTROL_MESSAGE_MAX = 1 << 18
CONTROL_FDS_MAX = 2


class ProtocolError(Exception):
    """The other end sent something the protocol does not allow."""


def pack(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def reply_limit(max_result: int) -> int:
    """The largest reply frame a worker can legitimately send: the result, or an exception's two
    texts (JSON escapes make a byte up to six), and the brackets around them."""
    return max_result + 2 * 6 * TEXT_LIMIT + 1024


def recv_frame(sock: socket.socket) -> bytes | None:
    """Block for the next frame's payload; None when the other end has closed."""
    header = _recv_exactly(sock, HEADER.size)
    return None if header is None else _recv_exactly(sock, HEADER.unpack(header)[0])


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = sock.recv(size, socket.MSG_WAITALL)
    while len(data) < size:  # WAITALL returns early on a signal, or at end of stream
        more = sock.recv(size - len(data), socket.MSG_WAITALL)
        if not more:
            return None
        data += more
    return data


class FrameBuffer:
    """Bytes in as they arrive, whole payloads out; refuses frames longer than `limit`."""

    def __init__(self, limit: int):
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        if not self._buffer and len(data) >= HEADER.size:  # the usual case: one whole frame
            (size,) = HEADER.unpack_from(data)
            if len(data) == HEADER.size + size and size <= self.limit:
                return [data[HEADER.size:]]
        self._buffer += data
        payloads = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > self.limit:
                raise ProtocolError(f"a frame of {size} bytes, over the limit of {self.limit}")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            payloads.append(bytes(self._buffer[HEADER.size:end]))
            del self._buffer[:end]
        return payloads


def send_message(sock: socket.socket, message: dict, fds: list[int] | tuple[int, ...] = ()) -> None:
    socket.send_fds(sock, [json.dumps(message).encode()], list(fds))


def recv_message(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """The next control message and the descriptors it carried (close-on-exec); None at the end."""
    data, fds, flags, _ = socket.recv_fds(sock, CONTROL_MESSAGE_MAX, CONTROL_FDS_MAX, socket.MSG_CMSG_CLOEXEC)
    if not data:
        return None, fds
    try:
        message = _parse(data, flags)
    except ProtocolError:
        for fd in fds:
            os.close(fd)
        raise
    return message, fds


def _parse(data: bytes, flags: int) -> dict:
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        raise ProtocolError("a control message longer than allowed")
    try:
        message = json.loads(data)
    except ValueError as error:
        raise ProtocolError(f"an unreadable control message: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a control message that is not a JSON object")
    return message
