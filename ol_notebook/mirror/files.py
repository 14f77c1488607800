"""Writing into a mirror so that a reader (pip, uv, a web server, a crash) never sees half a file:
each file is written under a temporary name on the mirror's filesystem, synced, then renamed over
(pages with atomic_write.write_atomic). Plus what a mirror needs to know of a file: its sha256
(streamed: wheels can be gigabytes).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def publish(staged: Path, target: Path) -> None:
    """Move a verified file from the staging directory (on the mirror's own filesystem) to
    `target` in one rename, after its content reached the disk: `target` is either absent, the
    old file, or the whole new one."""
    with staged.open("rb") as stream:
        os.fsync(stream.fileno())
    os.chmod(staged, 0o644)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    sync_directory(target.parent)


def sync_directory(path: Path) -> None:
    """Make a rename in `path` durable."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
