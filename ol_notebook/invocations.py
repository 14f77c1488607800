"""The recent invocations of each lambda, as JSON lines beside its versions (`<name>/logs.jsonl`).

Files rather than memory, so `ol-notebook logs` in another process sees what a server's
lambdas did. The file stays open for appending: opening it per call cost a tenth of the
server's time per HTTP invocation. It is cut back to the newest LOG_LINES when it grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

LOG_LINES = 200
BYTES_BEFORE_TRIM = LOG_LINES * 4096


@dataclass(frozen=True)
class InvocationLog:
    at: float
    version: int
    duration: float
    cold: bool
    ok: bool
    error: str | None
    stdout: str
    stderr: str


class InvocationLogs:
    def __init__(self, root: Path):
        self.root = root
        self._open: dict[str, TextIO] = {}

    def append(self, name: str, record: InvocationLog) -> None:
        out = self._open.get(name)
        if out is None:
            out = self._open[name] = self._path(name).open("a", encoding="utf-8")
        out.write(json.dumps(vars(record)) + "\n")
        out.flush()
        if out.tell() > BYTES_BEFORE_TRIM:
            self.forget(name)
            lines = self._path(name).read_text(encoding="utf-8").splitlines()[-LOG_LINES:]
            self._path(name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def read(self, name: str, limit: int) -> list[InvocationLog]:
        """The newest `limit` records, newest last (also those other processes appended)."""
        try:
            lines = self._path(name).read_text(encoding="utf-8").splitlines()[-limit:]
        except FileNotFoundError:
            return []
        return [InvocationLog(**json.loads(line)) for line in lines]

    def forget(self, name: str) -> None:
        """Close the lambda's file (it is being trimmed or removed)."""
        out = self._open.pop(name, None)
        if out is not None:
            out.close()

    def close(self) -> None:
        for name in list(self._open):
            self.forget(name)

    def _path(self, name: str) -> Path:
        return self.root / name / "logs.jsonl"
