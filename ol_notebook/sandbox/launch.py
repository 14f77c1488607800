"""Start a command, bounded before it runs its first instruction, and know how to end all of it.

With bubblewrap, bwrap's first child becomes pid 1 of the new pid namespace; SIGKILL to it makes
the kernel kill every process in the namespace, so nothing the command started can survive.
bwrap reports that child's pid (--json-status-fd) and then waits on --block-fd before it forks
the command, so the cgroup and rlimits are applied to that child while it runs nothing of the
command's: all the command's processes are born bounded, and bwrap itself is not counted. This
also keeps subprocess on its fast vfork path (a preexec_fn would force fork()).

Unsafe mode has no namespace: the command gets its own session (so its process group can be
killed) and is bounded by a preexec_fn, the only hook there is before exec.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO, Any, Protocol

from ol_notebook.sandbox.confine import Confinement
from ol_notebook.sandbox.disk import Scratch
from ol_notebook.sandbox.errors import SandboxError
from ol_notebook.sandbox.locate import Bubblewrap
from ol_notebook.sandbox.net.network import SandboxNetwork
from ol_notebook.sandbox.orphans import owner_label
from ol_notebook.sandbox.spec import SandboxSpec
from ol_notebook.sandbox.view import DEFAULT_ENV, bwrap_args

# bwrap's own environment: fixed, so nothing a caller passes can steer the loader or libc of a
# process that runs on the host (LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH, MALLOC_*, ...).
BWRAP_ENV = {"PATH": DEFAULT_ENV["PATH"], "LANG": "C.UTF-8"}

Stdio = int | IO[Any] | None


class Tree(Protocol):
    """A started command and everything it may start."""

    popen: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL the whole tree; safe to call any time, also after it ended."""

    def settle(self) -> bool:
        """Once `popen` has exited: make sure nothing of the tree runs on, release what we hold,
        and say whether the command itself ever ran (False: the sandbox failed to set up)."""


class Launcher(Protocol):
    sandbox_tasks: int  # our tasks inside the bounds besides the command's

    def spawn(self, spec: SandboxSpec, scratch: Scratch | None, confinement: Confinement, pass_fds: Sequence[int],
              stdio: Mapping[str, Stdio]) -> Tree:
        """scratch: the host directory standing in for /tmp where there is no mount namespace."""


class BwrapLauncher:
    sandbox_tasks = 1  # bwrap's pid 1 of the namespace

    def __init__(self, bwrap: Bubblewrap):
        self.bwrap = bwrap

    def spawn(self, spec: SandboxSpec, scratch: Scratch | None, confinement: Confinement, pass_fds: Sequence[int],
              stdio: Mapping[str, Stdio]) -> Tree:
        network = SandboxNetwork.plan(spec)  # refuses network=True without slirp4netns, before bwrap runs
        status_read, status_write = os.pipe()
        gate_read, gate_write = os.pipe()
        env_fd = environment_fd(spec.env)
        argv = [
            owner_label(), "--args", str(env_fd), *bwrap_args(spec),
            "--json-status-fd", str(status_write), "--block-fd", str(gate_read), "--", *spec.argv,
        ]
        try:
            popen = subprocess.Popen(argv, executable=self.bwrap.path, env=BWRAP_ENV, start_new_session=True,
                                     pass_fds=(*pass_fds, status_write, gate_read, env_fd), **stdio)
        except BaseException as error:
            for fd in (status_read, gate_write):
                os.close(fd)
            if isinstance(error, (OSError, subprocess.SubprocessError)):
                raise SandboxError(f"cannot run bubblewrap at {self.bwrap.path}: {error}") from error
            raise
        finally:
            for fd in (status_write, gate_read, env_fd):
                os.close(fd)
        tree = BwrapTree(popen, status_read, network)
        try:
            if tree.child_pid is not None:
                confinement.apply(tree.child_pid)
                if network:  # its own network: slirp4netns, routes, tunnels, all before the gate
                    network.attach(tree.child_pid)
        except BaseException as error:
            tree.kill()
            os.close(gate_write)
            popen.wait()
            tree.settle()
            if isinstance(error, SandboxError):
                raise
            raise SandboxError(f"could not bound the sandbox before starting it: {error}") from error
        with contextlib.suppress(BrokenPipeError):  # bwrap already failed: its exit says why
            os.write(gate_write, b"go")
        os.close(gate_write)
        return tree


