"""A worker's stdout and stderr, per invocation, whoever writes them.

File descriptors 1 and 2 are memfds for the worker's life, so print, C extensions and
subprocesses alike land there. After each call the runtime reads what was written and empties
them. O_APPEND makes writes follow the truncation, so no seek is needed; a call that printed
nothing costs two fstat calls. sys.stdout is line-buffered as on a terminal, so that prints
and raw writes keep their order.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys

STREAMS = ((1, "stdout"), (2, "stderr"))
# What stands before an output whose start was cut: the host's log reads and writes the same mark.
CUT_MARK = "[... {} bytes cut ...]\n"


class Capture:
    def __init__(self, limit: int):
        self.limit = limit
        for fd, name in STREAMS:
            memfd = os.memfd_create(name)
            os.dup2(memfd, fd)  # inheritable: subprocesses write into it too
            os.close(memfd)
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
        with contextlib.suppress(Exception):  # the handler's import may have replaced it
            sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def collect(self) -> tuple[str, str]:
        """What was written since the last call: the last `limit` bytes of each stream."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the handler may have closed or replaced them
                stream.flush()
        return self._take(1), self._take(2)

    def _take(self, fd: int) -> str:
        try:
            size = os.fstat(fd).st_size
            if not size:
                return ""
            data = os.pread(fd, min(size, self.limit), max(0, size - self.limit))
            os.ftruncate(fd, 0)
        except OSError:  # the handler closed or replaced the descriptor: nothing to report
            return ""
        text = data.decode(errors="replace")
        return text if size <= self.limit else CUT_MARK.format(size - self.limit) + text
