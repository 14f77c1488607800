"""What a distribution file says of itself in its core metadata (a wheel's METADATA, an sdist's
PKG-INFO), read from the archive without unpacking it: for a mirror's pages and an export's lock,
when the index or lock did not say.
"""

from __future__ import annotations

import email.parser
import tarfile
import zipfile
from pathlib import Path

METADATA_LIMIT = 1 << 20  # a METADATA / PKG-INFO larger than this is not read (a zip bomb, not metadata)


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
