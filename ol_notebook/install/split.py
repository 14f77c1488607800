"""Share one `uv pip install --target` among several wheels, then give each its own directory back.

uv pays ~25 ms to start and installs a batch of wheels in parallel, so one uv run for 15 wheels
takes about a quarter of 15 runs. The store keeps one directory per package version, so after the
shared install every file moves (a rename, same filesystem) to the files directory of the
distribution whose installed RECORD lists it; bytecode follows its source. Wheels that would write
one path are never batched together (`WheelArchive.target_paths`), and a path two RECORDs claim is
an error here, so no file is ever given to the wrong package; publish then checks every entry
against its wheel's own RECORD as it does for an install of one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.errors import OLError
from ol_notebook.store.distinfo import parse_record
from ol_notebook.store.integrity import bytecode_source, files_below, normal_path


class SplitError(OLError):
    """A shared install that cannot be divided among its distributions."""


def split_target(target: Path, destinations: Mapping[str, Path]) -> None:
    """Move each distribution's files from the shared `target` into its `destinations[name]`
    (canonical name -> a files directory); what no RECORD claims (uv's `.lock`) stays behind.

    A top-level directory that only one distribution's RECORD reaches into moves in one rename
    (`pandas/`, thousands of files); only shared ones (a namespace package, `bin/`) go file by
    file. Anything else a wholly moved directory holds is caught by publish, which checks every
    file of an entry against its RECORD."""
    owners = _owners(target, destinations)
    tops: dict[str, set[Path]] = {}
    for path, destination in owners.items():
        if os.sep in path:
            tops.setdefault(path.split(os.sep, 1)[0], set()).add(destination)
    shared = {top for top, claimed in tops.items() if len(claimed) > 1}
    made: set[Path] = set()
    for top, claimed in tops.items():
        if top not in shared:
            _move(target, top, next(iter(claimed)), made)
    for relative, _ in files_below(target):
        destination = owners.get(relative)
        if destination is None and (source := bytecode_source(relative)) is not None:
            destination = owners.get(source)
        if destination is not None:  # what the renames above left: top-level files, shared directories
            _move(target, relative, destination, made)


def _move(target: Path, relative: str, destination: Path, made: set[Path]) -> None:
    moved = destination / relative
    if moved.parent not in made:
        moved.parent.mkdir(parents=True, exist_ok=True)
        made.add(moved.parent)
    os.rename(target / relative, moved)


def _owners(target: Path, destinations: Mapping[str, Path]) -> dict[str, Path]:
    """Installed path -> the files directory of the distribution whose RECORD lists it."""
    owners: dict[str, Path] = {}
    found: set[str] = set()
    for info in target.glob("*.dist-info"):
        name = canonicalize_name(info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        destination = destinations.get(name)
        if destination is None:
            raise SplitError(f"the shared install holds {info.name}, which was not asked for")
        found.add(name)
        try:
            rows = parse_record((info / "RECORD").read_text(encoding="utf-8"))
        except (OSError, UnicodeError, ValueError) as error:
            raise SplitError(f"the shared install's {info.name}/RECORD is unreadable: {error}") from error
        for row in rows:
            path = normal_path(row.path)
            if os.path.isabs(path) or path.split(os.sep, 1)[0] == "..":
                raise SplitError(f"{info.name}/RECORD lists {row.path!r}, outside the install directory")
            if owners.setdefault(path, destination) != destination:
                raise SplitError(f"{row.path!r} was installed by two of {sorted(destinations)} at once")
    if missing := sorted(set(destinations) - found):
        raise SplitError(f"the shared install holds no .dist-info for {', '.join(missing)}")
    return owners
