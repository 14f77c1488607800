"""What to run and within which bounds: plain values, so callers can build and share them freely."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ol_notebook.sandbox.errors import SandboxError


@dataclass(frozen=True)
class Limits:
    """Bounds for one sandbox; None means unbounded.

    timeout: wall-clock seconds for the whole run.
    memory: bytes of memory for all processes together (per process under the rlimit fallback).
    processes: tasks (processes and threads) alive at once inside the sandbox.
    disk: bytes that may be written into the private /tmp and the counted writable binds;
        also the largest size of any single file written anywhere.
    """

    timeout: float | None = None
    memory: int | None = None
    processes: int | None = None
    disk: int | None = None


@dataclass(frozen=True)
class Bind:
    """A host path made visible inside the sandbox.

    count_disk: for writable binds, whether growth counts against `Limits.disk`. A shared cache
    (uv's) is not the command's output, and its size says nothing about this one command.
    """

    source: Path
    dest: str | None = None
    writable: bool = False
    count_disk: bool = True

    @property
    def target(self) -> str:
        return self.dest or str(self.source)


@dataclass(frozen=True)
class SandboxSpec:
    """One command and the world it sees.

    env is the whole environment inside, on top of the defaults PATH=/usr/local/bin:/usr/bin:/bin
    and HOME=/tmp (the only writable home there is); bubblewrap adds PWD. It reaches only the
    command, never bwrap's own process on the host (see launch.py).
    python: expose the running interpreter read-only (its real binary, `sandbox.PYTHON`, and the
        standard library; never a site-packages), so that binary can run inside.
    """

    argv: Sequence[str]
    binds: Sequence[Bind] = ()
    network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "/tmp"
    limits: Limits = Limits()
    python: bool = True

    def check(self) -> None:
        """Catch mistakes here with a clear message rather than as a terse bwrap failure inside."""
        if not self.argv:
            raise SandboxError("SandboxSpec.argv is empty: give the command to run")
        if not self.cwd.startswith("/"):
            raise SandboxError(f"SandboxSpec.cwd must be an absolute path in the sandbox, not {self.cwd!r}")
        for key, value in self.env.items():
            problem = env_problem(key, value)
            if problem:
                raise SandboxError(f"SandboxSpec.env: {problem}")
        for bind in self.binds:
            if not Path(bind.source).is_absolute() or not bind.target.startswith("/"):
                raise SandboxError(f"{bind} needs absolute paths")
            if not Path(bind.source).exists():
                raise SandboxError(f"cannot bind {bind.source} into the sandbox: it does not exist")


def env_problem(key: object, value: object) -> str | None:
    """Why an environment variable cannot be set as given, or None: what execve can carry."""
    if not isinstance(key, str) or not isinstance(value, str):
        return f"variable {key!r} must map a string to a string"
    if not key or "=" in key or "\0" in key:
        return f"variable name {key!r} must be non-empty, without '=' or NUL"
    if "\0" in value:
        return f"the value of {key} contains a NUL character"
    return None


@dataclass(frozen=True)
class SandboxResult:
    """How a command ended. returncode follows the shell: 128+N when it died of signal N."""

    returncode: int
    stdout: bytes
    stderr: bytes
    duration: float
