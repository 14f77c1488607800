"""Per-lambda settings: what its sandbox may use."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LambdaSettings:
    timeout: float = 30.0  # seconds per invocation
    memory: int = 512 << 20  # bytes, for the lambda's whole sandbox
    processes: int = 64
    network: bool = True
    env: dict[str, str] = field(default_factory=dict)
    instances: int = 4  # workers at once; more callers wait in a bounded queue
    queue: int = 64  # callers that may wait for a worker; beyond that a call fails at once as busy

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LambdaSettings:
        known = cls.__dataclass_fields__
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown lambda settings: {', '.join(unknown)} (known: {', '.join(known)})")
        return cls(**data)
