"""The store on disk, per runtime:

    <root>/runtimes/<runtime-id>/packages/<name>==<version>/files/   what sys.path points at
    <root>/runtimes/<runtime-id>/packages/<name>==<version>/meta.json
    <root>/runtimes/<runtime-id>/locks/     one flock file per entry
    <root>/work/uv-cache                    uv's cache, shared by every runtime
    <root>/work/staging/<runtime-id>/       installs in progress (never visible)
    <root>/downloads/                       distribution files by sha256
    <root>/roots/<name>.json                what gc must keep (lambdas, locks)

uv hard-links installed files from its cache, and link(2) fails across mount points even
on one filesystem, so the cache and the staging directories share one parent (`work/`)
that an install sandbox mounts as a single writable bind.

An entry appears only by renaming a finished, verified staging directory into packages/,
so readers never see a partial install, and a crashed install leaves only staging debris
that the next holder of the entry's lock removes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.errors import OLError
from ol_notebook.store.distinfo import DistInfoError, RecordRow, file_matches, read_dist_info
from ol_notebook.store.locks import file_lock
from ol_notebook.store.metadata import EntryMetadata


class StoreError(OLError):
    """The store cannot do what was asked (unreadable entry, failed verification, bad root)."""


def entry_key(name: str, version: str) -> str:
    """The directory name of an entry: normalized name, `==`, version."""
    return f"{canonicalize_name(name)}=={version}"


@dataclass(frozen=True)
class Entry:
    key: str
    path: Path
    metadata: EntryMetadata

    @property
    def files(self) -> Path:
        return self.path / "files"


@dataclass(frozen=True)
class Corruption:
    key: str
    problems: tuple[str, ...]


@dataclass
class GcReport:
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    dry_run: bool = True


class Store:
    """One runtime's view of a store directory."""

    def __init__(self, root: Path, runtime_id: str):
        self.root = Path(root).expanduser().resolve()
        self.runtime_id = runtime_id
        self.runtime_dir = self.root / "runtimes" / runtime_id
        self.packages_dir = self.runtime_dir / "packages"
        self.locks_dir = self.runtime_dir / "locks"
        self.work_dir = self.root / "work"
        self.uv_cache_dir = self.work_dir / "uv-cache"
        self.staging_dir = self.work_dir / "staging" / runtime_id
        self.roots_dir = self.root / "roots"
        self.downloads_dir = self.root / "downloads"
        for directory in (self.packages_dir, self.staging_dir, self.locks_dir, self.roots_dir,
                          self.uv_cache_dir, self.downloads_dir):
            directory.mkdir(parents=True, exist_ok=True)

    # Reading
    def files_dir(self, key: str) -> Path:
        """Where an entry's files are (or will be): what a lambda's sys.path lists."""
        return self.packages_dir / key / "files"

    def has(self, key: str) -> bool:
        return (self.packages_dir / key).is_dir()

    def get(self, key: str) -> Entry | None:
        path = self.packages_dir / key
        try:
            metadata = EntryMetadata.read(path / "meta.json")
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as error:
            raise StoreError(
                f"store entry {key} has unreadable metadata ({error}); run `ol-notebook verify`"
            ) from error
        return Entry(key, path, metadata)

    def entries(self) -> list[Entry]:
        return [entry for key in sorted(os.listdir(self.packages_dir)) if (entry := self.get(key))]

    # Writing
    @contextmanager
    def install_lock(self, key: str) -> Iterator[None]:
        """Hold the entry's lock; staging debris of earlier, dead installs of it is removed."""
        with file_lock(self.locks_dir / f"{key}.lock"):
            for debris in self.staging_dir.glob(f"{key}.*"):
                shutil.rmtree(debris, ignore_errors=True)
            yield

    def new_staging(self, key: str) -> Path:
        """A fresh directory on the store's filesystem to install into (call under install_lock)."""
        return Path(tempfile.mkdtemp(prefix=f"{key}.", dir=self.staging_dir))

    def publish(self, key: str, staging: Path, metadata: EntryMetadata) -> Entry:
        """Verify a finished install and make it visible in one rename."""
        files = staging / "files"
        try:
            info = read_dist_info(files)
        except (DistInfoError, OSError) as error:
            raise StoreError(f"install of {key} produced no readable .dist-info: {error}") from error
        if entry_key(info.name, info.version) != key:
            raise StoreError(f"install of {key} produced {info.name} {info.version} instead")
        problems = _record_problems(files, info.record)
        if problems:
            raise StoreError(f"install of {key} does not match its RECORD: " + "; ".join(problems[:5]))
        size, count = _disk_usage(files)
        metadata = replace(
            metadata,
            requires_dist=info.requires_dist,
            requires_python=info.requires_python,
            provides_extra=info.provides_extra,
            import_names=info.import_names,
            size=size,
            file_count=count,
        )
        metadata.write(staging / "meta.json")
        os.chmod(staging, 0o755)
        final = self.packages_dir / key
        try:
            os.rename(staging, final)
        except OSError as error:  # someone published it first: theirs is as good as ours
            shutil.rmtree(staging, ignore_errors=True)
            if not final.is_dir():
                raise StoreError(f"cannot publish {key} into {final}: {error.strerror}") from error
        entry = self.get(key)
        assert entry is not None
        return entry

    def remove(self, key: str) -> int:
        """Delete an entry atomically (rename out of sight first); returns bytes freed."""
        with self.install_lock(key):
            path = self.packages_dir / key
            if not path.is_dir():
                return 0
            size, _ = _disk_usage(path)
            doomed = self.staging_dir / f"{key}.removing"
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            return size

    # Checking and collecting
    def verify(self, keys: Iterable[str] | None = None) -> list[Corruption]:
        """Re-hash every file of each entry against its RECORD."""
        corrupt = []
        for key in sorted(keys) if keys is not None else sorted(os.listdir(self.packages_dir)):
            files = self.packages_dir / key / "files"
            try:
                problems = _record_problems(files, read_dist_info(files).record)
                if not (self.packages_dir / key / "meta.json").is_file():
                    problems.append("meta.json is missing")
            except (DistInfoError, OSError) as error:
                problems = [f"no readable .dist-info ({error})"]
            if problems:
                corrupt.append(Corruption(key, tuple(problems)))
        return corrupt

    def set_root(self, name: str, keys: Iterable[str]) -> None:
        """Record that `name` (a lambda, a lock) needs these entries; gc keeps them."""
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"root name {name!r} must be a plain file name")
        path = self.roots_dir / f"{name}.json"
        body = {"runtime": self.runtime_id, "entries": sorted(set(keys))}
        partial = path.with_suffix(".json.part")
        partial.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, path)

    def remove_root(self, name: str) -> None:
        path = self.roots_dir / f"{name}.json"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in self.roots_dir.glob("*.json"))) or "none"
            raise StoreError(f"there is no root named {name!r} (roots: {known})")
        path.unlink()

    def referenced(self) -> set[str]:
        """Entries of this runtime that some root needs."""
        keys: set[str] = set()
        for path in self.roots_dir.glob("*.json"):
            body = json.loads(path.read_text(encoding="utf-8"))
            if body.get("runtime") == self.runtime_id:
                keys.update(body.get("entries", ()))
        return keys

    def gc(self, keep: Iterable[str] = (), delete: bool = False) -> GcReport:
        """Remove entries no root (nor `keep`) references; a dry run unless `delete`."""
        wanted = self.referenced() | set(keep)
        report = GcReport(dry_run=not delete)
        for entry in self.entries():
            if entry.key in wanted:
                report.kept.append(entry.key)
                continue
            report.removed.append(entry.key)
            report.freed_bytes += self.remove(entry.key) if delete else entry.metadata.size
        return report


