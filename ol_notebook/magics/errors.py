"""How errors look in a notebook: the engine's message, and a lambda's own traceback, never the
frames of the magics that relayed them.

IPython shows an exception through its `_render_traceback_` method when it has one. Engine
errors keep their class (a notebook can still `except LambdaTimeout`); `rendered` only gives
them that method, through a subclass of their own class named like it.
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


class Rendered:
    """Mixin: shown by IPython as its message, or a lambda's traceback, instead of a Python traceback."""

    # Where the lambda's code starts in the cell it came from: its tracebacks are shown in cell lines.
    cell_line_offset: int | None = None

    def _render_traceback_(self) -> list[str]:
        headline = f"{type(self).__name__}: {self}"
        trace = getattr(self, "traceback", "")
        if not trace:
            return headline.splitlines()
        name = getattr(self, "lambda_name", "")
        lines = in_cell_lines(trace, name, self.cell_line_offset).splitlines()
        if lines and lines[0].startswith("Traceback"):
            lines[0] = f"Traceback in lambda {name!r} (most recent call last):"
        # A handler's traceback ends with its exception; a failed start says what failed first.
        return lines if getattr(self, "type", None) else [headline, *lines]


@functools.cache
def _rendered_class(cls: type[OLError]) -> type[OLError]:
    return type(cls.__name__, (cls, Rendered), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})


def rendered(error: OLError, cell_line_offset: int | None = None) -> OLError:
    """The same error, shown cleanly by IPython (its class becomes a subclass of its class)."""
    if not isinstance(error, Rendered):
        error.__class__ = _rendered_class(type(error))
    if cell_line_offset is not None:
        error.cell_line_offset = cell_line_offset
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
