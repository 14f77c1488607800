"""Wheels made on the spot for the bundle tests (layout, checks, attacks), as TargetWheels.

Real wheels written by the local index's own writer (tests/localindex/backend.write_wheel:
RECORD hashes every file), or raw zips for the hostile ones a proper writer would never make.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

from ol_notebook.export.model import TargetWheel
from ol_notebook.resolve import Artifact
from tests.localindex import backend
from tests.localindex.wheelbuilder import module_text

EM_X86_64, EM_AARCH64 = 62, 183


def elf_header(machine: int, elf_class: int = 2, encoding: int = 1) -> bytes:
    """A minimal ELF header: e_ident (class, data encoding), e_type ET_DYN, e_machine; padded."""
    ident = b"\x7fELF" + bytes([elf_class, encoding, 1, 0]) + bytes(8)
    order = "<" if encoding == 1 else ">"
    return ident + struct.pack(f"{order}HH", 3, machine) + bytes(44)


def make_wheel(directory: Path, name: str, version: str = "1.0", files: dict[str, bytes] | None = None,
               tag: str = "py3-none-any") -> TargetWheel:
    """A wheel of `files` (default: one module NAME/__init__.py) written by the index's writer."""
    directory.mkdir(parents=True, exist_ok=True)
    files = files if files is not None else {f"{name}/__init__.py": module_text(name, version).encode()}
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    filename = backend.write_wheel(str(directory), name, version, files, metadata, tag=tag)
    return target_wheel(directory / filename, name, version)


def raw_wheel(directory: Path, name: str, members: list[tuple[zipfile.ZipInfo | str, bytes]],
              version: str = "1.0", tag: str = "py3-none-any") -> TargetWheel:
    """A zip named like a wheel with exactly `members` (no RECORD unless given): for attacks."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return target_wheel(path, name, version)


def target_wheel(path: Path, name: str, version: str) -> TargetWheel:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    artifact = Artifact(path.name, path.as_uri(), digest, path.stat().st_size)
    return TargetWheel(name=name, version=version, index=None, source=artifact, wheel=path)
