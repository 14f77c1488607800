"""Private mirrors built from locks: the exact files of one or more PEP 751 locks (or of a
compiled closure), downloaded, verified and laid out as a bandersnatch mirror that `--mirror DIR`,
pip and uv read with no network at all.

Layout: wanted (what a lock or closure asks for, every entry checked before anything is fetched),
layout (where files and pages go; the PEP 503 and PEP 691 pages), files (atomic writes and hashing),
build (download, verify, publish), relock (each lock rewritten to point at the mirror), verify
(re-hash a whole mirror against its pages).
"""

from ol_notebook.mirror.build import MirrorReport, build_mirror
from ol_notebook.mirror.relock import relocked_path, write_relocked
from ol_notebook.mirror.verify import Damage, verify_mirror
from ol_notebook.mirror.wanted import MirrorError, WantedFile, wanted_from_closure, wanted_from_lock

__all__ = [
    "Damage",
    "MirrorError",
    "MirrorReport",
    "WantedFile",
    "build_mirror",
    "relocked_path",
    "verify_mirror",
    "wanted_from_closure",
    "wanted_from_lock",
    "write_relocked",
]
