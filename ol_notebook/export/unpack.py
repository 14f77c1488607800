"""A wheel installed into a bundle, as the archive members it becomes (nothing is extracted).

Installing a wheel into a bundle here means what `pip install --target` does, minus what a lambda
never uses:
- every member goes to the bundle's root (a layer's `python/`);
- `NAME.data/purelib/` and `NAME.data/platlib/` are moved to the root, as installers do;
- `NAME.data/scripts/`, `headers/` and `data/` are DROPPED: scripts and headers serve a shell and
  a compiler, and data files belong under sys.prefix, which a bundle is not; nothing on a lambda's
  sys.path finds them (pip --target puts them outside the import path too);
- the .dist-info is kept, RECORD as it is (importlib.metadata reads it; its few `.data` paths then
  name files that are not there, which no reader minds);
- directory entries are skipped (unzip makes directories from the paths);
- mode 0o755 for shared objects (by name: .so, .so.N, anything in a `.libs/` directory) and for
  members the wheel marks executable, 0o644 otherwise.
The wheel's names were checked by archive_problem() first: no `..`, no absolute path, no symlink,
nothing RECORD does not list.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from functools import cached_property

from packaging.utils import parse_wheel_filename

from ol_notebook.export.archive import Member, WheelMember
from ol_notebook.export.model import ExportedPackage, ExportError, TargetWheel
from ol_notebook.store.distinfo import import_names
from ol_notebook.wheel_archive import archive_problem

_SHARED_OBJECT = re.compile(r"(\.so(\.\d+)*$)|(\.libs/)")
_DATA = re.compile(r"[^/]+\.data/([^/]+)/(.*)")
_INSTALLED_DATA = ("purelib", "platlib")


@dataclass(frozen=True)
class PackageFiles:
    """A package's wheel and the members it puts into a bundle (names relative to the bundle's
    package root, before any layer prefix)."""

    wheel: TargetWheel
    members: tuple[Member, ...]

    @property
    def label(self) -> str:
        return f"{self.wheel.name} {self.wheel.version}"

    @property
    def size(self) -> int:
        return sum(member.size for member in self.members)

    @property
    def tags(self) -> str:
        """The wheel's tag triple(s) as its file name says them, e.g. cp312-cp312-manylinux_2_17_x86_64."""
        return wheel_tags(self.wheel.wheel.name)

    @cached_property
    def import_names(self) -> tuple[str, ...]:
        return import_names([member.name for member in self.members])

    def exported(self) -> ExportedPackage:
        return ExportedPackage(self.wheel.name, self.wheel.version, self.size, self.tags, self.wheel.built)

    def under(self, prefix: str) -> tuple[Member, ...]:
        """The members as placed in an archive whose packages live under `prefix` ("" or "python/")."""
        return tuple(Member(prefix + member.name, member.mode, member.data, member.source) for member in self.members)


def wheel_tags(filename: str) -> str:
    """The tag part of a wheel's file name: its last three dash-separated fields."""
    return "-".join(filename.removesuffix(".whl").split("-")[-3:])


def package_files(wheel: TargetWheel) -> PackageFiles:
    """What `wheel` puts into a bundle (see the module's docstring); ExportError naming the package
    and wheel when the wheel is unsafe or unreadable."""
    where = f"package {wheel.name} {wheel.version} (wheel {wheel.wheel.name})"
    if (problem := archive_problem(wheel.wheel)) is not None:
        raise ExportError(f"{where} cannot go into a bundle: {problem}")
    try:
        parse_wheel_filename(wheel.wheel.name)
        with zipfile.ZipFile(wheel.wheel) as archive:
            infos = archive.infolist()
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ExportError(f"{where} cannot go into a bundle: {error}") from None
    members: dict[str, Member] = {}
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        if (data := _DATA.fullmatch(name)) is not None:
            if data.group(1) not in _INSTALLED_DATA:
                continue
            name = data.group(2)
        if any(part in ("", ".", "..") for part in name.split("/")):
            raise ExportError(f"{where} cannot go into a bundle: its member {info.filename!r} has an empty, '.' "
                              "or '..' path component, which unzip would resolve to another file")
        if name in members:
            raise ExportError(f"{where} cannot go into a bundle: it has two members that install as {name!r}")
        executable = bool(stat.S_IMODE(info.external_attr >> 16) & 0o111)
        mode = 0o755 if executable or _SHARED_OBJECT.search(name) else 0o644
        members[name] = Member(name, mode, source=WheelMember(wheel.wheel, info))
    return PackageFiles(wheel, tuple(members.values()))
