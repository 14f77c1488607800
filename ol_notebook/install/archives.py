"""What `read_wheel` found in a wheel, remembered per wheel sha256.

Why: a batch starts only once its wheels' zip directories and RECORDs are read (which paths each
writes, whether it is fit to install). For the 15 wheels of requests + pandas + scikit-learn that
is about 50 ms of Python, all of it before uv starts and on every warm pull. A wheel's sha256 fixes
its bytes, so what they say never changes: the memo is read instead of the zip.

Trust: the memo sits in `<root>/archives/`, outside `work/`, so no sandbox sees it, writable or
not; the downloads cache it describes is trusted the same way (a cached file is found by its
sha256's path, not hashed again). Only wheels found fit are remembered: an unfit one is read, and
refused, every time. A memo that is unreadable or of another format counts as absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ol_notebook.atomic_write import write_atomic
from ol_notebook.store.distinfo import RecordRow
from ol_notebook.wheel_archive import WheelArchive, read_wheel

_FORMAT = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LISTS = ("members", "scripts", "record")


class ArchiveMemo:
    """`read_wheel`, remembered per wheel sha256 in one JSON file each (see the module's docstring)."""

    def __init__(self, directory: Path):
        self.directory = directory

    def read(self, wheel: Path, sha256: str | None) -> WheelArchive:
        """What `read_wheel(wheel)` gives; `sha256` is the wheel's own (None: not known, read it)."""
        if sha256 is None or not _SHA256.fullmatch(sha256):
            return read_wheel(wheel)
        if (known := self._load(sha256)) is not None:
            return known
        archive = read_wheel(wheel)
        if archive.problem is None:
            self._save(sha256, archive)
        return archive

    def _load(self, sha256: str) -> WheelArchive | None:
        try:
            body = json.loads((self.directory / f"{sha256}.json").read_text(encoding="utf-8"))
            if body["format"] != _FORMAT or not all(isinstance(body[key], list) for key in _LISTS):
                return None
            record = tuple(RecordRow(str(path), str(algorithm), str(digest), None if size is None else int(size))
                           for path, algorithm, digest, size in body["record"])
            return WheelArchive(int(body["unpacked_size"]), record, None,
                                tuple(map(str, body["members"])), tuple(map(str, body["scripts"])))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _save(self, sha256: str, archive: WheelArchive) -> None:
        body = {"format": _FORMAT, "unpacked_size": archive.unpacked_size, "members": archive.members,
                "scripts": archive.scripts,
                "record": [(row.path, row.algorithm, row.digest, row.size) for row in archive.record]}
        write_atomic(self.directory / f"{sha256}.json", json.dumps(body, separators=(",", ":")), durable=False)
