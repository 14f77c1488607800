"""Install many wheels with ONE uv process, then split its target into one staging dir per wheel.

Why: a uv process costs ~40 ms before it installs anything, and a pull of a warm closure is
mostly that, once per wheel (bench/pull.py). One `uv pip install --no-deps --target` of every
wheel of a pull, with one `--compile-bytecode` pass, writes exactly the files a target of each
wheel alone would hold, as long as no two wheels write the same path. So:

- before: `install_paths` predicts, from a wheel's archive alone, every path it can write into
  a target (its files, its `.data/purelib|platlib|scripts`, its console scripts, its own
  .dist-info). A wheel whose archive has anything unusual (an absolute or `..` name, a second
  .dist-info or .data directory, a `.data` scheme other than those, a name that is not plain
  text) is not batched: it is installed alone, exactly as before, where uv and publish judge it.
  Wheels whose predicted paths meet are not batched together either.
- after: `split_target` moves each wheel's files, as its own (uv-written) RECORD lists them, with
  the bytecode of the sources it lists, into that wheel's staging dir. A path outside the target,
  a file two RECORDs claim, a file no RECORD claims, or anything that is not a regular file fails
  the whole batch; the puller then installs each wheel alone. Publish verifies every entry
  against its RECORD as before.
"""

from __future__ import annotations

import configparser
import os
import posixpath
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ol_notebook.errors import OLError
from ol_notebook.store.distinfo import DistInfoError, parse_record

_BATCHED_SCHEMES = ("purelib", "platlib", "scripts")
_UV_LOCK = ".lock"  # uv's lock on a target directory, not part of any package


class BatchError(OLError):
    """A batch's target cannot be split safely; its wheels are installed one by one instead."""


def install_paths(wheel: Path) -> tuple[str, frozenset[str]] | None:
    """(the wheel's .dist-info directory, every path it may write into a --target), or None when
    the wheel must be installed alone (see the module docstring)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
            tops = {name.split("/", 1)[0] for name in names}
            dist_infos = [top for top in tops if top.endswith(".dist-info")]
            if len(dist_infos) != 1:
                return None
            dist_info = dist_infos[0]
            data = dist_info.removesuffix(".dist-info") + ".data"
            if any(top.endswith(".data") and top != data for top in tops):
                return None
            paths = set()
            for name in names:
                if (path := _target_path(name, data)) is None:
                    return None
                paths.add(path)
                if bytecode := _bytecode_slot(path):  # a shipped .pyc and a compiled one may meet
                    paths.add(bytecode)
            scripts = _script_names(archive, f"{dist_info}/entry_points.txt")
    except (zipfile.BadZipFile, OSError, UnicodeError, configparser.Error):
        return None
    if scripts is None:
        return None
    paths.update(f"bin/{script}" for script in scripts)
    return dist_info, frozenset(paths)


def archive_problem(wheel: Path) -> str | None:
    """What makes a wheel's archive unfit to install, whether batched or alone: a member name that is
    absolute or climbs out (`..`), a symlink member, a member its RECORD does not list. uv would
    skip the first two and record the third itself; the store refuses all three."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            infos = archive.infolist()
            records = [info.filename for info in infos if info.filename.count("/") == 1
                       and info.filename.endswith(".dist-info/RECORD")]
            listed = {row.path for name in records for row in parse_record(archive.read(name).decode("utf-8"))}
    except (zipfile.BadZipFile, OSError, UnicodeError, ValueError) as error:
        return f"it is not a readable wheel ({error})"
    for info in infos:
        name = info.filename
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            return f"its member {name!r} would be written outside the install directory"
        if stat.S_ISLNK(info.external_attr >> 16):
            return f"its member {name!r} is a symbolic link"
        if not info.is_dir() and name not in listed and not name.endswith((".dist-info/RECORD.jws",
                                                                           ".dist-info/RECORD.p7s")):
            return f"its member {name!r} is not listed in its RECORD" if records else "it has no RECORD"
    return None


def _target_path(name: str, data: str) -> str | None:
    """Where uv puts an archive member in a --target, or None when it is not plain enough to batch."""
    if not name.isprintable() or "\\" in name or name.startswith("/") or name != posixpath.normpath(name):
        return None
    parts = name.split("/")
    if ".." in parts:
        return None
    if parts[0] != data:
        return name
    if len(parts) < 3 or parts[1] not in _BATCHED_SCHEMES:
        return None
    rest = "/".join(parts[2:])
    if parts[2].endswith((".dist-info", ".data")):  # another distribution's metadata, by another route
        return None
    return f"bin/{rest}" if parts[1] == "scripts" else rest


