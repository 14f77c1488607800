"""What an index needs to know about a flat directory of distributions, read lazily and cached.

The server re-reads the directory on every request (so files added later appear) but hashes and opens each
file only once per (size, mtime), which keeps it usable for a benchmark over a directory of real wheels.
"""

from __future__ import annotations

import email.parser
import hashlib
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

_WHEEL_METADATA = re.compile(r"[^/]+\.dist-info/METADATA")
_SDIST_METADATA = re.compile(r"[^/]+/PKG-INFO")


@dataclass(frozen=True)
class DistFile:
    """One wheel or sdist as an index lists it."""

    filename: str
    path: Path
    project: str  # normalized (PEP 503)
    version: str
    size: int
    sha256: str
    requires_python: str | None
    core_metadata: bytes | None  # a wheel's METADATA, served as ``<file>.metadata`` (PEP 658)

    @property
    def core_metadata_sha256(self) -> str | None:
        return None if self.core_metadata is None else hashlib.sha256(self.core_metadata).hexdigest()


def parse_filename(filename: str) -> tuple[str, str] | None:
    """(normalized project, version) of a wheel or sdist file name; None for anything else."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return canonicalize_name(name), str(version)


def read_core_metadata(path: Path) -> bytes | None:
    """The METADATA of a wheel or the PKG-INFO of an sdist (None if the archive has none)."""
    if path.name.endswith((".whl", ".zip")):
        pattern = _WHEEL_METADATA if path.name.endswith(".whl") else _SDIST_METADATA
        with zipfile.ZipFile(path) as archive:
            member = next((n for n in archive.namelist() if pattern.fullmatch(n)), None)
            return None if member is None else archive.read(member)
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and _SDIST_METADATA.fullmatch(member.name):
                handle = archive.extractfile(member)
                return None if handle is None else handle.read()
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path: Path) -> DistFile:
    """Read one distribution file; raises ValueError when its name is not a wheel's or an sdist's."""
    parsed = parse_filename(path.name)
    if parsed is None:
        raise ValueError(f"not a distribution file name: {path.name}")
    metadata = read_core_metadata(path)
    requires_python = None
    if metadata is not None:
        headers = email.parser.BytesParser().parsebytes(metadata, headersonly=True)
        requires_python = headers.get("Requires-Python")
    return DistFile(
        filename=path.name,
        path=path,
        project=parsed[0],
        version=parsed[1],
        size=path.stat().st_size,
        sha256=file_sha256(path),
        requires_python=requires_python,
        core_metadata=metadata if path.name.endswith(".whl") else None,
    )


class DistDirectory:
    """A flat directory of distributions, listed afresh on every call; per-file work is cached."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[tuple[str, int, int], DistFile] = {}
        self._lock = threading.Lock()

    def projects(self) -> dict[str, list[str]]:
        """Normalized project name -> sorted file names; reads names only, no file contents."""
        found: dict[str, list[str]] = {}
        for path in sorted(self.root.iterdir()):
            parsed = parse_filename(path.name)
            if parsed is not None and path.is_file():
                found.setdefault(parsed[0], []).append(path.name)
        return dict(sorted(found.items()))

    def files(self, project: str) -> list[DistFile]:
        return [self.file(name) for name in self.projects().get(canonicalize_name(project), [])]

    def all_files(self) -> list[DistFile]:
        return [self.file(name) for names in self.projects().values() for name in names]

    def file(self, filename: str) -> DistFile:
        """The described file; raises FileNotFoundError or ValueError for names that are not served."""
        if "/" in filename or filename in ("", ".", ".."):
            raise FileNotFoundError(filename)
        path = self.root / filename
        stat = path.stat()
        key = (filename, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            cached = describe(path)
            with self._lock:
                self._cache[key] = cached
        return cached
