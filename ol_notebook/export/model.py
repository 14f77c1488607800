"""The values every export module passes on: a target's wheels, what is missing, what was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ol_notebook.errors import OLError
from ol_notebook.resolve import Artifact


class ExportError(OLError):
    """An export cannot be made as asked; the message names the lambda, package or field."""


@dataclass(frozen=True)
class MissingPackage:
    """A package the target needs but no wheel of which could be had, with why and what to do."""

    name: str
    version: str
    reason: str
    hint: str


class MissingPackages(ExportError):
    """Some packages have no wheel for the target: each is named with why, none silently left out."""

    def __init__(self, target: str, missing: tuple[MissingPackage, ...]):
        self.target = target
        self.missing = missing
        lines = [f"  {item.name} {item.version}: {item.reason}; {item.hint}" for item in missing]
        super().__init__(f"{len(missing)} package(s) have no wheel for {target}:\n" + "\n".join(lines))


@dataclass(frozen=True)
class TargetWheel:
    """One package of an export as a wheel for the target.

    source: the index file it came from (the wheel itself, or the sdist it was built from).
    wheel: the local wheel file, sha256-checked or built, in the export cache.
    built: None when downloaded; "sdist" when built from the sdist; "sdist, no C compiler" when
        it was built again with the compiler made unavailable (the optional-speed-up fallback).
    """

    name: str
    version: str
    index: str | None
    source: Artifact
    wheel: Path
    built: str | None = None
    requires_python: str | None = None


@dataclass(frozen=True)
class ExportedPackage:
    """A row of an export's summary."""

    name: str
    version: str
    size: int  # bytes unpacked in the bundle
    tags: str  # the wheel's tags, e.g. cp312-cp312-manylinux_2_17_aarch64
    built: str | None = None


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote (archives, in the order a user deploys them) and what they hold."""

    name: str
    target: str  # a label, e.g. "AWS Lambda python3.12 arm64 (manylinux_2_34_aarch64)"
    files: tuple[Path, ...]
    packages: tuple[ExportedPackage, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportCaches:
    """Where an export keeps what it fetched or built, so a second export downloads nothing.

    downloads: the content-addressed downloads shared with the store (`Store.downloads_dir`).
    resolve: uv's cache for compiles (`Store.resolve_cache_dir`; never the install cache).
    built: wheels built from sdists for a target, keyed by sdist sha256, target and mode.
    """

    downloads: Path
    resolve: Path
    built: Path
