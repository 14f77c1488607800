"""What a worker prints, read on the host from the worker's two memfds (see inside/capture).

The host holds its own descriptors of the memfds, so what a call printed is there to read
while it runs (streaming), once it replies (its output), and after its worker died or was
killed for a timeout or a cancellation (the output the error carries). Reads are bounded:
a call keeps at most TEXT_LIMIT bytes of each stream (its end), and a stream read while
the call runs skips ahead when the lambda prints faster than its reader takes, saying how
much it skipped. The descriptors come from the sandbox, so each is checked to be a memfd
before it is read.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
from collections.abc import Callable

from ol_notebook.runtime.inside.capture import STREAMS
from ol_notebook.runtime.inside.frames import TEXT_LIMIT

# What stands before an output whose start was cut: the invocation log reads and writes the same mark.
CUT_MARK = "[... {} bytes cut ...]\n"
# What stands where a streamed output skipped bytes it could not keep up with.
SKIP_MARK = "[... {} bytes skipped ...]\n"
# Bytes of one stream sent per read while a call runs; more waiting than STREAM_BACKLOG is skipped.
STREAM_CHUNK = 64 << 10
STREAM_BACKLOG = 1 << 20

OutputSink = Callable[[str, str], None]  # (stream: "stdout" | "stderr", text)


def is_memfd(fd: int) -> bool:
    """A descriptor the sandbox sent is a memfd (a regular file of no file system), nothing else."""
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:")
    except OSError:
        return False


class WorkerOutput:
    """The two memfds of one worker, and how far the current call's output was streamed."""

    def __init__(self, fds: list[int]):
        self._fds = fds
        self._streamed = [0, 0]
        self._decoders = [_decoder(), _decoder()]

    def stream(self, sink: OutputSink) -> None:
        """Send `sink` what each stream got since the last read (at most STREAM_CHUNK of each)."""
        for index, fd in enumerate(self._fds):
            with contextlib.suppress(OSError):
                self._send_new(index, os.fstat(fd).st_size, sink)

    def collect(self, sink: OutputSink | None = None) -> tuple[str, str]:
        """The call's stdout and stderr (the last TEXT_LIMIT bytes of each, behind a mark saying how
        much was cut), after sending `sink` what it has not had yet; then empty the memfds for the
        next call. Nothing once closed."""
        if not self._fds:
            return "", ""
        return self._take(0, sink), self._take(1, sink)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []

    def _send_new(self, index: int, size: int, sink: OutputSink) -> None:
        offset = self._streamed[index]
        if size <= offset:
            return
        skipped = max(0, size - offset - STREAM_BACKLOG)
        data = os.pread(self._fds[index], min(size - offset - skipped, STREAM_CHUNK), offset + skipped)
        self._streamed[index] = offset + skipped + len(data)
        text = self._decoders[index].decode(data)
        if skipped:
            text = SKIP_MARK.format(skipped) + text
        if text:
            sink(STREAMS[index], text)

    def _take(self, index: int, sink: OutputSink | None) -> str:
        fd = self._fds[index]
        try:
            size = os.fstat(fd).st_size  # one fstat for both: a call that printed nothing costs no more
            if not size:
                return ""
            if sink is not None:
                self._send_new(index, size, sink)
            data = os.pread(fd, min(size, TEXT_LIMIT), max(0, size - TEXT_LIMIT))
            os.ftruncate(fd, 0)
        except OSError:
            return ""
        finally:
            self._streamed[index] = 0
            self._decoders[index].reset()
        text = data.decode(errors="replace")
        return text if size <= TEXT_LIMIT else CUT_MARK.format(size - TEXT_LIMIT) + text


def _decoder() -> codecs.IncrementalDecoder:
    """UTF-8 read in pieces: a character split between two reads is decoded whole."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace")
