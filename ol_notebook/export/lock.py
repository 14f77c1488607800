"""The pylock.toml an export archive carries: exactly the wheels it holds, for exactly its target.

Like the store's locks (lock/write.py), it is built as PEP 751's TOML dict and validated by
`packaging.pylock` before it is written, and `environments` pins the target's exact marker, so
an installer elsewhere refuses it instead of guessing. A downloaded wheel is listed as itself; a
wheel we built is listed by the sdist it was built from (the index's file, which anyone can
fetch and check), with the built wheel's name and sha256 under `[packages.tool.ol-notebook]`.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from typing import Any

from packaging.utils import canonicalize_name

from ol_notebook.export.model import ExportError, TargetWheel
from ol_notebook.export.target import Target
from ol_notebook.lock import LockError, environment_marker, lock_from_dict, lock_text, uv_version
from ol_notebook.lock.write import CREATED_BY, TOOL, artifact_entry
from ol_notebook.store.distinfo import import_names, parse_record


def target_lock(target: Target, requirements: Sequence[str], wheels: Sequence[TargetWheel]) -> str:
    """pylock.toml text of exactly `wheels` (none is fine: a function zip whose packages are in its layer)."""
    tool: dict[str, Any] = {"requirements": list(requirements), "target": target.label}
    if version := uv_version():
        tool["uv-version"] = version
    data = {
        "lock-version": "1.0",
        "environments": [environment_marker(target)],
        "requires-python": f"=={target.python}",
        "created-by": CREATED_BY,
        "packages": [_package(wheel) for wheel in sorted(wheels, key=lambda wheel: canonicalize_name(wheel.name))],
        "tool": {TOOL: tool},
    }
    try:
        return lock_text(lock_from_dict(data, f"the lock written for {target.label}"))
    except LockError as error:
        raise ExportError(str(error)) from error


def _package(wheel: TargetWheel) -> dict[str, Any]:
    package: dict[str, Any] = {"name": canonicalize_name(wheel.name), "version": wheel.version}
    if wheel.requires_python:
        package["requires-python"] = wheel.requires_python
    if wheel.index:
        package["index"] = wheel.index
    names, size = _contents(wheel)
    tool: dict[str, Any] = {"import-names": list(names), "unpacked-size": size}
    if wheel.built:
        package["sdist"] = artifact_entry(wheel.source)
        tool["built"] = wheel.built
        tool["built-wheel"] = {"name": wheel.wheel.name,
                               "sha256": hashlib.sha256(wheel.wheel.read_bytes()).hexdigest()}
    else:
        package["wheels"] = [artifact_entry(wheel.source)]
    package["tool"] = {TOOL: tool}
    return package


def _contents(wheel: TargetWheel) -> tuple[tuple[str, ...], int]:
    """The wheel's import names (from its RECORD, as the store reads them) and unpacked bytes."""
    try:
        with zipfile.ZipFile(wheel.wheel) as archive:
            infos = archive.infolist()
            records = [info.filename for info in infos
                       if info.filename.count("/") == 1 and info.filename.endswith(".dist-info/RECORD")]
            if len(records) != 1:
                raise ExportError(f"{wheel.name} {wheel.version}: {wheel.wheel.name} has {len(records)} RECORD "
                                  "files, not one")
            rows = parse_record(archive.read(records[0]).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, UnicodeError, ValueError) as error:
        raise ExportError(f"{wheel.name} {wheel.version}: {wheel.wheel.name} is not a readable wheel: "
                          f"{error}") from error
    return import_names([row.path for row in rows]), sum(info.file_size for info in infos)
