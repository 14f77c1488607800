"""A started sandbox, watched until it ends, then judged and cleaned up.

One watcher thread per sandbox enforces what the kernel cannot: the wall-clock timeout and the
disk limit (it measures the counted trees every 50 ms, or less often when a walk is slow, so
that measuring never costs more than a fifth of a core). It also ends a sandbox as soon as the
pids cgroup refused a fork: a fork bomb would otherwise spin until the timeout (15 minutes for
installs), and a command that reaches its process limit has failed anyway. When the command ends, the same thread
makes sure nothing of it runs on, reads the cgroup counters, and removes the cgroup and the
private /tmp, whether or not anyone ever calls `wait`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import select
import subprocess
import threading
import time

from ol_notebook.sandbox.confine import Confinement
from ol_notebook.sandbox.disk import DiskMeter, Scratch
from ol_notebook.sandbox.errors import SandboxError
from ol_notebook.sandbox.launch import Tree
from ol_notebook.sandbox.spec import SandboxSpec
from ol_notebook.sandbox.verdict import Evidence, judge

DISK_POLL = 0.05
logger = logging.getLogger(__name__)


class SandboxProcess:
    """A long-lived sandbox: `pid` (bwrap's, or the command's in unsafe mode), the `stdin`,
    `stdout` and `stderr` pipes (or None), `wait` and `kill`."""

    def __init__(self, spec: SandboxSpec, tree: Tree, confinement: Confinement, scratch: Scratch | None,
                 meter: DiskMeter | None):
        self.spec = spec
        self.pid = tree.popen.pid
        self.stdin, self.stdout, self.stderr = tree.popen.stdin, tree.popen.stdout, tree.popen.stderr
        self.started = time.monotonic()
        self._tree = tree
        self._confinement = confinement
        self._scratch = scratch
        self._meter = meter
        self._stopped_for: str | None = None  # "timeout", "disk", "processes", "kill" (by the caller) or "error"
        self._ended = threading.Event()
        self._evidence: Evidence | None = None
        self._ran = True
        self.duration = 0.0
        threading.Thread(target=self._watch, name=f"sandbox-{self.pid}", daemon=True).start()

    def kill(self) -> None:
        """End the sandbox and everything in it now; `wait` then returns 137 (128 + SIGKILL)."""
        self._stop("kill")

    def oom_kills(self) -> int | None:
        """Processes of this sandbox the kernel's out-of-memory killer has ended so far, read now
        from its memory cgroup; None where no memory cgroup bounds it (rlimits count nothing)."""
        cgroup, how = self._confinement.cgroup, self._confinement.enforcement
        if cgroup is None or how.memory_cgroup is None or self.spec.limits.memory is None:
            return None
        return cgroup.oom_kills()

    @property
    def returncode(self) -> int | None:
        """The exit status (128+N for signal N) once ended; None before, or if watching failed."""
        return self._evidence.returncode if self._evidence else None

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the sandbox has ended and is cleaned up, without judging how it ended."""
        return self._ended.wait(timeout)

    def wait(self, timeout: float | None = None, stderr_tail: bytes | None = None) -> int:
        """The command's exit status (128+N for signal N), once it ended.

        Raises the limit error when a limit ended it, SandboxError when bubblewrap failed to set
        up the sandbox, subprocess.TimeoutExpired when `timeout` passes first. stderr_tail, the
        end of what the command wrote to stderr if the caller captured it, lets the rlimit
        fallback recognise allocation and fork failures (see verdict.py).
        """
        if not self.join(timeout):
            raise subprocess.TimeoutExpired(list(self.spec.argv), timeout or 0.0)
        if self._evidence is None or self._evidence.stopped_for == "error":
            raise SandboxError(f"watching the sandbox of {self.spec.argv[0]!r} failed; the log says why")
        evidence = dataclasses.replace(self._evidence, stderr_tail=stderr_tail)
        error = judge(self.spec.argv, self.spec.limits, self._confinement.enforcement, evidence)
        if error:
            raise error
        if not self._ran and evidence.stopped_for is None:
            said = (stderr_tail or b"").decode(errors="replace").strip()
            raise SandboxError(
                f"the sandbox could not start {self.spec.argv[0]!r} (exit status {evidence.returncode})"
                + (f": {said}" if said else "; bubblewrap's reason is on the command's stderr")
            )
        return evidence.returncode

    def _watch(self) -> None:
        try:
            try:
                self._supervise()
            except Exception:
                logger.exception("the watcher of sandbox %s failed; killing it", self.pid)
                self._stop("error")
                self._tree.popen.wait()
            self._evidence = self._collect()
        except Exception:
            logger.exception("collecting the outcome of sandbox %s failed", self.pid)
        finally:
            try:
                self._confinement.close()
            finally:
                if self._scratch:
                    self._scratch.remove()
                self._ended.set()

    def _supervise(self) -> None:
        popen, limits, meter = self._tree.popen, self.spec.limits, self._meter
        watch_pids = limits.processes is not None and self._confinement.enforcement.pids_cgroup
        deadline = math.inf if limits.timeout is None else self.started + limits.timeout
        next_look = self.started + DISK_POLL
        with ExitWatch(popen.pid) as exit_watch:
            while self._stopped_for is None:
                until = min(deadline, next_look if meter or watch_pids else math.inf)
                if exit_watch.wait(None if until == math.inf else max(0.0, until - time.monotonic())):
                    break
                now = time.monotonic()
                if now >= deadline:
                    self._stop("timeout")
                elif now >= next_look:
                    if meter and meter.growth() > (limits.disk or 0):
                        self._stop("disk")
                    elif watch_pids and self._confinement.pids_hit():
                        self._stop("processes")
                    took = time.monotonic() - now
                    next_look = time.monotonic() + max(DISK_POLL, 4 * took)
        popen.wait()

    def _stop(self, reason: str) -> None:
        """Kill the tree; the first reason given is the one that counts."""
        if self._stopped_for is None:
            self._stopped_for = reason
        self._tree.kill()

    def _collect(self) -> Evidence:
        """Once the main process has exited: end the rest, then gather what judging needs."""
        self._ran = self._tree.settle()
        self._confinement.kill_all()
        self.duration = time.monotonic() - self.started
        return Evidence(
            returncode=_shell_status(self._tree.popen.returncode),
            stopped_for=self._stopped_for,
            disk_growth=self._meter.growth() if self._meter else 0,
            memory_hit=self._confinement.memory_hit(),
            pids_hit=self._confinement.pids_hit(),
            stderr_tail=None,
        )


def _shell_status(returncode: int) -> int:
    """bwrap reports a signal death as 128+N; Popen as -N. Use one convention in both modes."""
    return 128 - returncode if returncode < 0 else returncode


class ExitWatch:
    """Sleeps until a child exits or a timeout passes, in one poll(2) on its pidfd.

    Popen.wait(timeout) polls instead, waking up to every 50 ms; for a lambda's sandbox, which
    lives as long as the server, each wake-up takes the GIL from the event loop serving calls.
    """

    def __init__(self, pid: int):
        self._pidfd = os.pidfd_open(pid)
        self._poll = select.poll()
        self._poll.register(self._pidfd, select.POLLIN)

    def wait(self, timeout: float | None) -> bool:
        """True once the child has exited (it is not reaped: Popen.wait does that)."""
        return bool(self._poll.poll(None if timeout is None else math.ceil(timeout * 1000)))

    def __enter__(self) -> ExitWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self._pidfd)
