"""Our PEP 751 lock of a pulled closure: the exact files installed, where they came from, and what
they provide.

Built as the TOML dict PEP 751 describes, validated by `packaging.pylock` (so we never write a
lock others cannot read), and written with tomli_w, sorted by package name so the same closure
always gives the same bytes. Beyond what uv's own pylock output says, each package names its
`index` (the simple-API URL it was resolved from) and `[packages.tool.ol-notebook]` its
`import-names` (as the store read them from RECORD) and `store-key`; `environments` pins the
exact target, so installing it anywhere else is refused instead of building from source.
"""

from __future__ import annotations

import functools
import subprocess
import tomllib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import tomli_w
from packaging.pylock import Pylock, is_valid_pylock_path
from packaging.utils import canonicalize_name

from ol_notebook.index import Runtime, uv_binary
from ol_notebook.lock.freeze import Frozen, frozen_packages
from ol_notebook.lock.read import LockError, lock_from_dict
from ol_notebook.resolve import Artifact, Closure
from ol_notebook.store import EntryMetadata

CREATED_BY = "ol-notebook"
TOOL = "ol-notebook"
# The marker variables that pin a target: a wheel for one of them is useless on another.
TARGET_MARKERS = ("sys_platform", "platform_machine", "implementation_name", "python_full_version")


def lock_closure(closure: Closure, entry_of: Callable[[str], EntryMetadata | None], runtime: Runtime,
                 uv_version: str | None = None) -> Pylock:
    """The validated lock of `closure` as the store installed it for `runtime` (`entry_of(key)`
    gives the store's record of each pin). LockError if any package cannot be locked truly."""
    if closure.runtime_id != runtime.id:
        raise LockError(f"this closure was compiled for {closure.runtime_id}, but the store serves {runtime.id}: "
                        "its lock would name files this runtime never installed; compile it again here")
    packages = sorted(frozen_packages(closure, entry_of), key=lambda item: canonicalize_name(item.pin.name))
    tool: dict[str, Any] = {"requirements": list(closure.requirements)}
    if uv_version:
        tool["uv-version"] = uv_version
    data = lock_document(runtime, [_package(item) for item in packages], tool)
    return lock_from_dict(data, f"the lock written for {', '.join(closure.requirements) or 'no requirements'}")


def lock_document(target: HasEnvironment, packages: list[dict[str, Any]], tool: dict[str, Any]) -> dict[str, Any]:
    """A lock of ours as PEP 751's TOML dict: `packages` for exactly `target` (its marker is the one
    environment, its Python the one requires-python), with our `[tool.ol-notebook]` table."""
    return {
        "lock-version": "1.0",
        "environments": [environment_marker(target)],
        "requires-python": f"=={target.environment['python_full_version']}",
        "created-by": CREATED_BY,
        "packages": packages,
        "tool": {TOOL: tool},
    }


def lock_text(lock: Pylock) -> str:
    """The lock as pylock.toml text."""
    return tomli_w.dumps(lock.to_dict())


class HasEnvironment(Protocol):
    """A runtime of ours or an export target: anything with a PEP 508 marker environment."""

    @property
    def environment(self) -> Mapping[str, str]: ...


def environment_marker(runtime: HasEnvironment) -> str:
    """The one environment a lock of ours serves, e.g. `sys_platform == 'linux' and ...` (for a
    runtime of the store or an export target)."""
    return " and ".join(f"{name} == '{runtime.environment[name]}'" for name in TARGET_MARKERS)


def check_lock_path(path: Path) -> Path:
    """`path`, if PEP 751 allows its name (pylock.toml or pylock.NAME.toml): installers look for those."""
    if not is_valid_pylock_path(path):
        raise LockError(f"cannot write the lock to {path}: PEP 751 names lock files pylock.toml or "
                        "pylock.NAME.toml (e.g. pylock.dev.toml)")
    if not path.absolute().parent.is_dir():
        raise LockError(f"cannot write the lock to {path}: the directory {path.absolute().parent} does not exist")
    return path


def write_lock_file(path: Path, text: str) -> None:
    """Write the lock whole: to a temporary name beside it, then renamed over `path`."""
    check_lock_path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise LockError(f"cannot write the lock {path}: {error.strerror}") from None


def written(text: str, path: Path) -> str:
    """What writing the lock `text` to `path` did, for the user."""
    count = len(tomllib.loads(text)["packages"])
    return f"wrote the lock of {count} package{'' if count == 1 else 's'} to {path}"


@functools.cache
def uv_version() -> str | None:
    """The version of the uv that resolves for us, e.g. `0.13.9` (None if it does not say: the lock
    then records none rather than a guess)."""
    try:
        words = subprocess.run([uv_binary(), "--version"], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return words[1] if len(words) > 1 and words[0] == "uv" else None


def _package(item: Frozen) -> dict[str, Any]:
    pin, entry = item.pin, item.entry
    package: dict[str, Any] = {"name": canonicalize_name(pin.name), "version": pin.version}
    if entry.requires_python:
        package["requires-python"] = entry.requires_python
    if item.index:
        package["index"] = item.index
    if item.artifact.is_wheel:
        package["wheels"] = [artifact_entry(item.artifact)]
    else:
        package["sdist"] = artifact_entry(item.artifact)
    package["tool"] = {TOOL: {"import-names": sorted(entry.import_names), "store-key": pin.key}}
    return package


def artifact_entry(artifact: Artifact) -> dict[str, Any]:
    """A lock's `wheels` or `sdist` entry for an index file: name, url, upload-time, size and sha256."""
    entry: dict[str, Any] = {"name": artifact.filename, "url": artifact.url}
    if artifact.upload_time is not None:
        entry["upload-time"] = datetime.fromisoformat(artifact.upload_time)
    if artifact.size is not None:
        entry["size"] = artifact.size
    entry["hashes"] = {"sha256": artifact.sha256}
    return entry
