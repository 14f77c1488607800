"""Run magics in a real shell and see what a notebook would: the value, the printed text, the displays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import RichOutput, capture_output


@dataclass
class Ran:
    value: Any
    stdout: str
    stderr: str
    displays: list[RichOutput]

    @property
    def texts(self) -> list[str]:
        """The plain text of every display and update, in order ("" for an emptied display)."""
        return [output.data.get("text/plain", "") for output in self.displays]


def capture(call: Callable[..., Any], *args: Any) -> Ran:
    """Call `call(*args)` as a cell would, capturing its output; exceptions propagate."""
    with capture_output() as captured:
        value = call(*args)
    return Ran(value, captured.stdout, captured.stderr, captured.outputs)


def line(shell: InteractiveShell, magic: str, text: str = "") -> Ran:
    return capture(shell.run_line_magic, magic, text)


def cell(shell: InteractiveShell, magic: str, text: str, body: str) -> Ran:
    return capture(shell.run_cell_magic, magic, text, body)


def run_cell(shell: InteractiveShell, source: str) -> Ran:
    """A whole cell, errors shown as IPython shows them (in `stdout`); `value` is the ExecutionResult."""
    return capture(shell.run_cell, source)
