"""The process tree, read from /proc: who started whom."""

from __future__ import annotations

import contextlib
import os


def parent_map() -> dict[int, int]:
    """Every process's parent, from one pass over /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat", "rb") as stat:
                parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
    return parents


def descendants(pid: int, parents: dict[int, int] | None = None) -> list[int]:
    """Every process below `pid` (children first), in `parents` or in a fresh `parent_map()`."""
    parents = parent_map() if parents is None else parents
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        todo.extend(children)
    return found


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (another user's counts: we may not signal it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
