"""The pipes of `Sandbox.run`: feed stdin, keep the end of stdout and stderr, or spool stdout.

Output is read on threads so a command that fills one pipe while we write another cannot
deadlock, and only the last bytes are kept: a runaway log must not become our memory problem,
and the end of a log is where the error is. A command's product (a built wheel) can instead
come out whole on stdout into a host file that we write, up to a bound: so the command needs
no writable host directory, where unlinked files would escape every measure.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
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


class Spool(threading.Thread):
    """Copies a pipe into a host file, at most `limit` bytes; beyond, calls `overflow` (a kill)."""

    def __init__(self, pipe: IO[bytes], out: IO[bytes], limit: int | None, overflow: Callable[[], None]):
        super().__init__(name="sandbox-spool", daemon=True)
        self._pipe = pipe
        self._out = out
        self._limit = limit
        self._overflow = overflow
        self.size = 0
        self.overflowed = False
        self.start()

    def run(self) -> None:
        with self._pipe:
            while chunk := self._pipe.read1(1 << 16):  # type: ignore[attr-defined]
                if self._limit is not None and self.size + len(chunk) > self._limit:
                    self.overflowed = True
                    self._overflow()
                    return
                self._out.write(chunk)
                self.size += len(chunk)

    @property
    def data(self) -> bytes:
        return f"[{self.size} bytes written to the host file]".encode()
