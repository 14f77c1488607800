"""Fetch one distribution file by URL into a content-addressed cache, checking its sha256.

Downloads happen in the host process (they run no package code), so installs can run in a
sandbox without network; the cache keeps each file under its hash, so a file is fetched
once however many runtimes or stores need it. Being outside any sandbox, a download must only
be given URLs of the configured source (see origins.py), and every failure, a server that does
not speak HTTP included, is a DownloadError that says what happened.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from ol_notebook.errors import OLError

CHUNK = 1 << 16


class DownloadError(OLError):
    """A file could not be fetched, or its content does not match the expected hash."""


class UnreachableURL(DownloadError):
    """The URL answered with an HTTP error or not at all (a dead link): nothing was read from it."""


class HashMismatch(DownloadError):
    """The file's sha256 (`actual`) is not the one promised."""

    def __init__(self, message: str, actual: str):
        super().__init__(message)
        self.actual = actual


class SizeMismatch(DownloadError):
    """The file has another size than the one promised (a lock's `size`)."""


def download(
    url: str,
    sha256: str,
    filename: str,
    cache_dir: Path,
    on_progress: Callable[[int], None] | None = None,
    timeout: float = 60.0,
    size: int | None = None,
) -> Path:
    """Return the local path of the file, fetching it unless the cache has it already.

    With `size`, a file of another size is a SizeMismatch (cached or not), and a download
    stops as soon as it exceeds it: a lock's sizes bound what a server can make us write.
    """
    target = _cached(cache_dir, sha256, filename)
    if target.exists():
        _check_size(target.stat().st_size, size, filename, url)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out, _open(url, timeout) as source:
            done = 0
            try:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if size is not None and done > size:
                        _check_size(done, size, filename, url, "at least ")
                    if on_progress:
                        on_progress(done)
            except (OSError, http.client.HTTPException) as error:
                raise DownloadError(f"downloading {url} failed after {done:,} bytes: {_reason(error)}") from error
        _check_size(done, size, filename, url)
        if digest.hexdigest() != sha256:
            raise HashMismatch(
                f"{filename} from {url} has sha256 {digest.hexdigest()}, but the index promised {sha256}; "
                "the file was changed after it was published, or the mirror is corrupt",
                digest.hexdigest(),
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def _check_size(actual: int, expected: int | None, filename: str, url: str, bound: str = "") -> None:
    if expected is not None and actual != expected:
        raise SizeMismatch(f"{filename} from {url} has {bound}{actual:,} bytes, but {expected:,} were promised; "
                           "the file or the lock's size is wrong")


def _open(url: str, timeout: float):
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme else url
        try:
            return open(path, "rb")
        except OSError as error:
            raise UnreachableURL(f"cannot read {path}: {error.strerror}") from error
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(f"cannot download {url}: only http(s):// and file:// URLs are fetched")
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise UnreachableURL(f"downloading {url} failed: HTTP {error.code} {error.reason}") from error
    except (OSError, http.client.HTTPException, ValueError) as error:  # URLError is an OSError
        raise UnreachableURL(f"downloading {url} failed: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    """What went wrong, short: a server answering garbage has its first bytes quoted, not all of them."""
    if isinstance(error, http.client.HTTPException) and not isinstance(error, http.client.IncompleteRead):
        text = str(error)
        quoted = text if len(text) <= 80 else text[:80] + "..."
        return f"the server did not answer as an HTTP server does ({type(error).__name__}: {quoted})"
    return str(getattr(error, "reason", None) or error)


def copy_into_cache(path: Path, sha256: str, cache_dir: Path) -> Path:
    """Put a locally produced file (a wheel built from an sdist) into the same cache."""
    target = _cached(cache_dir, sha256, path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target


def _cached(cache_dir: Path, sha256: str, filename: str) -> Path:
    """Where the cache keeps a file: under its hash, with its own name (uv needs wheel names)."""
    return cache_dir / sha256[:2] / sha256 / filename