def _bytecode_slot(path: str) -> str | None:
    """`dir/__pycache__/mod.pyc*` for `dir/mod.py` and for any `dir/__pycache__/mod.<tag>.pyc`: where
    bytecode of that module lands, whatever the interpreter's tag."""
    directory, name = posixpath.split(path)
    if name.endswith(".py"):
        return posixpath.join(directory, "__pycache__", name[:-3] + ".pyc*")
    if posixpath.basename(directory) == "__pycache__" and name.endswith(".pyc"):
        return posixpath.join(directory, name.split(".", 1)[0] + ".pyc*")
    return None


def _script_names(archive: zipfile.ZipFile, entry_points: str) -> list[str] | None:
    try:
        text = archive.read(entry_points).decode("utf-8")
    except KeyError:
        return []
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    names = [name.strip() for section in ("console_scripts", "gui_scripts") if parser.has_section(section)
             for name in parser.options(section)]
    if any(not name or "/" in name or name.startswith(".") or not name.isprintable() for name in names):
        return None
    return names


def disjoint(paths: Iterable[frozenset[str]]) -> bool:
    """Whether no two wheels may write one path, nor one a file where another makes a directory."""
    files: set[str] = set()
    directories: set[str] = set()
    for wheel_paths in paths:
        parents = {prefix for path in wheel_paths for prefix in _prefixes(path)}
        if wheel_paths & (files | directories) or parents & files:
            return False
        files |= wheel_paths
        directories |= parents
    return True


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts))]


def split_target(target: Path, stagings: dict[str, Path]) -> None:
    """Move each .dist-info's files (by its RECORD) and their bytecode from `target` into
    `stagings[dist_info] / "files"`; raise BatchError, moving nothing more, if any file is not
    claimed by exactly one RECORD, or is not a regular file inside the target."""
    owner: dict[str, str] = {}
    for dist_info in stagings:
        for path in _record_paths(target, dist_info):
            if owner.setdefault(path, dist_info) != dist_info:
                raise BatchError(f"{path} is claimed by both {owner[path]} and {dist_info}")
    found = _regular_files(target)
    moves = []
    for path in found:
        dist_info = owner.get(path) or owner.get(_source_of(path) or "")
        if dist_info is None:
            if path == _UV_LOCK:
                continue
            raise BatchError(f"{path} in the batch's target is claimed by no RECORD")
        moves.append((path, dist_info))
    missing = set(owner) - set(found)
    if missing:
        raise BatchError(f"{sorted(missing)[0]} is listed in a RECORD but was not installed")
    _move(target, {path: stagings[dist_info] / "files" for path, dist_info in moves})


def _move(target: Path, destinations: dict[str, Path]) -> None:
    """Move each file to its destination root: a top-level directory whose files all go to one
    root in one rename (numpy/, scipy/: thousands of files), the others (bin/, a shared
    __pycache__/ or namespace directory) file by file."""
    roots: dict[str, set[Path]] = {}
    for path, root in destinations.items():
        roots.setdefault(path.split("/", 1)[0], set()).add(root)
    made: set[str] = set()
    for path, root in destinations.items():
        top = path.split("/", 1)[0]
        if len(roots[top]) == 1:
            path = top
            if path in made:
                continue
        destination = os.path.join(root, path)
        parent = os.path.dirname(destination)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        os.rename(os.path.join(target, path), destination)
        made.add(path)


def _record_paths(target: Path, dist_info: str) -> list[str]:
    try:
        rows = parse_record((target / dist_info / "RECORD").read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError, DistInfoError) as error:
        raise BatchError(f"{dist_info}/RECORD is unreadable: {error}") from error
    paths = []
    for row in rows:
        path = posixpath.normpath(row.path)
        if path.startswith("/") or path == ".." or path.startswith("../") or "\\" in path:
            raise BatchError(f"{dist_info}/RECORD lists {row.path!r}, outside the target")
        paths.append(path)
    return paths


def _regular_files(target: Path) -> set[str]:
    """Relative paths of every non-directory below `target`; anything but a regular file is refused."""
    found = set()
    pending = [("", os.fspath(target))]
    while pending:
        relative, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{relative}{entry.name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    found.add(relative + entry.name)
                else:
                    raise BatchError(f"{relative}{entry.name} in the batch's target is not a regular file")
    return found


def _source_of(path: str) -> str | None:
    """`dir/mod.py` for `dir/__pycache__/mod.<tag>.pyc`, else None."""
    parent, name = posixpath.split(path)
    if posixpath.basename(parent) != "__pycache__" or not name.endswith(".pyc"):
        return None
    return posixpath.join(posixpath.dirname(parent), name.split(".", 1)[0] + ".py")
