"""What a lambda version is and what one invocation returns: plain values callers build freely."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ol_notebook.errors import OLError
from ol_notebook.index.runtime import Runtime
from ol_notebook.sandbox.spec import Network, env_problem, network_problem

# A lambda's environment travels in one control message to its zygote (see bootstrap.py).
ENV_MAX_BYTES = 64 << 10


class LambdaSpecError(OLError):
    """A LambdaSpec that cannot work, caught before any sandbox starts."""


@functools.cache
def default_python() -> str:
    """The running interpreter by its real path: the one the store's packages were built for."""
    return Runtime.current().python


@dataclass(frozen=True)
class LambdaSpec:
    """One version of one lambda and its bounds.

    version: changes whenever code or pins change; any change of the spec starts a fresh sandbox.
    code_dir: holds handler.py defining f(event); bound read-only at /handler (also the cwd).
    packages: ("NAME==VERSION", host files dir) in sys.path order, bound at /packages/NAME==VERSION/files.
    python: an interpreter the sandbox shows, i.e. the running one (the default).
    timeout: wall-clock seconds per invocation, and for importing the handler.
    memory, processes, disk: for the whole sandbox (zygote and every worker); disk bounds the
        private /tmp and the size of any one file, captured output included.
    instances: workers serving at once; queue: invocations that may wait beyond those.
    idle_timeout: seconds a worker stays idle before it is reaped; the sandbox goes with the last.
    network: True, the internet but nothing of the host's (its loopback, its addresses, its
        abstract sockets); False, none; "host", the host's own network (see SandboxSpec.network).
    """

    name: str
    version: str
    code_dir: Path
    packages: tuple[tuple[str, Path], ...] = ()
    python: str = field(default_factory=default_python)
    timeout: float = 30.0
    memory: int | None = 512 << 20
    processes: int | None = 64
    disk: int | None = 256 << 20
    network: Network = True
    env: Mapping[str, str] = field(default_factory=dict)
    instances: int = 4
    queue: int = 64
    idle_timeout: float = 300.0
    max_event_bytes: int = 6 << 20
    max_result_bytes: int = 6 << 20

    def __post_init__(self) -> None:
        problems = [
            *(["name is empty"] if not self.name else []),
            *(f"{field_name} must be positive" for field_name in
              ("timeout", "instances", "idle_timeout", "max_event_bytes", "max_result_bytes")
              if not getattr(self, field_name) > 0),
            *(["queue must not be negative"] if self.queue < 0 else []),
            *([bad] if (bad := network_problem(self.network)) else []),
            *(f"package key {key!r} is not NAME==VERSION" for key, _ in self.packages if not _is_key(key)),
            *(["a package key appears twice"] if len({key for key, _ in self.packages}) < len(self.packages) else []),
            *(f"env: {problem}" for key, value in self.env.items() if (problem := env_problem(key, value))),
            *([f"env holds more than {ENV_MAX_BYTES} bytes"] if _env_size(self.env) > ENV_MAX_BYTES else []),
        ]
        # The zygote and every worker are processes of the sandbox, and bwrap's pid 1 is not ours.
        if self.processes is not None and self.processes < self.instances + 1:
            problems.append(f"processes={self.processes} leaves no room for {self.instances} instances and the zygote")
        if problems:
            raise LambdaSpecError(f"lambda {self.name!r}: " + "; ".join(problems))


def _env_size(env: Mapping[str, str]) -> int:
    return sum(len(str(key)) + len(str(value)) + 2 for key, value in env.items())


def _is_key(key: str) -> bool:
    name, separator, version = key.partition("==")
    return bool(separator and name and version) and "/" not in key and not key.startswith(".")


@dataclass(frozen=True, slots=True)
class Invocation:
    """A result and how it came about. duration: seconds from the call to the reply, as the
    caller saw it (queueing and a cold start included). cold: the worker that served it had
    served nothing before (a new sandbox, or a worker just forked). version: the spec version
    that served it (during a redeploy, calls in flight finish on the old one). auto_installed:
    the distributions the engine added to the lambda before it served this call (its f
    imported a module none of its packages provided, and it may install what it imports)."""

    value: Any
    stdout: str
    stderr: str
    duration: float
    cold: bool
    version: str = ""
    auto_installed: tuple[str, ...] = ()