def _record_problems(files: Path, record: Iterable[RecordRow]) -> list[str]:
    """Files that are missing, altered, or present without being in RECORD.

    Compiled bytecode is the one exception: the installer writes (or rewrites, when a wheel
    ships its own, as numpy's does) `__pycache__/*.pyc` next to sources that RECORD lists.
    """
    problems = []
    listed = {os.path.normpath(row.path) for row in record}
    for row in record:
        if not row.digest or _is_bytecode_of_listed(os.path.normpath(row.path), listed):
            continue
        path = files / row.path
        if not path.is_file():
            problems.append(f"{row.path} is missing")
        elif not file_matches(path, row):
            problems.append(f"{row.path} does not match its sha256 in RECORD")
    for directory, _, names in os.walk(files):
        relative = os.path.relpath(directory, files)
        for name in names:
            path = os.path.normpath(os.path.join(relative, name))
            if path not in listed and not _is_bytecode_of_listed(path, listed):
                problems.append(f"{path} is not in RECORD")
    return problems


def _is_bytecode_of_listed(path: str, listed: set[str]) -> bool:
    parent, name = os.path.split(path)
    if os.path.basename(parent) != "__pycache__" or not name.endswith(".pyc"):
        return False
    source = os.path.join(os.path.dirname(parent), name.split(".", 1)[0] + ".py")
    return os.path.normpath(source) in listed


def _disk_usage(path: Path) -> tuple[int, int]:
    size = count = 0
    for directory, _, names in os.walk(path):
        for name in names:
            size += os.lstat(os.path.join(directory, name)).st_size
            count += 1
    return size, count
