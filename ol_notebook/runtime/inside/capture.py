"""A worker's stdout and stderr, whoever writes them: two memfds the host reads.

The zygote makes the two memfds before it forks a worker and hands them to the host with the
worker's pid; the worker makes them its descriptors 1 and 2 for its whole life, so print, C
extensions and subprocesses alike land there. The host reads them while a call runs (to stream
what it prints) and after it (the call's output), then empties them: nothing here reads or
cuts, so a call that printed nothing costs the worker one flush of each stream. O_APPEND makes
writes follow the host's truncation. sys.stdout is line-buffered as on a terminal, so prints
arrive as lines while the call runs, and prints and raw writes keep their order.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys

STREAMS = ("stdout", "stderr")


def make_outputs() -> list[int]:
    """The two memfds of a new worker (close-on-exec: the worker dups them to 1 and 2). Made without
    MFD_ALLOW_SEALING, so no code of the lambda's can seal them against the host's truncation."""
    return [os.memfd_create(name, os.MFD_CLOEXEC) for name in STREAMS]


def capture(outputs: list[int]) -> None:
    """Make `outputs` this process's stdout and stderr (inheritable: subprocesses write there too)."""
    for fd, memfd in enumerate(outputs, start=1):
        os.dup2(memfd, fd)
        os.close(memfd)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    with contextlib.suppress(Exception):  # the handler's import may have replaced it
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def flush() -> None:
    """What the call printed into Python's buffers goes to the memfds before the reply."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the handler may have closed or replaced them
            stream.flush()
