"""Errors of the sandbox layer.

A command that merely exits non-zero is not an error here: `Sandbox.run` returns its result
and the caller decides. These errors mean the sandbox itself could not run, or it stopped the
command because the command crossed one of its `Limits`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from ol_notebook.errors import OLError

if TYPE_CHECKING:
    from ol_notebook.sandbox.spec import SandboxResult


class SandboxError(OLError):
    """The sandbox could not run the command as asked."""


class SandboxUnavailable(SandboxError):
    """No usable bubblewrap on this machine: not installed, or it cannot create namespaces."""


class SandboxLimitError(SandboxError):
    """The command crossed a limit and the sandbox stopped it (or it failed against the limit).

    `how` names the mechanism that enforced the limit on this machine (a cgroup, an rlimit, the
    disk watcher), because the fix differs. `result` holds what the command printed before it
    was stopped when `Sandbox.run` captured it: a build log is often the only clue to why a
    package needs more.
    """

    limit: ClassVar[str]
    what: ClassVar[str]

    def __init__(self, argv: Sequence[str], value: float, how: str):
        self.argv = list(argv)
        self.value = value
        self.how = how
        self.result: SandboxResult | None = None
        shown = human_bytes(int(value)) if self.limit in ("memory", "disk") else f"{value:g}"
        # What happened, without the command or a remedy: a caller that knows the knob its own
        # users turn (a lambda's setting, a command-line option) words the remedy itself.
        self.problem = f"{self.what.format(shown)} ({how})"
        super().__init__(
            f"{short_command(argv)} {self.problem}. Raise Limits.{self.limit} if the command legitimately needs more."
        )


class SandboxTimeout(SandboxLimitError):
    limit = "timeout"
    what = "ran longer than the time limit of {} s and was killed with every process it started"


class SandboxMemoryExceeded(SandboxLimitError):
    limit = "memory"
    what = "needed more than the memory limit of {}"


class SandboxProcessLimitExceeded(SandboxLimitError):
    limit = "processes"
    what = "tried to run more than the limit of {} processes and threads at once"


class SandboxDiskExceeded(SandboxLimitError):
    limit = "disk"
    what = "wrote more than the disk limit of {} into its private /tmp and counted writable binds"


def human_bytes(n: int) -> str:
    """Limits are usually powers of two; show them the way they were probably written."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def short_command(argv: Sequence[str]) -> str:
    """The command on one line, cut short: `python -c` programs are long and multi-line."""
    text = shlex.join(argv).replace("\n", "\\n")
    return f"`{text[:200]}...`" if len(text) > 200 else f"`{text}`"
