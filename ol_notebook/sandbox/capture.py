"""The pipes of `Sandbox.run`: feed stdin, keep the end of stdout and stderr.

Output is read on threads so a command that fills one pipe while we write another cannot
deadlock, and only the last bytes are kept: a runaway log must not become our memory problem,
and the end of a log is where the error is.
"""

from __future__ import annotations

import contextlib
import threading
from typing import IO

OUTPUT_TAIL = 64 << 10


class Tail(threading.Thread):
    """Reads a pipe to its end, keeping the last `limit` bytes."""

    def __init__(self, pipe: IO[bytes], limit: int = OUTPUT_TAIL):
        super().__init__(name="sandbox-output", daemon=True)
        self._pipe = pipe
        self._limit = limit
        self._buffer = bytearray()
        self.start()

    def run(self) -> None:
        with self._pipe:
            while chunk := self._pipe.read1(1 << 16):  # type: ignore[attr-defined]
                self._buffer += chunk
                if len(self._buffer) > 2 * self._limit:
                    del self._buffer[: -self._limit]

    @property
    def data(self) -> bytes:
        return bytes(self._buffer[-self._limit:])


class Feed(threading.Thread):
    """Writes bytes to a pipe and closes it; a command that stops reading just loses the rest."""

    def __init__(self, pipe: IO[bytes], data: bytes):
        super().__init__(name="sandbox-input", daemon=True)
        self._pipe = pipe
        self._data = data
        self.start()

    def run(self) -> None:
        with contextlib.suppress(OSError), self._pipe:  # BrokenPipeError: it stopped reading
            self._pipe.write(self._data)
