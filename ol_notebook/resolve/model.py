"""The typed result of a compile: what every later step (pull, lock, export) consumes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.store import entry_key


@dataclass(frozen=True)
class Artifact:
    """One distribution file: a wheel or an sdist, where it is and what it hashes to."""

    filename: str
    url: str
    sha256: str
    size: int | None = None
    upload_time: str | None = None  # ISO 8601, as the index said (PEP 700); a lock records it

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


def iso_time(value: object) -> str | None:
    """A lock's `upload-time` (TOML reads it as a datetime) as ISO 8601 text; None when absent."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Pin:
    """An exact version of one package with every file the index offers for it."""

    name: str
    version: str
    index: str
    wheels: tuple[Artifact, ...] = ()
    sdist: Artifact | None = None

    @property
    def key(self) -> str:
        return entry_key(self.name, self.version)

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return self.wheels + ((self.sdist,) if self.sdist else ())

    def best_wheel(self, rank: Callable[[str], int | None]) -> Artifact | None:
        """The wheel `rank` (a runtime's or an export target's `wheel_rank`: lower fits better, None
        cannot run there) likes best, or None when no wheel runs there."""
        ranked = [(position, wheel) for wheel in self.wheels if (position := rank(wheel.filename)) is not None]
        return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


@dataclass(frozen=True)
class Closure:
    """A full pinned closure for one runtime: every package, pinned, with hashes and index."""

    requirements: tuple[str, ...]
    pins: tuple[Pin, ...]
    runtime_id: str
    python_version: str
    index: str

    def pin(self, name: str) -> Pin | None:
        wanted = canonicalize_name(name)
        return next((pin for pin in self.pins if canonicalize_name(pin.name) == wanted), None)

    def to_requirements_txt(self) -> str:
        """A hashed requirements.txt (pip-compile style) that pip or uv can install with --require-hashes."""
        lines = [
            f"# Compiled by ol-notebook for {self.runtime_id} (Python {self.python_version}) from {self.index}",
            *(f"#   {requirement}" for requirement in self.requirements),
        ]
        for pin in self.pins:
            hashes = sorted({artifact.sha256 for artifact in pin.artifacts})
            lines.append(f"{pin.name}=={pin.version}" + "".join(f" \\\n    --hash=sha256:{h}" for h in hashes))
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Closure:
        data = json.loads(text)
        pins = tuple(
            Pin(
                name=pin["name"],
                version=pin["version"],
                index=pin["index"],
                wheels=tuple(Artifact(**wheel) for wheel in pin["wheels"]),
                sdist=Artifact(**pin["sdist"]) if pin["sdist"] else None,
            )
            for pin in data["pins"]
        )
        return cls(
            requirements=tuple(data["requirements"]),
            pins=pins,
            runtime_id=data["runtime_id"],
            python_version=data["python_version"],
            index=data["index"],
        )

    def write_json(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")
