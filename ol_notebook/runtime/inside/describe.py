"""An exception as plain values: what the host re-raises as LambdaError or LambdaStartError."""

from __future__ import annotations

import importlib

from . import RUNTIME_DIR


def describe(error: BaseException, limit: int) -> list[str]:
    """[type, message, traceback], each cut to `limit` characters, without the frames of the
    runtime or of importlib: the user should see their own code only."""
    import traceback  # only on errors: it costs milliseconds a cold start should not pay

    kind = type(error)
    name = type_name(kind)
    try:
        message = str(error)
    except Exception:  # a hostile __str__ must not take the worker down
        message = f"<unprintable {name}>"
    summary = traceback.TracebackException(kind, error, error.__traceback__)
    chained: traceback.TracebackException | None = summary
    while chained is not None:
        chained.stack = traceback.StackSummary.from_list([frame for frame in chained.stack if _users(frame.filename)])
        chained = chained.__cause__ or chained.__context__
    return [name, message[:limit], "".join(summary.format())[-limit:]]


def type_name(kind: type) -> str:
    """`ValueError` for builtins, `module.Name` for the rest: what a user would import."""
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _users(filename: str) -> bool:
    return not (filename.startswith((RUNTIME_DIR + "/", "<frozen importlib")) or filename == importlib.__file__)
