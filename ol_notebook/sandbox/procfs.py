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
