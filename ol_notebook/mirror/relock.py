"""Each mirrored lock, rewritten to install from the mirror: `DIR/<the lock's own file name>`.

Every wheel and sdist loses its `url` and gets a `path` relative to the lock's directory, which
is the mirror's root (PEP 751: relative paths are relative to the lock), so the lock travels with
the directory: copied to an air-gapped machine, to any path, it still names the mirror's files.
Everything else is kept as it was (the `index` each package was resolved from, markers, the
`tool` tables): the lock still says where its packages came from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from ol_notebook.atomic_write import write_atomic
from ol_notebook.lock import lock_from_dict
from ol_notebook.mirror.layout import file_relpath

HEADER = "# Rewritten by `ol-notebook mirror` from {source}: every file is a path inside this mirror.\n"


def relocked_path(root: Path, lock_path: Path) -> Path:
    return root / lock_path.name


def write_relocked(root: Path, lock_path: Path, data: Mapping[str, Any], keep: Collection[str] | None = None,
                   source: str | None = None) -> Path:
    """Write the rewritten lock (validated before it is written) and return its path. With `keep`
    (the file names mirrored, for a mirror of one runtime's files only) every other file is left
    out, and so is a package left with none: the lock names only what the mirror holds. `source`
    says where the lock came from (default: its path)."""
    lock = lock_from_dict(data, str(lock_path))
    packages = []
    for raw, package in zip(data["packages"], lock.packages, strict=True):
        rewritten = {key: value for key, value in raw.items() if key not in ("wheels", "sdist")}
        if package.wheels:
            wheels = [_local(entry, wheel.filename) for entry, wheel in zip(raw["wheels"], package.wheels, strict=True)
                      if keep is None or wheel.filename in keep]
            if wheels:
                rewritten["wheels"] = wheels
        if package.sdist and (keep is None or package.sdist.filename in keep):
            rewritten["sdist"] = _local(raw["sdist"], package.sdist.filename)
        if "wheels" in rewritten or "sdist" in rewritten or not (package.wheels or package.sdist):
            packages.append(rewritten)
    relocked = {**data, "packages": packages}
    target = relocked_path(root, lock_path)
    lock_from_dict(relocked, str(target))
    write_atomic(target, HEADER.format(source=source or lock_path.resolve()) + tomli_w.dumps(relocked))
    return target


def _local(entry: Mapping[str, Any], filename: str) -> dict[str, Any]:
    local = {key: value for key, value in entry.items() if key not in ("url", "path")}
    return {"name": filename, "path": "web/" + file_relpath(filename, entry["hashes"]["sha256"]), **local}
