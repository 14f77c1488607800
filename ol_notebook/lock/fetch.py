"""Download every file a lock selected, before anything is installed, from the one configured source.

- With a mirror directory configured (bandersnatch or flat), the mirror is the only source: the
  lock's URLs are never used; each file is looked up there by name and sha256, and one the mirror
  lacks is an error naming the package, the mirror and the lock (never a fallback).
- With an index URL (`--index-url`, or a `--mirror` URL), a lock's URL is fetched if it is a file
  of that index; any other URL (PyPI's, another host's, file://) is never fetched: the file is
  looked up on that index by name and sha256 instead, saying so, and one it lacks is an error
  as for a mirror directory.
- With the default index (PyPI), a lock's URL must be one of PyPI's (index/origins.py), else
  the lock is refused before any download.

Where a URL of the index is dead (an HTTP error, a refused connection), the same file name and
hash is looked up on the package's `index` (which must be the configured source; without one,
the configured index URL) and fetched from there, saying so. Every file is checked against the
lock's sha256 and size. All files land in the store's download cache (by hash) before the first
install, so a bad file fails the whole lock with nothing published; the puller then finds them
there. The closure returned records, per file, the URL it really came from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ol_notebook.index import DownloadError, IndexConfig, download
from ol_notebook.index.download import HashMismatch, SizeMismatch, UnreachableURL
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.lock.read import LockError
from ol_notebook.lock.simple import PageError, find_file, project_page
from ol_notebook.resolve import Artifact, Closure, Pin

Say = Callable[[str, str], None]  # (package key, message): what a fetch had to do differently
Progress = Callable[[str, int, int | None], None]  # (package key, bytes so far, bytes in all if known)
PROGRESS_STEP = 1 << 20  # report a download's progress every MiB


class LockFileError(LockError):
    """One file of a lock could not be fetched or is not the file the lock describes."""


class MissingFromMirror(LockFileError):
    """The mirror has no file of that name and hash: there is no fallback."""


def fetch_locked(
    closure: Closure,
    *,
    source: str,
    index: IndexConfig,
    cache_dir: Path,
    skip: Callable[[str], bool],
    say: Say,
    progress: Progress | None = None,
    concurrency: int = 4,
) -> Closure:
    """Download each pin's one file (unless `skip(key)`: already installed) into `cache_dir`,
    `concurrency` at once, telling `progress`; the closure with every artifact's URL the one it
    was fetched from. Where each file comes from is decided (and checked) for every pin before
    the first download."""
    lock = threading.Lock()
    said, told = _serialized(say, lock), _serialized(progress, lock) if progress else None
    planned = [(pin, None if skip(pin.key) else _source_url(pin, source, index, said)) for pin in closure.pins]

    def fetch(item: tuple[Pin, str | None]) -> Pin:
        pin, url = item
        return pin if url is None else _fetched(pin, url, source, index, cache_dir, said, told)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pins = tuple(pool.map(fetch, planned))  # the first failure (in lock order) is raised
    return replace(closure, pins=pins)


def _serialized(function: Callable[..., None], lock: threading.Lock) -> Callable[..., None]:
    """Downloads run in threads; what they tell reaches `function` one call at a time."""

    def serialized(*args: object) -> None:
        with lock:
            function(*args)

    return serialized


def _where(pin: Pin, source: str) -> str:
    return f"{pin.name} {pin.version} of the lock {source}"


def _source_url(pin: Pin, source: str, index: IndexConfig, say: Say) -> str:
    """The lock's URL if it is a file of the configured source, else the same file's URL on the
    configured mirror or index URL (found by name and sha256); with PyPI, a refusal."""
    (artifact,) = pin.artifacts  # select_for_runtime keeps one
    if index.kind in ("bandersnatch", "flat"):
        return _on_mirror(pin, artifact, index, source)
    problem = artifact_url_problem(index, artifact.url)
    if problem is None:
        return artifact.url
    if index.kind != "url":
        raise LockFileError(f"{_where(pin, source)}: refusing to download {artifact.url}: {problem}")
    url = _on_mirror(pin, artifact, index, source)
    say(pin.key, f"{artifact.url} is not a file of {index.describe()}, the only source used: fetching the same file "
                 f"({artifact.filename}, sha256 {artifact.sha256[:12]}...) from {url} instead")
    return url


def _fetched(pin: Pin, url: str, source: str, index: IndexConfig, cache_dir: Path, say: Say,
             progress: Progress | None) -> Pin:
    (artifact,) = pin.artifacts
    where = _where(pin, source)
    on_progress = _stepped(pin.key, artifact.size, progress)
    try:
        _download(artifact, url, cache_dir, on_progress)
    except UnreachableURL as dead:
        if index.kind in ("bandersnatch", "flat"):
            raise LockFileError(f"{where}: {dead}") from None
        url = _from_index(pin, artifact, index, where, dead)
        say(pin.key, f"{artifact.url} is dead ({dead}); fetching the same file ({artifact.filename}, "
                     f"sha256 {artifact.sha256[:12]}...) from {url} instead")
        _checked_download(artifact, url, cache_dir, where, on_progress)
    except DownloadError as error:
        raise _file_error(error, artifact, url, where) from None
    moved = replace(artifact, url=url)
    # With a mirror or an index URL every file came from it, whatever index the lock named.
    origin = index.label if index.is_mirror else pin.index
    return replace(pin, index=origin, wheels=(moved,) if artifact.is_wheel else (),
                   sdist=None if artifact.is_wheel else moved)


def _stepped(key: str, size: int | None, progress: Progress | None) -> Callable[[int], None] | None:
    """download()'s byte count, told to `progress` once per PROGRESS_STEP."""
    if progress is None:
        return None
    last = [0]

    def on_progress(done: int) -> None:
        if done - last[0] >= PROGRESS_STEP:
            last[0] = done
            progress(key, done, size)

    return on_progress


