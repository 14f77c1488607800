"""Which file of each pin a lock may name: the one the store really installed, from its index.

A lock is a promise that installing it gives exactly what runs here. So each package's file is
the one whose sha256 the store entry records (the file it was installed or built from), it
must be one the closure lists, and it must be a file of the index the package was resolved
from. Anything else (no store entry, an entry installed from another file, a direct reference,
a file:// path or another host outside the index) cannot be locked truly and is a LockError
naming the package and why, never a weaker lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import Requirement

from ol_notebook.index import IndexConfig
from ol_notebook.index.config import DEFAULT_INDEX_LABEL
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.lock.read import LockError
from ol_notebook.resolve import Artifact, Closure, Pin
from ol_notebook.store import EntryMetadata

PYPI_SIMPLE = "https://pypi.org/simple/"


@dataclass(frozen=True)
class Frozen:
    """One package of a lock: its pin, the very file installed, the store's record of it, and
    the simple-API URL it came from (None for a flat directory of files, which has none)."""

    pin: Pin
    artifact: Artifact
    entry: EntryMetadata
    index: str | None


def frozen_packages(closure: Closure, entry_of: Callable[[str], EntryMetadata | None]) -> list[Frozen]:
    """Every pin of `closure` with the file the store installed for it (`entry_of(key)`), or a
    LockError naming the first package that cannot be locked truly."""
    return [_frozen(pin, entry_of(pin.key)) for pin in closure.pins]


def _frozen(pin: Pin, entry: EntryMetadata | None) -> Frozen:
    what = f"{pin.name} {pin.version}"
    if not pin.artifacts:
        raise LockError(f"{what} cannot be locked: it is a direct reference (a URL or path given in the "
                        "requirement), not a file of an index; require it by name from an index or mirror")
    if entry is None:
        raise LockError(f"{what} cannot be locked: it is not in the store, so which file it was installed from "
                        "is unknown; pull it first")
    used = next((artifact for artifact in pin.artifacts if artifact.sha256 == entry.sha256), None)
    if used is None:
        listed = ", ".join(f"{artifact.filename} (sha256 {artifact.sha256})" for artifact in pin.artifacts)
        raise LockError(f"{what} cannot be locked: the store installed it from {entry.filename} (sha256 "
                        f"{entry.sha256}), which is not a file its closure lists ({listed})")
    source = _source(pin.index)
    if problem := artifact_url_problem(source, used.url):
        built = f"was built here from {used.filename}, and that sdist " if entry.built_wheel else ""
        raise LockError(f"{what} cannot be locked: it {built}comes from {used.url}, which is not a file of "
                        f"the index it was resolved from ({pin.index}): {problem}")
    return Frozen(pin, used, entry, simple_url(pin.index))


def simple_url(label: str) -> str | None:
    """The simple-API URL of the source recorded as `label` (IndexConfig.label), or None for a
    flat directory of files (a find-links directory, not an index)."""
    if label == DEFAULT_INDEX_LABEL:
        return PYPI_SIMPLE
    return None if _is_flat(label) else label


def _source(label: str) -> IndexConfig:
    """The IndexConfig a label was recorded from, for checking which URLs are its files (built
    directly: a mirror directory need not exist any more for its lock to be written)."""
    if label == DEFAULT_INDEX_LABEL:
        return IndexConfig()
    if _is_flat(label):
        return IndexConfig("flat", str(Path(unquote(urlsplit(label).path))))
    return IndexConfig("url", label)


def _is_flat(label: str) -> bool:
    """A file:// label not ending in /simple is a flat directory (IndexConfig.label writes
    bandersnatch mirrors as DIR/web/simple)."""
    return label.startswith("file://") and not label.rstrip("/").endswith("/simple")


def refuse_direct_references(requirements: Iterable[Requirement]) -> None:
    """A requirement given by URL or path (`NAME @ URL`) names no index file: refuse it before any work."""
    for requirement in requirements:
        if requirement.url:
            raise LockError(f"{requirement.name} cannot be locked: {requirement} is a direct reference, not a "
                            "file of an index; require it by name from an index or mirror")
