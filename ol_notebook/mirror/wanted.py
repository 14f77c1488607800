"""What a mirror run must hold: every file a lock (or a compiled closure) lists, each checked
before anything is fetched or written.

A lock can come from anyone, and the mirror downloads in the host process, so each entry must
name a real distribution file of its own package (no `../`, no `/`, no other project's name, which
would slip a file onto another project's page), carry a sha256, and have a URL of the configured
index (index/origins.py: no `file:///etc/passwd`, no other host, no service on the loopback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock, PylockSelectError, PylockValidationError
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.lock import LockError
from ol_notebook.lock.select import check_environments, runtime_tags
from ol_notebook.resolve import Closure

_SHA256 = re.compile(r"[0-9a-f]{64}")
_BAD_NAME_CHARACTERS = ("/", "\\", "\0")


class MirrorError(OLError):
    """A mirror cannot be built or updated as asked; nothing of the refused run is published."""


@dataclass(frozen=True)
class WantedFile:
    """One distribution file the mirror must hold, and where it comes from."""

    project: str  # normalized (PEP 503): the simple page it is listed on
    version: str
    filename: str
    url: str
    sha256: str
    size: int | None
    source: str  # "the lock X" or "the requirements ...": named in every error about this file
    requires_python: str | None = None
    upload_time: str | None = None

    def describe(self) -> str:
        return f"{self.filename} ({self.project} {self.version}, from {self.source})"


def wanted_from_lock(lock: Pylock, path: Path, index: IndexConfig, only: Runtime | None = None) -> list[WantedFile]:
    """Every wheel and sdist of every package of `lock` (whatever its markers: a mirror serves
    every environment the lock does), or with `only` just the file of each package an installer
    picks for that runtime; a package with no index file (a directory, a VCS checkout, an archive
    URL) is refused, since a mirror's pages can only list index files."""
    source = f"the lock {path}"
    chosen = _chosen_for(lock, source, only) if only is not None else None
    found: list[WantedFile] = []
    for package in lock.packages:
        what = f"package {package.name} in {source}"
        if package.vcs or package.directory or package.archive:
            raise MirrorError(f"{what} is a direct reference (a VCS checkout, a directory or an archive URL), "
                              "not a file of an index; a mirror holds only index files")
        if package.version is None:
            raise MirrorError(f"{what} has no version; a mirror lists files by version")
        files: list[PackageWheel | PackageSdist] = [*(package.wheels or ())]
        files += [package.sdist] if package.sdist else []
        if chosen is not None:
            files = [file for file in files if id(file) in chosen]
        found += [_from_lock_file(package, file, path.parent, source, index) for file in files]
    return found


def _chosen_for(lock: Pylock, source: str, runtime: Runtime) -> set[int]:
    """The files (by identity) `Pylock.select` installs on `runtime`, the way an installer picks them."""
    try:
        check_environments(lock, source, runtime)
        return {id(file) for _, file in lock.select(environment=runtime.environment,  # type: ignore[arg-type]
                                                    tags=runtime_tags(runtime))}
    except (LockError, PylockSelectError, InvalidWheelFilename) as error:
        raise MirrorError(f"cannot mirror {source} for {runtime.id} only: {error}") from None


def wanted_from_closure(closure: Closure, index: IndexConfig) -> list[WantedFile]:
    """Every file of every pin of a closure compiled from `index` (the `mirror REQ...` form)."""
    source = "the requirements " + ", ".join(closure.requirements)
    return [
        replace(_checked(canonicalize_name(pin.name), pin.version, artifact.filename, artifact.url, artifact.sha256,
                         artifact.size, source, index), upload_time=artifact.upload_time)
        for pin in closure.pins
        for artifact in pin.artifacts
    ]


def _from_lock_file(package: Package, file: PackageWheel | PackageSdist, lock_dir: Path, source: str,
                    index: IndexConfig) -> WantedFile:
    try:
        filename = file.filename
    except PylockValidationError as error:
        raise MirrorError(f"package {package.name} in {source}: {error}") from None
    # A relative `path` is relative to the lock's directory (PEP 751); it must still be a file of the index.
    url = file.url or (lock_dir / (file.path or "")).absolute().as_uri()
    sha256 = file.hashes.get("sha256")
    if sha256 is None:
        raise MirrorError(f"{filename} of package {package.name} in {source} has no sha256 hash "
                          f"(only {', '.join(file.hashes) or 'none'}); a mirror verifies every file by sha256")
    wanted = _checked(package.name, str(package.version), filename, url, sha256, file.size, source, index)
    upload = file.upload_time.isoformat() if isinstance(file.upload_time, datetime) else None
    requires_python = str(package.requires_python) if package.requires_python else None
    return replace(wanted, requires_python=requires_python, upload_time=upload)


def _checked(project: str, version: str, filename: str, url: str, sha256: str, size: int | None, source: str,
             index: IndexConfig) -> WantedFile:
    what = f"the file {filename!r} of package {project} {version} in {source}"
    _check_filename(filename, project, version, what)
    if not _SHA256.fullmatch(sha256):
        raise MirrorError(f"{what} has sha256 {sha256!r}, which is not 64 lowercase hex digits")
    if problem := artifact_url_problem(index, url):
        raise MirrorError(
            f"{what} has the URL {url}: {problem}; a mirror downloads only from the configured source "
            "(give the index the lock was made from with --index-url, or the mirror its paths are in with --mirror)"
        )
    return WantedFile(canonicalize_name(project), version, filename, url, sha256, size, source)


def _check_filename(filename: str, project: str, version: str, what: str) -> None:
    """A wheel or sdist name of this very project and version, and a plain name: it becomes a path."""
    if any(character in filename for character in _BAD_NAME_CHARACTERS) or filename.startswith("."):
        raise MirrorError(f"{what} is not a plain file name (it has a path separator or starts with a dot)")
    try:
        if filename.endswith(".whl"):
            name, parsed_version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, parsed_version = parse_sdist_filename(filename)
        else:
            raise MirrorError(f"{what} is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)")
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        raise MirrorError(f"{what} is not a valid distribution file name: {error}") from None
    if name != canonicalize_name(project):
        raise MirrorError(f"{what} belongs to the project {name}, not to {canonicalize_name(project)}")
    try:
        same_version = parsed_version == Version(version)
    except InvalidVersion:
        same_version = False
    if not same_version:
        raise MirrorError(f"{what} is of version {parsed_version}, not {version}")
