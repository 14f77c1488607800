"""What to run and within which bounds: plain values, so callers can build and share them freely."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ol_notebook.sandbox.errors import SandboxError

Network = bool | Literal["host"]
NETWORK_MODES = "False (no network), True (egress through slirp4netns) or 'host' (the host's network)"


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
    network: False, a network namespace of its own with only a private loopback; True, egress
        to the internet and DNS through slirp4netns, with no route to the host's loopback, the
        host's own addresses or its abstract unix sockets (see network.py); "host", the host's
        network namespace itself, every loopback service included: an explicit opt-in.
    loopback_ports: ports of the host's 127.0.0.1 the sandbox reaches at its own 127.0.0.1
        (a package index on the host's loopback), and no other; needs network False or True.
    hidden: paths the system view would show that the command must not have: a directory shows
        empty, a file as /dev/null (a symlink's target is hidden, so every alias of it goes too).
        A build without a C compiler hides the compilers. Needs a mount namespace: unsafe
        mode refuses it.
    """

    argv: Sequence[str]
    binds: Sequence[Bind] = ()
    network: Network = False
    loopback_ports: tuple[int, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "/tmp"
    limits: Limits = Limits()
    python: bool = True
    hidden: tuple[str, ...] = ()

    def check(self) -> None:
        """Catch mistakes here with a clear message rather than as a terse bwrap failure inside."""
        if not self.argv:
            raise SandboxError("SandboxSpec.argv is empty: give the command to run")
        if not self.cwd.startswith("/"):
            raise SandboxError(f"SandboxSpec.cwd must be an absolute path in the sandbox, not {self.cwd!r}")
        if problem := network_problem(self.network):
            raise SandboxError(f"SandboxSpec.{problem}")
        check_loopback_ports(self.loopback_ports, self.network)
        for key, value in self.env.items():
            problem = env_problem(key, value)
            if problem:
                raise SandboxError(f"SandboxSpec.env: {problem}")
        if not isinstance(self.hidden, tuple) or not all(
                isinstance(path, str) and path.startswith("/") for path in self.hidden):
            raise SandboxError(f"SandboxSpec.hidden must be a tuple of absolute paths, not {self.hidden!r}")
        for bind in self.binds:
            if not Path(bind.source).is_absolute() or not bind.target.startswith("/"):
                raise SandboxError(f"{bind} needs absolute paths")
            if not Path(bind.source).exists():
                raise SandboxError(f"cannot bind {bind.source} into the sandbox: it does not exist")


def network_problem(value: object) -> str | None:
    """Why `value` is no network mode, or None. `is True`, not `== True`: 1 or 1.0 would be a
    silent choice of mode."""
    if value is True or value is False or value == "host":
        return None
    return f"network must be {NETWORK_MODES}, not {value!r}"


def check_loopback_ports(ports: object, network: object) -> None:
    if not isinstance(ports, tuple) or not all(type(port) is int and 0 < port < 65536 for port in ports):
        raise SandboxError(f"SandboxSpec.loopback_ports must be a tuple of ports (1-65535), not {ports!r}")
    if len(set(ports)) < len(ports):
        raise SandboxError(f"SandboxSpec.loopback_ports names a port twice: {ports!r}")
    if ports and network == "host":
        raise SandboxError(
            "SandboxSpec.loopback_ports needs a network namespace of the sandbox's own: with network='host' "
            "every loopback port of the host is reachable already"
        )


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
