"""The store on disk, per runtime:

    <root>/runtimes/<runtime-id>/packages/<name>==<version>/files/   what sys.path points at
    <root>/runtimes/<runtime-id>/packages/<name>==<version>/meta.json
    <root>/runtimes/<runtime-id>/packages/<name>==<version>/integrity.json   bytecode hashes, stat signature
    <root>/runtimes/<runtime-id>/locks/     one flock file per entry
    <root>/work/uv-cache                    uv's cache for wheel installs, shared by every runtime
    <root>/work/resolve-cache               uv's cache for resolves, never linked into an entry
    <root>/work/staging/<runtime-id>/       installs in progress (never visible)
    <root>/downloads/                       distribution files by sha256
    <root>/roots/<name>.json                what gc must keep (lambdas, locks)
    <root>/verified/<sha256>.json           per wheel: cache files publish has hashed (verified.py)
    <root>/archives/<sha256>.json           per wheel: what its zip holds (install/archives.py)

uv hard-links installed files from its cache, and link(2) fails across mount points even
on one filesystem, so the cache and the staging directories share one parent (`work/`)
that an install sandbox mounts as a single writable bind.

An entry appears only by renaming a finished, verified staging directory into packages/,
so readers never see a partial install, and a crashed install leaves only staging debris
that the next holder of the entry's lock removes.

Published entries are immutable: no write bits on any file or directory, and no sandbox that
runs package code has anything of them mounted writable. That matters beyond the entry itself,
because most of its files are hard links into `work/uv-cache` (the same inodes): whoever can
write that cache rewrites every lambda's packages. So only wheel installs use it (uv unpacks a
wheel and compiles bytecode without executing any of it), a resolve (which may build an sdist's
metadata, running its code) gets `work/resolve-cache` whose files are never linked into an
entry, and an sdist build gets a private cache in its sandbox's /tmp. `integrity.json` records
the hashes of the bytecode the installer generated and a stat signature, so `verify` checks
every file and `check_entries` notices a change cheaply before a lambda runs the entry.

Publish hashes every file of an install against its RECORD, and holds that RECORD to the one
inside the wheel (uv copies its cached one, which a writer of the cache could rewrite with the
file). A warm install's files are hard links of cache files that an earlier publish of the same
wheel hashed already; `verified.py` remembers those by inode and mtime so they are not hashed
again, and says why that is safe.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.errors import OLError
from ol_notebook.sandbox.disk import remove_tree
from ol_notebook.store.distinfo import IMPORT_NAMES_RULE, DistInfoError, RecordRow, read_dist_info
from ol_notebook.store.integrity import (
    INTEGRITY_FILE,
    Integrity,
    departures,
    problems,
    signature_of,
    stat_signature,
    survey,
)
from ol_notebook.store.locks import file_lock
from ol_notebook.store.metadata import EntryMetadata
from ol_notebook.store.verified import VerifiedFiles

_NO_WRITE = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
_STAGING_SEPARATOR = "~"  # never in a version, so one key's debris glob cannot match another key's staging


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
        self.resolve_cache_dir = self.work_dir / "resolve-cache"
        self.staging_dir = self.work_dir / "staging" / runtime_id
        self.roots_dir = self.root / "roots"
        self.downloads_dir = self.root / "downloads"
        self.verified = VerifiedFiles(self.root / "verified")  # outside work/: no sandbox sees it
        self.archives_dir = self.root / "archives"  # likewise
        for directory in (self.packages_dir, self.staging_dir, self.locks_dir, self.roots_dir,
                          self.uv_cache_dir, self.resolve_cache_dir, self.downloads_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self._checked: dict[str, str] = {}  # key -> a stat signature whose files passed a full re-hash
        self._import_names: dict[str, tuple[str, ...]] = {}  # key -> names re-read for an older rule

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
        if metadata.import_names_rule < IMPORT_NAMES_RULE:
            metadata = replace(metadata, import_names=self._reread_import_names(key, metadata.import_names),
                               import_names_rule=IMPORT_NAMES_RULE)
        return Entry(key, path, metadata)

    def _reread_import_names(self, key: str, recorded: tuple[str, ...]) -> tuple[str, ...]:
        """The import names of an entry published under an older rule, by today's rule, from its
        RECORD (its meta.json is immutable); the recorded ones if RECORD is unreadable (verify says why)."""
        if key not in self._import_names:
            try:
                self._import_names[key] = read_dist_info(self.files_dir(key)).import_names
            except (DistInfoError, OSError, ValueError):
                return recorded
        return self._import_names[key]

    def entries(self) -> list[Entry]:
        return [entry for key in sorted(os.listdir(self.packages_dir)) if (entry := self.get(key))]

    # Writing
    @contextmanager
    def install_lock(self, key: str) -> Iterator[None]:
        """Hold the entry's lock; staging debris of earlier, dead installs of it is removed."""
        with file_lock(self.locks_dir / f"{key}.lock"):
            for debris in self.staging_dir.glob(f"{key}{_STAGING_SEPARATOR}*"):
                remove_tree(debris)
            yield

    def new_staging(self, key: str) -> Path:
        """A fresh directory on the store's filesystem to install into (call under install_lock)."""
        return Path(tempfile.mkdtemp(prefix=f"{key}{_STAGING_SEPARATOR}", dir=self.staging_dir))

    def publish(self, key: str, staging: Path, metadata: EntryMetadata,
                shipped: Sequence[RecordRow] | None = None) -> Entry:
        """Verify a finished install, record its bytecode's hashes, make it read-only, and make it
        visible in one rename.

        shipped: the RECORD of the wheel installed (whose sha256 was checked), which the installed
        RECORD must agree with (integrity.departures). Files hashed equal to RECORD before, in an
        install of the same wheel (metadata.sha256), are not hashed again (verified.py)."""
        files = staging / "files"
        try:
            info = read_dist_info(files)
        except (DistInfoError, OSError) as error:
            raise StoreError(f"install of {key} produced no readable .dist-info: {error}") from error
        if entry_key(info.name, info.version) != key:
            raise StoreError(f"install of {key} produced {info.name} {info.version} instead")
        found = departures(info.record, shipped) if shipped is not None else []
        if found:
            raise StoreError(f"install of {key} does not match the wheel's RECORD: " + "; ".join(found[:5]))
        known = self.verified.load(metadata.sha256)
        surveyed = survey(files, info.record, known)
        if surveyed.problems:
            raise StoreError(f"install of {key} does not match its RECORD: " + "; ".join(surveyed.problems[:5]))
        _freeze(files, surveyed.stats, surveyed.directories)  # before the signature: chmod changes ctime
        signature = signature_of(surveyed.stats)
        metadata = replace(
            metadata,
            requires_dist=info.requires_dist,
            requires_python=info.requires_python,
            provides_extra=info.provides_extra,
            import_names=info.import_names,
            import_names_rule=IMPORT_NAMES_RULE,
            size=signature.size,
            file_count=signature.count,
        )
        metadata.write(staging / "meta.json")
        Integrity(surveyed.bytecode, signature.digest).write(staging / INTEGRITY_FILE)
        for name in ("meta.json", INTEGRITY_FILE):
            os.chmod(staging / name, 0o444)
        os.chmod(staging, 0o755)  # moving a directory to another parent needs write access to it ('..')
        final = self.packages_dir / key
        try:
            os.rename(staging, final)
        except OSError as error:  # someone published it first: theirs is as good as ours
            remove_tree(staging)
            if not final.is_dir():
                raise StoreError(f"cannot publish {key} into {final}: {error.strerror}") from error
        else:
            os.chmod(final, 0o555)
            if surveyed.verified != known:  # a warm install of a wheel published before changes nothing
                self.verified.save(metadata.sha256, surveyed.verified)
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
            doomed = self.staging_dir / f"{key}{_STAGING_SEPARATOR}removing"
            os.chmod(path, 0o755)  # published read-only; moving it needs write access to it
            os.rename(path, doomed)
            remove_tree(doomed)
            return size

    # Checking and collecting
    def verify(self, keys: Iterable[str] | None = None) -> list[Corruption]:
        """Re-hash every file of each entry against its RECORD or its recorded bytecode hashes."""
        corrupt = []
        for key in sorted(keys) if keys is not None else sorted(os.listdir(self.packages_dir)):
            if found := self._problems(key):
                corrupt.append(Corruption(key, tuple(found)))
        return corrupt

    def check_entries(self, keys: Iterable[str]) -> None:
        """Refuse, naming each package and its files, entries changed since they were published.

        For a lambda version about to use them, so it must be cheap: one lstat per file, compared
        with the stat signature recorded at publish. Only an entry whose signature differs is
        re-hashed in full. When that passes (a touch, a chmod, a hard link added by uv), the entry
        is fine but its record is not rewritten: a published entry is immutable, and a record that
        can be rewritten after publish is a record that tampering can rewrite too. This Store
        remembers the passing signature instead, so the re-hash is paid once per process (and
        the record is read once per process).
        """
        tampered: dict[str, list[str]] = {}
        for key in keys:
            path = self.packages_dir / key
            try:
                signature = stat_signature(path / "files").digest
                if signature == self._checked.get(key):
                    continue
                recorded = Integrity.read(path / INTEGRITY_FILE).signature
            except (OSError, ValueError):
                signature = recorded = ""  # the full check says what is wrong
            if signature and signature == recorded:
                self._checked[key] = signature
            elif found := self._problems(key):
                tampered[key] = found
            elif signature:
                self._checked[key] = signature
        if tampered:
            lines = [f"  {key}: " + "; ".join(found[:5]) + (" ..." if len(found) > 5 else "")
                     for key, found in sorted(tampered.items())]
            raise StoreError(
                "these packages in the store were changed after they were installed, so they will not be run:\n"
                + "\n".join(lines)
                + f"\nremove each one's directory under {self.packages_dir} (they are read-only: "
                "`chmod -R u+w DIR && rm -rf DIR`), then deploy again, which installs them anew; "
                "`ol-notebook verify` lists every changed package"
            )

    def _problems(self, key: str) -> list[str]:
        """What is wrong with one entry, re-hashing all its files; empty when nothing is."""
        path = self.packages_dir / key
        if not path.is_dir():
            return ["it is not in the store (removed by gc?)"]
        found = [] if (path / "meta.json").is_file() else ["meta.json is missing"]
        try:
            record = read_dist_info(path / "files").record
        except (DistInfoError, OSError) as error:
            return [*found, f"no readable .dist-info ({error})"]
        try:
            integrity = Integrity.read(path / INTEGRITY_FILE)
        except FileNotFoundError:
            return [*found, f"{INTEGRITY_FILE} is missing: it was installed by an older ol-notebook that did not "
                            "record its bytecode's hashes, so its .pyc files cannot be checked"]
        except (OSError, ValueError) as error:
            return [*found, f"{INTEGRITY_FILE} is unreadable ({error})"]
        try:
            return found + problems(path / "files", record, integrity)
        except OSError as error:
            return [*found, f"its files cannot be read ({error})"]

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


def _freeze(files: Path, stats: dict[str, os.stat_result], directories: dict[str, int]) -> None:
    """Take every write bit off `files`, the directories below it and every file, by the lstats
    publish's survey took (symlinks untouched; a file it chmods gets its new lstat in `stats`).

    A file already without them is left alone: chmod changes its ctime even then, and a file
    linked from uv's cache may be in another runtime's entry already (see integrity.py)."""
    root = os.fspath(files) + "/"
    _unwritable(root, os.lstat(root).st_mode)
    for relative, mode in directories.items():
        _unwritable(root + relative, mode)
    for relative, info in stats.items():
        path = root + relative
        if _unwritable(path, info.st_mode):
            stats[relative] = os.lstat(path)


def _unwritable(path: str, mode: int) -> bool:
    """Take the write bits off; whether it had any (and so was changed)."""
    if not stat.S_ISLNK(mode) and mode & ~_NO_WRITE:
        os.chmod(path, stat.S_IMODE(mode) & _NO_WRITE)
        return True
    return False


def _disk_usage(path: Path) -> tuple[int, int]:
    size = count = 0
    for directory, _, names in os.walk(path):
        for name in names:
            size += os.lstat(os.path.join(directory, name)).st_size
            count += 1
    return size, count
