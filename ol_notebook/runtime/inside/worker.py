"""A worker: forked from the zygote with the handler already imported, it serves invocations
on its own socket, one at a time, until the host closes it."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

from .capture import flush
from .describe import describe, type_name
from .frames import NOT_SERIALIZABLE, OK, RAISED, TEXT_LIMIT, TOO_LARGE, pack, recv_frame
from .linger import Linger


class _Unserializable(Exception):
    pass


def _refuse(value: object) -> None:
    raise _Unserializable(f"an object of type {type_name(type(value))}")


_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":"), default=_refuse).encode
_text = json.JSONEncoder().encode


def serve(sock: socket.socket, handler: Callable[[Any], Any], max_result: int) -> None:
    """Calls until the host closes the socket; what they print goes to descriptors 1 and 2 (see capture)."""
    linger = Linger(sock)
    while (event := recv_frame(sock)) is not None:
        linger.got_event()
        sock.sendall(pack(invoke(handler, json.loads(event), max_result)))
        linger.after_reply()


def invoke(handler: Callable[[Any], Any], event: Any, max_result: int) -> bytes:
    """One call, as a reply frame's payload. Its output is flushed first: the host reads it once
    the reply arrives."""
    try:
        value = handler(event)
    except BaseException as error:  # SystemExit and KeyboardInterrupt too: the handler's, not ours
        kind, body = RAISED, _text(describe(error, TEXT_LIMIT))
    else:
        kind, body = _result(value, max_result)
    flush()
    # The result is encoded once, here, and spliced in: never decoded and re-encoded.
    return f"[{kind},{body}]".encode()


def _result(value: Any, max_result: int) -> tuple[int, str]:
    try:
        body = _encode(value)
    except (_Unserializable, TypeError, ValueError, RecursionError) as error:  # keys, NaN, cycles, depth
        return NOT_SERIALIZABLE, _text(str(error))
    if len(body) > max_result:  # ensure_ascii: characters are bytes
        return TOO_LARGE, str(len(body))
    return OK, body
