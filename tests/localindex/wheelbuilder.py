"""Turn a declared package into real files: a wheel, an sdist, or both.

The byte-level writers live in :mod:`backend` (the sdists carry that same file as their build backend), so
this module only decides *what* goes into each archive: core metadata, payload, backend, pyproject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import backend

BACKEND_SOURCE = Path(backend.__file__).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Sdist:
    """How an sdist builds: with an in-tree backend (``backend_source`` set) or one from the index.

    ``static_metadata=False`` writes PKG-INFO as Metadata-Version 2.1, which a resolver may not trust, so
    resolving the package runs its backend's metadata hooks (``prepare_metadata_for_build_wheel``).
    """

    backend: str = "olbackend"
    requires: tuple[str, ...] = ()
    backend_source: str | None = BACKEND_SOURCE
    static_metadata: bool = True

    def pyproject(self) -> str:
        requires = ", ".join(f'"{r}"' for r in self.requires)
        lines = ["[build-system]", f"requires = [{requires}]", f'build-backend = "{self.backend}"']
        if self.backend_source is not None:
            lines.append('backend-path = ["."]')
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Package:
    """One distribution of the catalogue; ``wheel_tag=None`` means sdist only."""

    name: str
    version: str
    files: Mapping[str, str]
    requires_dist: tuple[str, ...] = ()
    provides_extra: tuple[str, ...] = ()
    requires_python: str | None = None
    wheel_tag: str | None = "py3-none-any"
    sdist: Sdist | None = None
    dist_info: Mapping[str, str] = field(default_factory=dict)

    def core_metadata(self, metadata_version: str) -> str:
        """METADATA (2.1 for wheels) or PKG-INFO (2.2, so uv may trust it without running the backend)."""
        fields = [
            ("Metadata-Version", metadata_version),
            ("Name", self.name),
            ("Version", self.version),
            ("Summary", f"ol-notebook local index test package {self.name} {self.version}"),
        ]
        if self.requires_python:
            fields.append(("Requires-Python", self.requires_python))
        fields += [("Provides-Extra", extra) for extra in self.provides_extra]
        fields += [("Requires-Dist", requirement) for requirement in self.requires_dist]
        return "".join(f"{key}: {value}\n" for key, value in fields)


def _encoded(files: Mapping[str, str]) -> dict[str, bytes]:
    return {path: text.encode("utf-8") for path, text in files.items()}


def write_package(package: Package, dest: Path) -> list[str]:
    """Write the package's wheel and/or sdist into ``dest``; return the file names written."""
    written = []
    if package.wheel_tag is not None:
        written.append(
            backend.write_wheel(
                str(dest),
                package.name,
                package.version,
                _encoded(package.files),
                package.core_metadata("2.1"),
                tag=package.wheel_tag,
                dist_info_extra=dict(package.dist_info),
            )
        )
    if package.sdist is not None:
        sdist = package.sdist
        tree = {f"{backend.PAYLOAD_DIR}/{path}": text for path, text in package.files.items()}
        tree["PKG-INFO"] = package.core_metadata("2.2" if sdist.static_metadata else "2.1")
        tree["pyproject.toml"] = sdist.pyproject()
        if sdist.backend_source is not None:
            tree[f"{sdist.backend}.py"] = sdist.backend_source
        written.append(backend.write_sdist(str(dest), package.name, package.version, _encoded(tree)))
    return written


def module_text(dist: str, version: str, body: str = "") -> str:
    """Source of a catalogue module: it names its distribution so tests can tell which one got imported."""
    return f'"""Part of the ol-notebook test catalogue."""\n\n__version__ = "{version}"\nDIST = "{dist}"\n{body}'
