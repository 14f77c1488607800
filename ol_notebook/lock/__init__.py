"""PEP 751 lock files (`pylock.toml`): reading anyone's, writing ours, installing from them.

Built on `packaging.pylock` (the model, its validation and `select`) rather than a model of our
own. Layout: read (a lock file to a validated `Pylock`, with errors that name the file); select
(a lock's packages for one runtime, as a Closure); simple (a file by name and hash on a simple
page); fetch (every selected file downloaded and checked, from the one configured source);
install (select + fetch: a lock to a Closure the puller installs).
"""

from ol_notebook.lock.fetch import LockFileError, MissingFromMirror
from ol_notebook.lock.install import closure_from_lock
from ol_notebook.lock.read import LockError, lock_from_dict, parse_lock, read_lock
from ol_notebook.lock.select import select_for_runtime

__all__ = [
    "LockError",
    "LockFileError",
    "MissingFromMirror",
    "closure_from_lock",
    "lock_from_dict",
    "parse_lock",
    "read_lock",
    "select_for_runtime",
]
