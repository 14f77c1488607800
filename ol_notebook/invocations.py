"""The recent invocations of each lambda, as JSON lines beside its versions (`<name>/logs.jsonl`).

Files rather than memory, so `ol-notebook logs` in another process sees what a server's
lambdas did. The file stays open for appending: opening it per call cost a tenth of the
server's time per HTTP invocation.

Both a record and the file are bounded, because a handler decides how much it prints: a
record keeps the last TAIL_BYTES of stdout and of stderr (and the first of an error message),
with the bytes cut counted, so one line is at most RECORD_BYTES. Once the file passes
ROTATE_BYTES it is renamed to `logs.jsonl.1` (replacing the one before) and a new file starts:
a rename, never a rewrite, so appending costs the same on the event loop at any size, and the
two files together stay under 2 * (ROTATE_BYTES + RECORD_BYTES). Reading merges the two.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ol_notebook.runtime.output import CUT_MARK

TAIL_BYTES = 4096  # of stdout and of stderr kept per record (their end) and of an error message (its start)
# A kept byte is at most six in JSON (\u00XX); the rest of a record (numbers, the cut marks) is small.
RECORD_BYTES = 3 * 6 * TAIL_BYTES + 1024
ROTATE_BYTES = 1 << 20
LOG_NAME = "logs.jsonl"
ROTATED_SUFFIX = ".1"
# How the runtime (and this module) mark output cut at its start.
_CUT_MARK = re.compile(re.escape(CUT_MARK).replace(re.escape("{}"), r"(\d+)"))
logger = logging.getLogger(__name__)


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
    stdout_cut: int = 0  # bytes of the call's stdout not kept (its start)
    stderr_cut: int = 0

    @classmethod
    def from_json(cls, line: str) -> InvocationLog:
        data = json.loads(line)
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in known})


class InvocationLogs:
    def __init__(self, root: Path):
        self.root = root
        self._open: dict[str, TextIO] = {}

    def append(self, name: str, record: InvocationLog) -> None:
        """Add a record, bounded; rotate the file by rename once it passed ROTATE_BYTES. A log
        that cannot be written (a full disk, a lambda removed meanwhile) loses the record: the
        call's own outcome never depends on its log."""
        line = json.dumps(vars(bounded(record))) + "\n"  # ASCII: lone surrogates too
        try:
            out = self._open.get(name)
            if out is None:
                out = self._open[name] = self._path(name).open("a", encoding="utf-8")
            out.write(line)
            out.flush()
            if out.tell() > ROTATE_BYTES:
                self._rotate(name, out)
        except OSError as error:
            with contextlib.suppress(OSError):  # closing flushes, and may fail the same way
                self.forget(name)
            logger.warning("cannot log an invocation of lambda %r: %s", name, error)

    def read(self, name: str, limit: int) -> list[InvocationLog]:
        """The newest `limit` records, newest last (also those other processes appended).

        A line that does not parse (a writer killed mid-line) is skipped, not an error."""
        lines: list[str] = []
        for path in (self._path(name), self._rotated(name)):
            with contextlib.suppress(FileNotFoundError):
                lines[:0] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            if len(lines) >= limit:
                break
        records = []
        for line in lines[-limit:]:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                records.append(InvocationLog.from_json(line))
        return records

    def last(self, name: str) -> InvocationLog | None:
        """The newest record, or None: read from the end of the file, at most one record's bytes."""
        for path in (self._path(name), self._rotated(name)):
            with contextlib.suppress(FileNotFoundError), path.open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - RECORD_BYTES - 1))
                for line in reversed(log.read().decode("utf-8", "replace").splitlines()):
                    with contextlib.suppress(ValueError, TypeError, AttributeError):
                        return InvocationLog.from_json(line)
        return None

    def forget(self, name: str) -> None:
        """Close the lambda's file (it is being rotated or removed)."""
        out = self._open.pop(name, None)
        if out is not None:
            out.close()

    def close(self) -> None:
        for name in list(self._open):
            self.forget(name)

    def _rotate(self, name: str, out: TextIO) -> None:
        """Rename our file to logs.jsonl.1, unless another process rotated it already (then only reopen)."""
        path = self._path(name)
        try:
            ours = os.stat(path).st_ino == os.fstat(out.fileno()).st_ino
        except FileNotFoundError:
            ours = False
        self.forget(name)
        if ours:
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, self._rotated(name))

    def _path(self, name: str) -> Path:
        return self.root / name / LOG_NAME

    def _rotated(self, name: str) -> Path:
        return self.root / name / (LOG_NAME + ROTATED_SUFFIX)


def bounded(record: InvocationLog) -> InvocationLog:
    """The record with stdout and stderr cut to their last TAIL_BYTES and the error to its first."""
    stdout, stdout_cut = _tail(record.stdout)
    stderr, stderr_cut = _tail(record.stderr)
    error = record.error
    if error is not None and len(error) > TAIL_BYTES // 4:
        data = error.encode("utf-8", "replace")
        if len(data) > TAIL_BYTES:
            error = data[:TAIL_BYTES].decode("utf-8", "ignore") + f" [... {len(data) - TAIL_BYTES} bytes cut]"
    if (stdout_cut, stderr_cut, error) == (0, 0, record.error):
        return record
    changes: dict[str, Any] = {"stdout": stdout, "stderr": stderr, "error": error, "stdout_cut": stdout_cut,
                               "stderr_cut": stderr_cut}
    return dataclasses.replace(record, **changes)


def _tail(text: str) -> tuple[str, int]:
    """The last TAIL_BYTES of `text` (in UTF-8) behind a mark saying how much was cut, and that
    count (including what the runtime had cut already, which it marks the same way)."""
    if len(text) <= TAIL_BYTES // 4:  # no character takes more than four bytes
        return text, 0
    earlier = _CUT_MARK.match(text)
    already = int(earlier[1]) if earlier else 0
    data = (text[earlier.end():] if earlier else text).encode("utf-8", "replace")
    if len(data) <= TAIL_BYTES:
        return text, already
    kept = data[-TAIL_BYTES:].decode("utf-8", "ignore")
    cut = already + len(data) - len(kept.encode("utf-8", "replace"))
    return CUT_MARK.format(cut) + kept, cut
