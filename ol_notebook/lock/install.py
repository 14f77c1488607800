"""A lock to a pulled-ready Closure: select for the runtime, then fetch every file (see select, fetch).

The Closure goes through the same puller as a compiled one, into the same store entries; its
requirements are the lock's packages as NAME==VERSION, so what a lambda records is honest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from packaging.pylock import Pylock

from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.lock.fetch import Progress, Say, fetch_locked
from ol_notebook.lock.select import select_for_runtime
from ol_notebook.resolve import Closure


def closure_from_lock(
    lock: Pylock,
    *,
    source: str,
    runtime: Runtime,
    index: IndexConfig,
    cache_dir: Path,
    skip: Callable[[str], bool],
    say: Say,
    progress: Progress | None = None,
    concurrency: int = 4,
) -> Closure:
    """No resolution: the lock's selection for `runtime`, every file not `skip`ped already downloaded
    and checked into `cache_dir` (the puller's download cache)."""
    selected = select_for_runtime(lock, source, runtime, index)
    return fetch_locked(selected, source=source, index=index, cache_dir=cache_dir, skip=skip, say=say,
                        progress=progress, concurrency=concurrency)
