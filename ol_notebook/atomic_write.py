"""Replace a small file so that a reader (or a crash) sees the old content or the new, never half.

The text goes to a temporary file in the same directory, which is then renamed over the target.
`durable` also syncs the content to disk before the rename, for files whose loss after a power
cut would lose something (a mirror's pages, a lambda's history); memos that are rebuilt when
missing skip it (an fsync costs milliseconds here).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Replace `path` with `text` in one rename (its directory is made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
