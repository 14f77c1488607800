"""Sandboxes left behind when their owner died in the instant before they were bounded.

--die-with-parent covers almost every death, but if the owner is SIGKILLed between starting
bwrap and attaching its cgroup, bwrap's pid 1 of the namespace can outlive it, reparented to
init, in no cgroup of ours. Each Sandbox sweeps such orphans when it is made: a bwrap of our
binary, with our hostname marker, whose parent is init, is SIGKILLed (which ends its namespace).
"""

from __future__ import annotations

import contextlib
import os
import signal

HOSTNAME = "ol-sandbox"


def sweep_orphans(bwrap_path: str) -> list[int]:
    """Kill orphaned sandboxes started from `bwrap_path`, each with every process below it; returns their pids.

    The tree goes too, not only the bwrap: an orphan may have been killed before its own child
    set --die-with-parent, and that child (the namespace's pid 1) would then live on.
    """
    binary = os.path.realpath(bwrap_path)
    marker = f"\0--hostname\0{HOSTNAME}\0".encode()
    parents = _parents()
    killed = []
    for pid, parent in parents.items():
        if parent != 1:
            continue
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/exe") != binary:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if marker not in cmdline.read():
                    continue
            for member in [pid, *_descendants(pid, parents)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)
            killed.append(pid)
    return killed


def _parents() -> dict[int, int]:
    """Every process's parent, from one pass over /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat", "rb") as stat:
                parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
    return parents


def _descendants(pid: int, parents: dict[int, int]) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        todo.extend(children)
    return found
