"""Show pull progress in a terminal: one line per finished package, a live status line on a TTY."""

from __future__ import annotations

from typing import TextIO

from ol_notebook.puller import PullEvent
from ol_notebook.sizes import format_size


class ProgressPrinter:
    """An event sink for `Puller.pull` that writes to a stream."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.live = stream.isatty()
        self.queued = 0
        self.finished = 0

    def __call__(self, event: PullEvent) -> None:
        if event.kind == "queued":
            self.queued += 1
            return
        if event.kind in ("done", "failed"):
            self.finished += 1
            if event.kind == "done":
                self._line(f"ok     {event.key}  {format_size(event.bytes_done)} in {event.seconds:.2f} s")
            else:
                self._line(f"FAILED {event.key}  {event.message}")
        elif self.live:
            amount = ""
            if event.kind == "downloading":
                amount = f" {format_size(event.bytes_done)}/{format_size(event.bytes_total)}"
            self.stream.write(f"\r\033[K[{self.finished}/{self.queued}] {event.kind} {event.key}{amount}")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.live else "") + text + "\n")
        self.stream.flush()
