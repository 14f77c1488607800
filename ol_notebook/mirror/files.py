"""Writing into a mirror so that a reader (pip, uv, a web server, a crash) never sees half a file:
each file is written under a temporary name on the mirror's filesystem, synced, then renamed over.
Plus what a mirror needs to know of a file: its sha256 (streamed: wheels can be gigabytes) and
its Requires-Python, read from its own metadata when the lock does not say.
"""

from __future__ import annotations

import email.parser
import hashlib
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

CHUNK = 1 << 20
METADATA_LIMIT = 1 << 20  # a METADATA / PKG-INFO larger than this is not read (a zip bomb, not metadata)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one rename, after the content reached the disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def publish(staged: Path, target: Path) -> None:
    """Move a verified file from the staging directory (on the mirror's own filesystem) to
    `target` in one rename, after its content reached the disk: `target` is either absent, the
    old file, or the whole new one."""
    with staged.open("rb") as stream:
        os.fsync(stream.fileno())
    os.chmod(staged, 0o644)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    sync_directory(target.parent)


def sync_directory(path: Path) -> None:
    """Make a rename in `path` durable."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def requires_python_of(path: Path) -> str | None:
    """Requires-Python from a wheel's METADATA or an sdist's PKG-INFO (None when absent or unreadable:
    the page then just has no `data-requires-python`, which is what it means)."""
    try:
        metadata = _metadata(path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
        return None
    if metadata is None:
        return None
    value = email.parser.BytesParser().parsebytes(metadata, headersonly=True).get("Requires-Python")
    return str(value).strip() or None if value else None


def _metadata(path: Path) -> bytes | None:
    if path.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                wanted = ("METADATA", ".dist-info") if path.name.endswith(".whl") else ("PKG-INFO", "")
                if len(parts) == 2 and parts[1] == wanted[0] and parts[0].endswith(wanted[1]):
                    with archive.open(info) as member:
                        return member.read(METADATA_LIMIT)
        return None
    with tarfile.open(path) as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 2 and parts[1] == "PKG-INFO":
                stream = archive.extractfile(member)
                return stream.read(METADATA_LIMIT) if stream else None
    return None
