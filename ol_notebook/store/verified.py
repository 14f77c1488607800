"""A memo of the install cache's files whose content publish has already hashed, per wheel.

Why: a warm install hard-links every file from uv's cache (`work/uv-cache`), so publishing
the same wheel again (after gc, a remove, or in another runtime's store) re-hashed the very
same inodes against the very same RECORD digests: most of a warm pull's time. The memo lets
publish skip hashing a file whose inode it has hashed before against the digest RECORD asks
for now, and still hash every file it has not (`survey`'s `known`).

What it records: for each file of an install of one wheel (`verified/<wheel sha256>.json`, one
file per wheel: no lock, an atomic replace, any writer's version is right) that publish found
equal to its RECORD digest and that is a hard link (link count above 1: a file of the cache),
its (st_dev, st_ino, st_size, st_mtime_ns) and that digest. A staged file counts as hashed when
all five are equal. Not ctime: every new hard link (each warm install) and every unlink (a
removed entry) changes it, so a memo keyed on it would never hit.

Why that is safe, by who can write those inodes after they were hashed:
- wheel-install sandboxes, where uv writes the cache: uv writes a new cache entry into a
  temporary directory and renames it into place, so it makes new inodes and never opens a
  cached file for writing; a new inode misses the memo. No package code runs there (see
  puller.py), and a compromised uv could already write any files, with a RECORD to match, into
  its own staging directory, which publish checks: the memo gives it nothing more.
- sandboxes that run package code (sdist builds, metadata builds) never see the cache, and
  lambdas see store entries read-only.
- this user's processes on the host, and root. Any write through the file system changes
  mtime (a truncating rewrite, usually size too); a tool that rewrites a file in place and then
  puts its mtime back (`cp -p` onto it, `os.utime`) is a deliberate act of someone who can
  equally rewrite the cache's RECORD, the memo, or a published entry and its records, so it is
  outside what the store defends against (it is a detector of accidents and of sandboxes, not
  a defence against its owner). The stat signature `check_entries` compares keeps ctime for
  published entries, where nothing legitimate links; and `verify` re-hashes everything.
- a recycled inode number (a cache file deleted, another made) has the mtime of its making,
  later than any the memo holds unless someone sets it back (the case above).
The memo lives in `<root>/verified`, outside `work/`: no sandbox has it mounted, writable or not.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ol_notebook.atomic_write import write_atomic
from ol_notebook.store.distinfo import RecordRow

_FORMAT = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")

Signature = tuple[int, int, int, int, str]  # st_dev, st_ino, st_size, st_mtime_ns, "algorithm=digest"


def file_signature(info: os.stat_result, row: RecordRow) -> Signature:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, f"{row.algorithm}={row.digest}")


class VerifiedFiles:
    """The memo of one store (see the module's docstring); a file per wheel sha256."""

    def __init__(self, directory: Path):
        self.directory = directory

    def load(self, wheel_sha256: str) -> dict[str, Signature]:
        """Relative path -> signature; empty when there is none, or it is unreadable (then all is hashed)."""
        if not _SHA256.fullmatch(wheel_sha256):
            return {}
        try:
            body = json.loads((self.directory / f"{wheel_sha256}.json").read_text(encoding="utf-8"))
            if body.get("format") != _FORMAT:
                return {}
            return {path: (int(dev), int(ino), int(size), int(mtime), str(digest))
                    for path, (dev, ino, size, mtime, digest) in body["files"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def save(self, wheel_sha256: str, files: dict[str, Signature]) -> None:
        """Replace the wheel's memo atomically (a temporary file renamed over it); nothing when empty."""
        if not files or not _SHA256.fullmatch(wheel_sha256):
            return
        body = json.dumps({"format": _FORMAT, "files": files}, separators=(",", ":"))
        write_atomic(self.directory / f"{wheel_sha256}.json", body, durable=False)
