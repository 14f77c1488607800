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
    """Kill orphaned sandboxes started from `bwrap_path`; returns their pids."""
    binary = os.path.realpath(bwrap_path)
    marker = f"\0--hostname\0{HOSTNAME}\0".encode()
    killed = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/exe") != binary or _parent(pid) != 1:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if marker not in cmdline.read():
                    continue
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])
