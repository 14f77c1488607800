"""Tampering with a published store entry as an attacker would: keep what a cheap check looks at."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def rewrite_keeping_mtime_and_size(path: Path, data: bytes) -> None:
    """Replace a frozen file's content in place, then give it back its mode and its mtime."""
    info = path.stat()
    assert len(data) == info.st_size
    os.chmod(path, 0o644)
    path.write_bytes(data)
    os.chmod(path, stat.S_IMODE(info.st_mode))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
