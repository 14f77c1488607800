"""Per-lambda settings: what its sandbox may use, each checked for its type and range when built.

Settings come from the REST API, the CLI, the magics and the registry's files alike, so the
check lives here: a value out of range (a negative or astronomic memory limit, which a cgroup
would read as "unlimited"; an infinite timeout, which no JSON reader accepts back) is refused
with an error naming the setting, before anything is stored or started.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ol_notebook.registry.validate import InvalidLambda
from ol_notebook.sandbox.spec import Network, env_problem, network_problem

HOST_NETWORK = "host"

MAX_TIMEOUT = 24 * 3600.0  # a day: beyond it a "timeout" no longer bounds anything
MIN_MEMORY = 16 << 20  # the interpreter and the runtime alone need about 10 MiB
MAX_MEMORY = 1 << 40  # beyond any machine this runs on, far below what the kernel reads as unlimited
MAX_PROCESSES = 1 << 16
MAX_INSTANCES = 1024
MAX_QUEUE = 1 << 16


class InvalidSettings(InvalidLambda, ValueError):
    """A lambda setting of the wrong type or out of its range; the message names the setting."""


@dataclass(frozen=True)
class LambdaSettings:
    timeout: float = 30.0  # seconds per invocation
    memory: int = 512 << 20  # bytes, for the lambda's whole sandbox
    processes: int = 64
    # True: egress to the internet in its own network namespace; False: none; "host": the host's
    # own network, loopback services included (an explicit opt-in that warns on every deploy).
    network: Network = True
    env: dict[str, str] = field(default_factory=dict)
    instances: int = 4  # workers at once; more callers wait in a bounded queue
    queue: int = 64  # callers that may wait for a worker; beyond that a call fails at once as busy
    # Add the distributions of imports no package provides to its requirements, at deploy and on a
    # call that fails with ModuleNotFoundError (an explicit opt-in: it installs what the code names).
    auto_install: bool = False

    def __post_init__(self) -> None:
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise InvalidSettings(f"lambda setting 'timeout' must be a number of seconds, not {_shown(timeout)}")
        if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
            raise InvalidSettings(f"lambda setting 'timeout' must be a finite number of seconds above 0 and at most "
                                  f"{MAX_TIMEOUT:g}, not {_shown(timeout)}")
        object.__setattr__(self, "timeout", float(timeout))
        _integer("memory", self.memory, MIN_MEMORY, MAX_MEMORY)
        _integer("instances", self.instances, 1, MAX_INSTANCES)
        _integer("queue", self.queue, 0, MAX_QUEUE)
        _integer("processes", self.processes, 2, MAX_PROCESSES)
        if self.processes < self.instances + 1:
            raise InvalidSettings(f"lambda setting 'processes' ({self.processes}) must be at least 'instances' + 1 "
                                  f"({self.instances + 1}): every instance is a process, and so is the zygote")
        if not isinstance(self.auto_install, bool):
            raise InvalidSettings(f"lambda setting 'auto_install' must be true or false, not "
                                  f"{_shown(self.auto_install)}")
        if problem := network_problem(self.network):
            raise InvalidSettings(f"lambda setting {problem}")
        _check_env(self.env)

    @property
    def host_network(self) -> bool:
        return self.network == HOST_NETWORK

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LambdaSettings:
        known = cls.__dataclass_fields__
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidSettings(f"unknown lambda settings: {', '.join(unknown)} (known: {', '.join(known)})")
        return cls(**data)


def _integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSettings(f"lambda setting {name!r} must be an integer, not {_shown(value)}")
    if not low <= value <= high:
        raise InvalidSettings(f"lambda setting {name!r} must be between {low} and {high}, not {_shown(value)}")


def _check_env(env: Any) -> None:
    """What execve can carry (sandbox.spec.env_problem), as valid Unicode. Its total size is
    checked with the rest of the runtime's spec (LambdaSpec), also before anything starts."""
    if not isinstance(env, dict):
        raise InvalidSettings(f"lambda setting 'env' must map names to strings, not {_shown(env)}")
    for key, value in env.items():
        problem = env_problem(key, value)
        if problem is None and not (_encodable(key) and _encodable(value)):
            problem = f"variable {_shown(key)} must be valid Unicode text, without lone surrogates"
        if problem is not None:
            raise InvalidSettings(f"lambda setting 'env': {problem}")


def _encodable(text: str) -> bool:
    """No lone surrogates: nothing else can be written into a process's environment."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
