"""Events to frames and reply frames to results or errors, on the host."""

from __future__ import annotations

import json
from typing import Any

from ol_notebook.runtime.errors import (
    EventTooLarge,
    InvalidEvent,
    LambdaCrashed,
    LambdaError,
    LambdaRuntimeError,
    ResultNotSerializable,
    ResultTooLarge,
)
from ol_notebook.runtime.inside.frames import NOT_SERIALIZABLE, OK, RAISED, TOO_LARGE, pack
from ol_notebook.runtime.spec import Invocation, LambdaSpec

# Strict JSON (no NaN), compact; built once: json.dumps with options builds an encoder per call.
_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def encode_event(spec: LambdaSpec, event: Any) -> bytes:
    """The event frame, or InvalidEvent / EventTooLarge before anything is sent."""
    try:
        payload = _encode(event).encode()
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidEvent(spec.name, str(error)) from None
    if len(payload) > spec.max_event_bytes:
        raise EventTooLarge(spec.name, len(payload), spec.max_event_bytes)
    return pack(payload)


def decode_reply(spec: LambdaSpec, payload: bytes, printed: tuple[str, str], duration: float,
                 cold: bool) -> Invocation:
    """The Invocation of a reply frame and what the call `printed` (stdout, stderr), or the error
    the reply reports, carrying what was printed."""
    stdout, stderr = printed
    try:
        kind, body = json.loads(payload)
        if kind == OK:
            return Invocation(body, stdout, stderr, duration, cold, spec.version)
        error = _error(spec, kind, body)
    except RecursionError:  # the worker's stack ran deeper than ours can read back
        error = ResultNotSerializable(spec.name, "a value nested too deeply for a JSON reader")
    except (ValueError, TypeError):  # the handler can write to its socket: never trust a reply's shape
        error = LambdaCrashed(spec.name, "sent a reply the runtime cannot read: its worker is damaged")
    error.stdout, error.stderr = printed
    raise error


def _error(spec: LambdaSpec, kind: int, body: Any) -> LambdaRuntimeError:
    if kind == RAISED:
        type_name, message, traceback = body
        return LambdaError(spec.name, type_name, message, traceback)
    if kind == NOT_SERIALIZABLE:
        return ResultNotSerializable(spec.name, str(body))
    if kind == TOO_LARGE:
        return ResultTooLarge(spec.name, int(body), spec.max_result_bytes)
    raise ValueError(kind)
