"""The memory, process and file-size bounds of one sandbox: cgroups where we can, rlimits otherwise.

cgroups bound the sandbox as a whole and tell afterwards whether a bound was hit. Without them
we fall back to rlimits, which are per process (RLIMIT_DATA: not RLIMIT_AS, whose reservations
of address space break OpenBLAS and JIT runtimes long before they use any memory) or per user
(RLIMIT_NPROC). RLIMIT_FSIZE always caps the size of any one file at the disk limit, so a single
huge write fails at once instead of waiting for the disk watcher's next look.
"""

from __future__ import annotations

import contextlib
import os
import resource
from dataclasses import dataclass
from pathlib import Path

from ol_notebook.sandbox.cgroups import SandboxCgroup, find_parents
from ol_notebook.sandbox.errors import SandboxError
from ol_notebook.sandbox.spec import Limits


@dataclass(frozen=True)
class Enforcement:
    """How each limit is enforced on this host, chosen once per Sandbox; named in error messages."""

    memory_cgroup: str | None  # e.g. "cgroup v1 memory.limit_in_bytes"; None: RLIMIT_DATA
    pids_cgroup: str | None  # e.g. "cgroup v1 pids.max"; None: RLIMIT_NPROC or nothing
    nproc_works: bool  # RLIMIT_NPROC is ignored for root
    sandbox_tasks: int  # tasks of the sandbox machinery that count against pids.max (bwrap's pid 1)

    @classmethod
    def detect(cls, sandbox_tasks: int) -> Enforcement:
        parents = find_parents()
        return cls(
            memory_cgroup=parents["memory"].describe("memory") if "memory" in parents else None,
            pids_cgroup=parents["pids"].describe("pids") if "pids" in parents else None,
            nproc_works=os.geteuid() != 0,
            sandbox_tasks=sandbox_tasks,
        )

    @property
    def memory(self) -> str:
        return self.memory_cgroup or "RLIMIT_DATA, per process"

    @property
    def processes(self) -> str:
        if self.pids_cgroup:
            return self.pids_cgroup
        return "RLIMIT_NPROC" if self.nproc_works else "nothing: root ignores RLIMIT_NPROC and no pids cgroup"

    disk = "RLIMIT_FSIZE per file and a usage watcher"

    def describe(self) -> str:
        return f"memory: {self.memory}; processes: {self.processes}; disk: {self.disk}"


class Confinement:
    """The cgroup and rlimits of one sandbox, applied to its first process before it runs anything."""

    def __init__(self, limits: Limits, enforcement: Enforcement):
        self.limits = limits
        self.enforcement = enforcement
        tasks = None if limits.processes is None else limits.processes + enforcement.sandbox_tasks
        try:
            self.cgroup = SandboxCgroup.create(
                limits.memory if enforcement.memory_cgroup else None,
                tasks if enforcement.pids_cgroup else None,
            )
        except OSError as error:
            raise SandboxError(f"cannot create the sandbox's cgroup: {error}") from error
        self.rlimits: dict[int, int] = {}
        if limits.disk is not None:
            self.rlimits[resource.RLIMIT_FSIZE] = limits.disk
        if limits.memory is not None and not enforcement.memory_cgroup:
            self.rlimits[resource.RLIMIT_DATA] = limits.memory
        if tasks is not None and not enforcement.pids_cgroup and enforcement.nproc_works:
            nproc = _nproc(tasks, enforcement.sandbox_tasks)
            if nproc is not None:
                self.rlimits[resource.RLIMIT_NPROC] = nproc

    def apply(self, pid: int) -> None:
        """Bound process `pid` (0: the calling process, from a preexec_fn); its children inherit."""
        if self.cgroup:
            self.cgroup.add(pid)
        for which, value in self.rlimits.items():
            _, hard = resource.prlimit(pid, which) if pid else resource.getrlimit(which)
            bound = value if hard == resource.RLIM_INFINITY else min(value, hard)
            if pid:
                resource.prlimit(pid, which, (bound, bound))
            else:
                resource.setrlimit(which, (bound, bound))

    def memory_hit(self) -> bool:
        return bool(self.cgroup and self.cgroup.oom_kills())

    def pids_hit(self) -> bool:
        return bool(self.cgroup and self.cgroup.pids_max_hits())

    def kill_all(self) -> None:
        if self.cgroup:
            self.cgroup.kill_all()

    def close(self) -> None:
        if self.cgroup:
            self.cgroup.remove()


def _nproc(tasks: int, sandbox_tasks: int) -> int | None:
    """RLIMIT_NPROC counts every task of the user. Inside bwrap's user namespace the kernel counts
    the namespace's own tasks against it (and the user's total against the limit bwrap was
    started with), so the sandbox's task bound is exact. Without that namespace (unsafe mode,
    sandbox_tasks == 0) it must leave room for the tasks the user already runs."""
    if sandbox_tasks:
        return tasks
    running = _user_tasks()
    return None if running is None else running + tasks


def _user_tasks() -> int | None:
    """Tasks (threads included) of this real uid now, from /proc; None where there is no /proc."""
    uid = str(os.getuid())
    total = 0
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        with contextlib.suppress(OSError, KeyError, ValueError):  # processes come and go while we look
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            fields = dict(line.split(":", 1) for line in lines if ":" in line)
            if fields["Uid"].split()[0] == uid:
                total += int(fields["Threads"])
    return total
