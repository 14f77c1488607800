"""Which limit, if any, ended a command: from the evidence a finished sandbox leaves.

Hard evidence first: our own watcher stopped it (timeout, disk), the cgroup counters (oom_kill,
pids `max` events) or the signal it died of (SIGXFSZ: a file reached RLIMIT_FSIZE). Without
cgroups, rlimits make the command fail rather than be killed, and the only trace is what it
printed: so, when a limit is set, a non-zero exit with a telltale message in the stderr tail
counts. The messages are the C library's strerror texts and the runtime errors built on them:
ENOMEM ("Cannot allocate memory", Python's MemoryError, C++'s std::bad_alloc), EAGAIN from
fork/clone under RLIMIT_NPROC ("Resource temporarily unavailable", Python's "can't start new
thread"), EFBIG ("File too large"; Python ignores SIGXFSZ and gets EFBIG instead), and ENOSPC ("No
space left on device") from the sized tmpfs at /tmp, which the kernel bounds exactly. An unexplained
SIGKILL under the memory rlimit is taken for the kernel's OOM killer. This fallback is a
heuristic: a command that prints such a message for another reason is misjudged; cgroups,
where available, are exact.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass

from ol_notebook.sandbox.confine import Enforcement
from ol_notebook.sandbox.errors import (
    SandboxDiskExceeded,
    SandboxLimitError,
    SandboxMemoryExceeded,
    SandboxProcessLimitExceeded,
    SandboxTimeout,
    human_bytes,
)
from ol_notebook.sandbox.spec import Limits

MEMORY_MESSAGES = (b"memoryerror", b"cannot allocate memory", b"std::bad_alloc", b"out of memory")
FORK_MESSAGES = (b"resource temporarily unavailable", b"can't start new thread")
FILE_SIZE_MESSAGES = (b"file too large",)
NO_SPACE_MESSAGES = (b"no space left on device",)  # ENOSPC: the sized tmpfs at /tmp or /dev/shm is full


@dataclass(frozen=True)
class Evidence:
    returncode: int  # shell convention: 128+N for signal N
    stopped_for: str | None  # "timeout" or "disk" when our watcher killed it
    disk_growth: int
    memory_hit: bool  # cgroup oom_kill counter
    pids_hit: bool  # cgroup pids.events max counter
    stderr_tail: bytes | None  # None when the caller did not capture stderr

    def said(self, messages: Sequence[bytes]) -> bool:
        tail = (self.stderr_tail or b"").lower()
        return self.returncode != 0 and any(message in tail for message in messages)


def judge(
    argv: Sequence[str], limits: Limits, how: Enforcement, evidence: Evidence
) -> SandboxLimitError | None:
    """The limit error this evidence proves, or None when the command ended on its own."""
    died_of = evidence.returncode - 128
    if limits.disk is not None:
        if evidence.stopped_for == "disk" or evidence.disk_growth > limits.disk:
            return SandboxDiskExceeded(argv, limits.disk, f"the disk watcher measured "
                                                           f"{human_bytes(evidence.disk_growth)} written")
        if died_of == signal.SIGXFSZ or evidence.said(FILE_SIZE_MESSAGES):
            return SandboxDiskExceeded(argv, limits.disk, "RLIMIT_FSIZE: one file reached the limit")
        if evidence.said(NO_SPACE_MESSAGES):
            return SandboxDiskExceeded(argv, limits.disk, "its /tmp is a tmpfs of that size, and it is full")
    unexplained_kill = died_of == signal.SIGKILL and evidence.stopped_for is None
    memory_rlimit_hit = evidence.said(MEMORY_MESSAGES) or unexplained_kill
    if limits.memory is not None and (evidence.memory_hit or (not how.memory_cgroup and memory_rlimit_hit)):
        return SandboxMemoryExceeded(argv, limits.memory, how.memory)
    nproc_hit = not how.pids_cgroup and how.nproc_works and evidence.said(FORK_MESSAGES)
    if limits.processes is not None and (evidence.pids_hit or nproc_hit):
        return SandboxProcessLimitExceeded(argv, limits.processes, how.processes)
    if limits.timeout is not None and evidence.stopped_for == "timeout":
        return SandboxTimeout(argv, limits.timeout, "wall clock")
    return None
