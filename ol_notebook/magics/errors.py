"""How errors look in a notebook: the engine's message, and a lambda's own traceback, never the
frames of the magics that relayed them.

IPython shows an exception through its `_render_traceback_` when it has one (it looks the
attribute up on the value, so an instance attribute does). `rendered` sets one on the error
itself: its class stays exactly the engine's (`type(error) is LambdaError`, a clean MRO), so a
notebook can `except LambdaTimeout` and compare classes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from ol_notebook.errors import OLError

HANDLER_FRAME = re.compile(r'File "/handler/handler\.py", line (\d+)')

P = ParamSpec("P")
R = TypeVar("R")


class MagicError(OLError):
    """A magic was used wrongly (a bad event, a bad `# /// script` block): the message says how."""


class TracebackRenderer:
    """An error's `_render_traceback_`: its message, or a lambda's traceback in the lines of its cell."""

    def __init__(self, error: OLError, cell_line_offset: int | None):
        self.error = error
        # Where the lambda's code starts in the cell it came from: its tracebacks are shown in cell lines.
        self.cell_line_offset = cell_line_offset

    def __call__(self) -> list[str]:
        error = self.error
        headline = f"{type(error).__name__}: {error}"
        trace = getattr(error, "traceback", "")
        if not trace:
            return headline.splitlines()
        name = getattr(error, "lambda_name", "")
        lines = in_cell_lines(trace, name, self.cell_line_offset).splitlines()
        if lines and lines[0].startswith("Traceback"):
            lines[0] = f"Traceback in lambda {name!r} (most recent call last):"
        # A handler's traceback ends with its exception; a failed start says what failed first.
        return lines if getattr(error, "type", None) else [headline, *lines]


def rendered(error: OLError, cell_line_offset: int | None = None) -> OLError:
    """The same error, of the same class, shown cleanly by IPython."""
    renderer = vars(error).get("_render_traceback_")
    if not isinstance(renderer, TracebackRenderer):
        error._render_traceback_ = TracebackRenderer(error, cell_line_offset)  # type: ignore[attr-defined]
    elif cell_line_offset is not None:
        renderer.cell_line_offset = cell_line_offset
    return error


def shows_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Engine errors raised by `function` are shown by IPython without the magics' frames."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except OLError as error:
            raise rendered(error) from None

    return wrapper


def in_cell_lines(trace: str, name: str, offset: int | None) -> str:
    """A lambda's traceback with its handler's frames named after the cell they came from, in its lines."""
    if offset is None:
        return trace
    return HANDLER_FRAME.sub(lambda match: f'File "%%ol_lambda {name}", line {int(match.group(1)) + offset}', trace)