def environment_fd(env: Mapping[str, str]) -> int:
    """A memfd holding `--clearenv --setenv KEY VALUE ...` for bwrap's `--args`.

    bwrap applies these to the command it starts inside the sandbox; its own process started
    with BWRAP_ENV, so its dynamic loader never saw them. Not `--setenv` on the command line,
    whose values every user could read in /proc/PID/cmdline; not bwrap's own environment,
    which its loader would obey on the host (LD_PRELOAD ran a library there as root).
    """
    args = ["--clearenv"]
    for key, value in {**DEFAULT_ENV, **env}.items():
        args += ["--setenv", key, value]
    fd = os.memfd_create("ol-sandbox-env", os.MFD_CLOEXEC)  # pass_fds makes it bwrap's
    with open(fd, "wb", closefd=False) as out:
        out.write(b"".join(os.fsencode(arg) + b"\0" for arg in args))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class BwrapTree:
    def __init__(self, popen: subprocess.Popen[bytes], status_fd: int, network: SandboxNetwork | None = None):
        self.popen = popen
        self.network = network
        self._status_fd = status_fd
        self._status = b""
        self.child_pid = self._read_child_pid()
        self._pidfd: int | None = None
        self._pidfd_lock = threading.Lock()  # kill() may race settle() closing the pidfd
        if self.child_pid is not None:
            with contextlib.suppress(OSError):  # the child may be gone already: bwrap failed
                self._pidfd = os.pidfd_open(self.child_pid)

    def _read_child_pid(self) -> int | None:
        """bwrap writes the first status line right after it cloned the child, before setup."""
        while b"\n" not in self._status:
            chunk = os.read(self._status_fd, 4096)
            if not chunk:
                return None
            self._status += chunk
        line, _, self._status = self._status.partition(b"\n")
        return int(json.loads(line)["child-pid"])

    def kill(self) -> None:
        with self._pidfd_lock:
            if self._pidfd is not None:  # a pidfd cannot hit a recycled pid
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()

    def settle(self) -> bool:
        if self._pidfd is not None:
            # bwrap is gone, so --die-with-parent has SIGKILLed pid 1; its pidfd turns readable
            # only once every other process of the namespace has been reaped.
            gone = select.poll()
            gone.register(self._pidfd, select.POLLIN)
            if not gone.poll(5000):
                self.kill()
                gone.poll(5000)
            with self._pidfd_lock:
                os.close(self._pidfd)
                self._pidfd = None
        if self.network:  # nothing of the sandbox is left to use it
            self.network.close()
        os.set_blocking(self._status_fd, False)  # all writers are gone; never hang on a stray one
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._status_fd, 4096):
                self._status += chunk
        os.close(self._status_fd)
        # bwrap reports an exit code only for a command that it managed to exec.
        return b'"exit-code"' in self._status


class UnsafeLauncher:
    sandbox_tasks = 0

    def spawn(self, spec: SandboxSpec, scratch: Scratch | None, confinement: Confinement, pass_fds: Sequence[int],
              stdio: Mapping[str, Stdio]) -> Tree:
        assert scratch is not None, "unsafe mode needs a host directory for /tmp"
        # The private /tmp cannot be mounted at /tmp here: it stands in as HOME, TMPDIR and cwd.
        cwd = str(scratch.tmp) if spec.cwd == "/tmp" else spec.cwd
        env = {**DEFAULT_ENV, "HOME": str(scratch.tmp), "TMPDIR": str(scratch.tmp), **spec.env, "PWD": cwd}
        try:
            popen = subprocess.Popen(list(spec.argv), cwd=cwd, env=env, pass_fds=tuple(pass_fds),
                                     start_new_session=True, preexec_fn=lambda: confinement.apply(0), **stdio)
        except (OSError, subprocess.SubprocessError) as error:
            raise SandboxError(f"cannot start {spec.argv[0]!r}: {error}") from error
        return SessionTree(popen)


class SessionTree:
    def __init__(self, popen: subprocess.Popen[bytes]):
        self.popen = popen

    def kill(self) -> None:
        # The session's process group keeps its id while any member lives, so this cannot hit
        # an unrelated process; members that left the group are found through the cgroup.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def settle(self) -> bool:
        self.kill()  # as in a pid namespace, whatever the command left running ends with it
        return True
