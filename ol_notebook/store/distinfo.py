"""Read what an installed distribution says about itself: METADATA, RECORD, import names.

Import names come from RECORD, not top_level.txt: for namespace packages top_level.txt says
`nsp` while the importable name is `nsp.one`, and RECORD is what was really installed.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath

_NOT_IMPORTABLE = (".dist-info", ".data", "__pycache__")


@dataclass(frozen=True)
class RecordRow:
    path: str
    algorithm: str
    digest: str
    size: int | None


@dataclass(frozen=True)
class DistInfo:
    name: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...]
    record: tuple[RecordRow, ...]

    @property
    def import_names(self) -> tuple[str, ...]:
        return import_names([row.path for row in self.record])


class DistInfoError(ValueError):
    """The directory does not hold exactly one readable .dist-info."""


def read_dist_info(files_dir: Path) -> DistInfo:
    """Parse the single .dist-info of an install target directory."""
    found = sorted(files_dir.glob("*.dist-info"))
    if len(found) != 1:
        raise DistInfoError(f"expected one .dist-info in {files_dir}, found {len(found)}")
    info = found[0]
    headers = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8", errors="replace"))
    return DistInfo(
        name=headers["Name"],
        version=headers["Version"],
        requires_dist=tuple(headers.get_all("Requires-Dist") or ()),
        requires_python=headers.get("Requires-Python"),
        provides_extra=tuple(headers.get_all("Provides-Extra") or ()),
        record=tuple(_parse_record((info / "RECORD").read_text(encoding="utf-8"))),
    )


def _parse_record(text: str) -> list[RecordRow]:
    rows = []
    for fields in csv.reader(io.StringIO(text)):
        if not fields:
            continue
        path, hash_field, size = ([*fields, "", ""])[:3]
        algorithm, _, digest = hash_field.partition("=")
        rows.append(RecordRow(path, algorithm, digest, int(size) if size else None))
    return rows


def file_matches(path: Path, row: RecordRow) -> bool:
    """Whether a file's content matches its RECORD hash (urlsafe base64, no padding)."""
    digest = hashlib.new(row.algorithm, path.read_bytes()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == row.digest


def import_names(paths: list[str]) -> tuple[str, ...]:
    """Top-level importable names, descending through namespace directories (no __init__.py)."""
    files = {PurePosixPath(path) for path in paths if not path.startswith("..")}
    names: set[str] = set()
    _collect(files, PurePosixPath(), "", names)
    return tuple(sorted(names))


def _collect(files: set[PurePosixPath], directory: PurePosixPath, prefix: str, names: set[str]) -> None:
    children: dict[str, bool] = {}  # name -> is a directory
    depth = len(directory.parts)
    for path in files:
        if path.parts[:depth] != directory.parts or len(path.parts) <= depth:
            continue
        child = path.parts[depth]
        children[child] = children.get(child, False) or len(path.parts) > depth + 1
    for child, is_dir in children.items():
        if is_dir:
            if child.endswith(_NOT_IMPORTABLE) or not child.isidentifier() or (not prefix and child == "bin"):
                continue
            if directory / child / "__init__.py" in files:
                names.add(prefix + child)
            else:
                _collect(files, directory / child, f"{prefix}{child}.", names)
        elif (module := _module_name(child)) is not None:
            names.add(prefix + module)


def _module_name(filename: str) -> str | None:
    stem, dot, suffix = filename.partition(".")
    if not dot or not stem.isidentifier():
        return None
    if suffix == "py" or suffix == "pyd" or suffix.endswith("so"):
        return stem
    return None
