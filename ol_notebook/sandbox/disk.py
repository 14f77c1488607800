"""Disk use of a sandbox outside its sized tmpfs: writable binds that count, and unsafe mode's /tmp.

With bubblewrap, /tmp and /dev/shm are tmpfs mounts of the limit's size (see view.py), which
the kernel bounds exactly. What else a sandbox may write (a counted writable bind; in unsafe
mode a host directory standing in for /tmp) has no per-directory quota we could set without
privileges, so a watcher measures: it walks the counted trees and compares their size with
the size at start.

Host directories of ours carry the owner's pid in their names (`ol-sandbox-PID-...`), so that
those of an owner killed with SIGKILL are found and removed by the next one (`sweep_tempdirs`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ol_notebook.sandbox.procfs import alive

SANDBOX_PREFIX = "ol-sandbox-"
OWNED = re.compile(r"ol-[a-z]+-(\d+)-")  # what owned_tempdir names: ol-WORD-PID-...


class Scratch:
    """Unsafe mode's stand-in for a private /tmp: a host directory, removed afterwards."""

    def __init__(self) -> None:
        self.root = owned_tempdir(SANDBOX_PREFIX)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir()

    def remove(self) -> None:
        remove_tree(self.root)


def owned_tempdir(prefix: str) -> Path:
    """A new directory in the temp dir named `{prefix}{our pid}-...` (prefix: `ol-WORD-`), which
    `sweep_tempdirs` removes once we are dead."""
    if not OWNED.fullmatch(f"{prefix}{os.getpid()}-"):
        raise ValueError(f"temp directory prefix {prefix!r} is not of the form ol-WORD-")
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def sweep_tempdirs() -> list[Path]:
    """Remove the `owned_tempdir`s of any layer whose owner process is gone; returns them."""
    swept = []
    for entry in _entries(tempfile.gettempdir()):
        match = OWNED.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and not alive(int(match.group(1))):
            remove_tree(Path(entry.path))
            swept.append(Path(entry.path))
    return swept


def remove_tree(root: Path) -> None:
    """Remove a tree, even what was made unreadable or read-only (chmod 0) inside it."""
    pending = [str(root)]
    while pending:
        path = pending.pop()
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IRWXU)
        pending.extend(entry.path for entry in _entries(path) if entry.is_dir(follow_symlinks=False))
    shutil.rmtree(root, ignore_errors=True)


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
