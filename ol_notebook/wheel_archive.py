"""What makes a wheel's archive unfit to install, checked before uv sees it.

uv, given a wheel whose member names are absolute or climb out with `..`, skips those members
silently; a symlink member is not something a wheel may ship; and a member its RECORD omits is
installed and then recorded by uv itself, so publish's check against RECORD would pass. The
store's promise is that an entry holds exactly what the wheel's own RECORD lists, so each of
these is refused, naming the member, before anything is installed.
"""

from __future__ import annotations

import configparser
import functools
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ol_notebook.store.distinfo import RecordRow, parse_record


@dataclass(frozen=True)
class WheelArchive:
    """What an install needs from a wheel before unpacking it, read in one opening of the zip."""

    unpacked_size: int  # the sum of its members' declared sizes
    record: tuple[RecordRow, ...]  # its own RECORD, which its sha256 vouches for
    problem: str | None  # why it must not be installed (see the module's docstring), or None
    members: tuple[str, ...] = ()  # its file members' names
    scripts: tuple[str, ...] = ()  # the console and GUI scripts its entry points ask an installer to write

    @functools.cached_property
    def target_paths(self) -> frozenset[str]:
        """Where an install into a `--target` directory may write, so that two wheels that would
        write one path are never installed into one directory together. Conservative: every
        `.data` scheme but scripts lands at the root here, and a script at `bin/`."""
        paths = {f"bin/{script}" for script in self.scripts}
        for name in {*self.members, *(row.path for row in self.record)}:  # RECORD may claim more
            top, _, rest = name.partition("/")
            scheme, _, inside = rest.partition("/")
            if top.endswith(".data") and inside:
                name = f"bin/{inside}" if scheme == "scripts" else inside
            paths.add(name)
        return frozenset(paths)


def read_wheel(wheel: Path) -> WheelArchive:
    """Reads only the zip's directory and RECORD: milliseconds even for a large wheel."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            infos = archive.infolist()
            records = [info.filename for info in infos if info.filename.count("/") == 1
                       and info.filename.endswith(".dist-info/RECORD")]
            rows = tuple(row for name in records for row in parse_record(archive.read(name).decode("utf-8")))
            entry_points = [info.filename for info in infos if info.filename.count("/") == 1
                            and info.filename.endswith(".dist-info/entry_points.txt")]
            scripts = _scripts(archive.read(entry_points[0]).decode("utf-8")) if entry_points else ()
    except (zipfile.BadZipFile, OSError, UnicodeError, ValueError, configparser.Error) as error:
        return WheelArchive(0, (), f"it is not a readable wheel ({error})")
    problem = _problem(infos, {row.path for row in rows}, bool(records))
    members = tuple(info.filename for info in infos if not info.is_dir())
    return WheelArchive(sum(info.file_size for info in infos), rows, problem, members, scripts)


def archive_problem(wheel: Path) -> str | None:
    """Why the wheel must not be installed (see the module's docstring), or None."""
    return read_wheel(wheel).problem


def _scripts(entry_points: str) -> tuple[str, ...]:
    """The script names of entry_points.txt's console_scripts and gui_scripts sections."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # script names keep their case
    parser.read_string(entry_points)
    return tuple(name for section in ("console_scripts", "gui_scripts") if parser.has_section(section)
                 for name in parser.options(section))


def _problem(infos: list[zipfile.ZipInfo], listed: set[str], has_record: bool) -> str | None:
    for info in infos:
        name = info.filename
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            return f"its member {name!r} would be written outside the install directory"
        if stat.S_ISLNK(info.external_attr >> 16):
            return f"its member {name!r} is a symbolic link"
        if not info.is_dir() and name not in listed and not name.endswith((".dist-info/RECORD.jws",
                                                                           ".dist-info/RECORD.p7s")):
            return f"its member {name!r} is not listed in its RECORD" if has_record else "it has no RECORD"
    return None
