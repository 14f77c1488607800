"""PEP 751 lock files (`pylock.toml`): reading anyone's, writing ours, installing from them.

Built on `packaging.pylock` (the model, its validation and `select`) rather than a model of our
own. Layout: read (a lock file to a validated `Pylock`, with errors that name the file).
"""

from ol_notebook.lock.read import LockError, lock_from_dict, read_lock

__all__ = ["LockError", "lock_from_dict", "read_lock"]