def _download(artifact: Artifact, url: str, cache_dir: Path, on_progress: Callable[[int], None] | None) -> None:
    download(url, artifact.sha256, artifact.filename, cache_dir, on_progress, size=artifact.size)


def _checked_download(artifact: Artifact, url: str, cache_dir: Path, where: str,
                      on_progress: Callable[[int], None] | None) -> None:
    try:
        _download(artifact, url, cache_dir, on_progress)
    except DownloadError as error:
        raise _file_error(error, artifact, url, where) from None


def _file_error(error: DownloadError, artifact: Artifact, url: str, where: str) -> LockFileError:
    if isinstance(error, HashMismatch):
        return LockFileError(f"{where}: hash mismatch: {artifact.filename} from {url} has sha256 {error.actual}, but "
                             f"the lock says {artifact.sha256}; the file was changed or the lock was tampered with")
    what = "wrong size" if isinstance(error, SizeMismatch) else "download failed"
    return LockFileError(f"{where}: {what}: {error}")


def _from_index(pin: Pin, artifact: Artifact, index: IndexConfig, where: str, dead: UnreachableURL) -> str:
    """The same file on the package's index, which must be the configured source."""
    if not pin.index.startswith(("http://", "https://", "file://")):
        raise LockFileError(f"{where}: {dead}; the lock names no index to look {artifact.filename} up on instead")
    page = project_page(pin.index, pin.name)
    try:
        return find_file(index, page, artifact.filename, artifact.sha256)
    except PageError as error:
        raise LockFileError(f"{where}: {dead}; looking the same file up on its index failed: {error}") from None


def _on_mirror(pin: Pin, artifact: Artifact, index: IndexConfig, source: str) -> str:
    """Where the configured mirror or index keeps this file (name and sha256), or MissingFromMirror."""
    if index.kind == "flat":
        path = Path(index.location) / artifact.filename
        if path.is_file():
            return path.as_uri()
        problem = f"{path} does not exist"
    else:
        try:
            return find_file(index, project_page(index.label, pin.name), artifact.filename, artifact.sha256)
        except PageError as error:
            problem = str(error)
    raise MissingFromMirror(
        f"{pin.name} {pin.version} ({artifact.filename}, sha256 {artifact.sha256}) is not on {index.describe()}: "
        f"{problem}. Add the files of the lock {source} to it: with it configured, no other source is used "
        "(not the lock's URL, not PyPI)"
    )
