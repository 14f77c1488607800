"""PEP 751 lock files (`pylock.toml`): reading anyone's, writing ours, installing from them.

Built on `packaging.pylock` (the model, its validation and `select`) rather than a model of our
own. Layout: read (a lock file to a validated `Pylock`, with errors that name the file); freeze
(which file of each pin a lock may truly name); write (our lock of a pulled closure, as TOML);
select (a lock's packages for one runtime, as a Closure); simple (a file by name and hash on a
simple page); fetch (every selected file downloaded and checked, from the one configured
source); install (select + fetch: a lock to a Closure the puller installs).
"""

from ol_notebook.lock.fetch import LockFileError, MissingFromMirror
from ol_notebook.lock.freeze import Frozen, frozen_packages, refuse_direct_references
from ol_notebook.lock.install import closure_from_lock
from ol_notebook.lock.read import LockError, lock_from_dict, parse_lock, read_lock
from ol_notebook.lock.select import select_for_runtime
from ol_notebook.lock.write import (
    check_lock_path,
    environment_marker,
    lock_closure,
    lock_text,
    uv_version,
    write_lock_file,
    written,
)

__all__ = [
    "Frozen",
    "LockError",
    "LockFileError",
    "MissingFromMirror",
    "check_lock_path",
    "closure_from_lock",
    "environment_marker",
    "frozen_packages",
    "lock_closure",
    "lock_from_dict",
    "lock_text",
    "parse_lock",
    "read_lock",
    "refuse_direct_references",
    "select_for_runtime",
    "uv_version",
    "write_lock_file",
    "written",
]
