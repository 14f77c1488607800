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

from ol_notebook.sandbox.procfs import descendants, parent_map

HOSTNAME = "ol-sandbox"


def sweep_orphans(bwrap_path: str) -> list[int]:
    """Kill orphaned sandboxes started from `bwrap_path`, each with every process below it; returns their pids.

    The tree goes too, not only the bwrap: an orphan may have been killed before its own child
    set --die-with-parent, and that child (the namespace's pid 1) would then live on.
    """
    binary = os.path.realpath(bwrap_path)
    marker = f"\0--hostname\0{HOSTNAME}\0".encode()
    parents = parent_map()
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
            for member in [pid, *descendants(pid, parents)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)
            killed.append(pid)
    return killed
