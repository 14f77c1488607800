"""The pylock.toml an export archive carries: exactly the wheels it holds, for exactly its target.

Like the store's locks (lock/write.py), it is built as PEP 751's TOML dict and validated by
`packaging.pylock` before it is written, and `environments` pins the target's exact marker, so
an installer elsewhere refuses it instead of guessing. A downloaded wheel is listed as itself; a
wheel we built is listed by the sdist it was built from (the index's file, which anyone can
fetch and check), with the built wheel's name and sha256 under `[packages.tool.ol-notebook]`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from packaging.utils import canonicalize_name

from ol_notebook.export.model import ExportError
from ol_notebook.export.target import Target
from ol_notebook.export.unpack import PackageFiles
from ol_notebook.lock import LockError, lock_from_dict, lock_text, uv_version
from ol_notebook.lock.write import TOOL, artifact_entry, lock_document

LOCK_NAME = "pylock.toml"  # where every export archive carries its lock: at its top


def target_lock(target: Target, requirements: Sequence[str], packages: Sequence[PackageFiles]) -> str:
    """pylock.toml text of exactly `packages` as a bundle holds them (none is fine: a function zip
    whose packages are in its layer); import names and unpacked size are those of the bundle's files."""
    tool: dict[str, Any] = {"requirements": list(requirements), "target": target.label}
    if version := uv_version():
        tool["uv-version"] = version
    data = lock_document(target, [_package(files) for files in sorted(packages, key=_name)], tool)
    try:
        return lock_text(lock_from_dict(data, f"the lock written for {target.label}"))
    except LockError as error:
        raise ExportError(str(error)) from error


def _name(files: PackageFiles) -> str:
    return canonicalize_name(files.wheel.name)


def _package(files: PackageFiles) -> dict[str, Any]:
    wheel = files.wheel
    package: dict[str, Any] = {"name": canonicalize_name(wheel.name), "version": wheel.version}
    if wheel.requires_python:
        package["requires-python"] = wheel.requires_python
    if wheel.index:
        package["index"] = wheel.index
    tool: dict[str, Any] = {"import-names": list(files.import_names), "unpacked-size": files.size}
    if wheel.built:
        package["sdist"] = artifact_entry(wheel.source)
        tool["built"] = wheel.built
        tool["built-wheel"] = {"name": wheel.wheel.name,
                               "sha256": hashlib.sha256(wheel.wheel.read_bytes()).hexdigest()}
    else:
        package["wheels"] = [artifact_entry(wheel.source)]
    package["tool"] = {TOOL: tool}
    return package
