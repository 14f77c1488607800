"""A lock file to a validated `Pylock`: ours, uv's (`uv pip compile --format pylock.toml`) or
pip's (`pip lock`). Every problem is a LockError naming the file and what is wrong, so a bad
lock is refused before anything is downloaded or installed."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError, is_valid_pylock_path

from ol_notebook.errors import OLError


class LockError(OLError):
    """A lock file that cannot be read, is not a valid PEP 751 lock, or cannot serve here."""


def read_lock(path: Path) -> Pylock:
    """The lock at `path`; its name must follow PEP 751 (`pylock.toml` or `pylock.NAME.toml`)."""
    if not is_valid_pylock_path(path):
        raise LockError(f"{path} is not named like a PEP 751 lock: pylock.toml or pylock.NAME.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LockError(f"cannot read the lock {path}: {error.strerror}") from None
    return parse_lock(text, str(path), path.absolute().parent)


def parse_lock(text: str, source: str, directory: Path | None = None) -> Pylock:
    """The lock in `text` (a pylock.toml's content, e.g. a REST body's); `source` names it in errors.

    With the `directory` the lock file is in, a file it names by a relative `path` (PEP 751: relative
    to the lock, as in the locks `ol-notebook mirror` rewrites) also gets that file's `file://` URL,
    so it installs like any other; where that URL may be fetched from is still the configured index's
    rule (index/origins.py), and a lock with no directory (a REST body) names no local file.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LockError(f"the lock {source} is not valid TOML: {error}") from None
    if directory is not None:
        _locate_paths(data, directory)
    return lock_from_dict(data, source)


def _locate_paths(data: dict[str, Any], directory: Path) -> None:
    """Give every wheel and sdist named by a relative path, and by no URL, the URL of that path."""
    packages = data.get("packages")
    for package in packages if isinstance(packages, list) else ():
        if not isinstance(package, dict):
            continue  # validation names it
        wheels = package.get("wheels")
        for file in [*(wheels if isinstance(wheels, list) else ()), package.get("sdist")]:
            path = file.get("path") if isinstance(file, dict) else None
            if isinstance(path, str) and "url" not in file and not Path(path).is_absolute():
                file["url"] = (directory / path).resolve().as_uri()


def lock_from_dict(data: Mapping[str, Any], source: str) -> Pylock:
    """`data` (a parsed pylock.toml) as a validated Pylock; `source` names it in errors."""
    try:
        return Pylock.from_dict(data)
    except PylockUnsupportedVersionError as error:
        raise LockError(f"the lock {source} has a lock-version this ol-notebook cannot read: {error}") from None
    except PylockValidationError as error:
        raise LockError(f"the lock {source} is not a valid PEP 751 lock: {error}") from None
