"""Disk use of a sandbox: its private scratch directory and the writable binds that count.

The filesystem has no per-directory quota we could set without privileges, so a watcher
measures: it walks the counted trees and compares their size with the size at start. A
private /tmp is a fresh host directory (not a tmpfs, whose pages would be memory the watcher
cannot see and the memory bound might not cover), removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ol_notebook.sandbox.spec import Bind


class Scratch:
    """A private host directory holding the sandbox's /tmp and /dev/shm."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ol-sandbox-"))
        self.tmp = self.root / "tmp"
        self.shm = self.root / "shm"
        self.tmp.mkdir()
        self.shm.mkdir()

    def make_mountpoints(self, binds: Iterable[Bind]) -> None:
        """Create the directories bwrap would create in here to mount binds under /tmp or /dev/shm
        on, now, before the disk meter's first look: they are not the command's writes."""
        for bind in binds:
            for inside, host in (("/tmp", self.tmp), ("/dev/shm", self.shm)):
                relative = os.path.relpath(bind.target, inside)
                if relative != "." and not relative.startswith(".."):
                    path = host / relative
                    (path if Path(bind.source).is_dir() else path.parent).mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        """Remove it all, even what the command made unreadable or read-only (chmod 0)."""
        pending = [str(self.root)]
        while pending:
            path = pending.pop()
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IRWXU)
            pending.extend(entry.path for entry in _entries(path) if entry.is_dir(follow_symlinks=False))
        shutil.rmtree(self.root, ignore_errors=True)


class DiskMeter:
    """Growth in bytes of some trees since the meter was made.

    A file counts its size, the bytes written to it (its blocks would add the filesystem's own
    metadata, and lag behind under delayed allocation); anything else counts its blocks, so a
    million empty files still count their directories' growth. Hard links count once, also
    across trees (uv hard-links its cache into targets). Symlinks are not followed. A directory
    the command made unreadable is given back its owner permissions so it cannot hide bytes.
    """

    def __init__(self, roots: Iterable[Path]):
        self.roots = list(roots)
        self.start = self.usage()

    def growth(self) -> int:
        return max(0, self.usage() - self.start)

    def usage(self) -> int:
        total = 0
        seen: set[tuple[int, int]] = set()
        pending: list[str] = []
        for root in self.roots:
            with contextlib.suppress(OSError):
                info = os.lstat(root)
                total += _bytes(info)
                if stat.S_ISDIR(info.st_mode):
                    pending.append(str(root))
        while pending:
            for entry in _entries(pending.pop()):
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:  # gone meanwhile
                    continue
                if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode):
                    key = (info.st_dev, info.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += _bytes(info)
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
        return total


def _bytes(info: os.stat_result) -> int:
    return info.st_size if stat.S_ISREG(info.st_mode) else info.st_blocks * 512


def _entries(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except PermissionError:
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IRWXU)
            with os.scandir(path) as entries:
                return list(entries)
    except OSError:
        pass
    return []
