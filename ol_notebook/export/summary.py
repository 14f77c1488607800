"""An export's summary read back from the archive itself: every archive we write carries the
pylock.toml of what it holds, so a zip or tarball found later tells what is inside without
unpacking it (the function zip of a layered export lists no packages: they are in its layer).
"""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

from ol_notebook.export.lock import LOCK_NAME
from ol_notebook.export.model import ExportedPackage, ExportError
from ol_notebook.export.unpack import wheel_tags
from ol_notebook.lock.write import TOOL

_LOCK_MAX = 16 << 20  # bytes: far above any lock, far below what a hostile archive could make us read


def summary_of_archive(path: Path) -> tuple[ExportedPackage, ...]:
    """The packages of an archive ol-notebook exported (zip or tar.gz), from its pylock.toml."""
    try:
        data = tomllib.loads(_lock_bytes(path).decode("utf-8"))
    except (UnicodeError, tomllib.TOMLDecodeError) as error:
        raise ExportError(f"the {LOCK_NAME} inside {path} is not readable TOML: {error}") from None
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        raise ExportError(f"the {LOCK_NAME} inside {path} has no list of packages")
    return tuple(_exported(package, path) for package in packages)


def _lock_bytes(path: Path) -> bytes:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo(LOCK_NAME)
                if info.file_size > _LOCK_MAX:
                    raise ExportError(f"the {LOCK_NAME} inside {path} is too large to be ours")
                return archive.read(info)
        with tarfile.open(path, "r:gz") as archive:
            member = archive.getmember(LOCK_NAME)
            stream = archive.extractfile(member) if member.isfile() and member.size <= _LOCK_MAX else None
            if stream is None:
                raise ExportError(f"the {LOCK_NAME} inside {path} is not a plain file of a sane size")
            return stream.read()
    except KeyError:
        raise ExportError(f"{path} holds no {LOCK_NAME}: it was not written by ol-notebook's export") from None
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
        raise ExportError(f"{path} is neither a zip nor a tar.gz ol-notebook wrote: {error}") from None


def _exported(package: Any, path: Path) -> ExportedPackage:
    try:
        tool = package.get("tool", {}).get(TOOL, {})
        built = tool.get("built")
        wheel = tool["built-wheel"] if built else (package.get("wheels") or [{}])[0]
        return ExportedPackage(
            name=package["name"],
            version=package["version"],
            size=int(tool.get("unpacked-size", 0)),
            tags=wheel_tags(wheel["name"]),
            built=built,
        )
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:
        raise ExportError(f"a package in the {LOCK_NAME} inside {path} is not as ol-notebook writes it: "
                          f"{error!r}") from None
