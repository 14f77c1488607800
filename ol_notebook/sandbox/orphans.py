"""Sandboxes left behind when their owner died in the instant before they were bounded.

--die-with-parent covers almost every death, but if the owner is SIGKILLed between starting
bwrap and bwrap's own prctl(PR_SET_PDEATHSIG), or before attaching its cgroup, bwrap can outlive
it in no cgroup of ours, adopted by init or by whichever subreaper is above us (a CI runner, a
container's init, systemd --user). Each Sandbox sweeps such orphans when it is made. An orphan is
recognised by its label, not by who adopted it: bwrap runs with argv[0] naming the pid of the
process that started it (`owner_label`), so a bwrap of our binary, with our hostname marker,
whose parent is neither that owner nor another bwrap of ours (its namespace's pid 1 is a child of
the outer bwrap), is SIGKILLed with everything below it (which ends its namespace).
"""

from __future__ import annotations

import contextlib
import os
import signal

from ol_notebook.sandbox.procfs import descendants, parent_map

HOSTNAME = "ol-sandbox"
OWNER_PREFIX = "bwrap-ol-sandbox-of-"  # `ps` still says what runs


def owner_label() -> str:
    """bwrap's argv[0] for a sandbox started by this process (bwrap uses argv[0] for nothing else)."""
    return f"{OWNER_PREFIX}{os.getpid()}"


def sweep_orphans(bwrap_path: str) -> list[int]:
    """Kill orphaned sandboxes started from `bwrap_path`, each with every process below it; returns their pids.

    The tree goes too, not only the bwrap: an orphan may have been killed before its own child
    set --die-with-parent, and that child (the namespace's pid 1) would then live on.
    """
    binary = os.path.realpath(bwrap_path)
    parents = parent_map()
    owners = {pid: owner for pid in parents if (owner := _sandbox_owner(pid, binary)) is not None}
    killed = []
    for pid, owner in owners.items():
        if parents[pid] == owner or parents[pid] in owners:
            continue
        for member in [pid, *descendants(pid, parents)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)
        killed.append(pid)
    return killed


def _sandbox_owner(pid: int, binary: str) -> int | None:
    """The pid named by a sandbox of ours as its owner; None for any other process."""
    try:
        if os.readlink(f"/proc/{pid}/exe") != binary:
            return None
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read().split(b"\0")
    except OSError:
        return None
    label = argv[0].decode(errors="replace")
    hostname = any(argv[i] == b"--hostname" and argv[i + 1] == HOSTNAME.encode() for i in range(len(argv) - 1))
    owner = label.removeprefix(OWNER_PREFIX)
    return int(owner) if hostname and label.startswith(OWNER_PREFIX) and owner.isdigit() else None
