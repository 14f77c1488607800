"""Package operations over one store: compile, pull, list, verify, gc.

This is the part of the engine the CLI needs today; the Worker (lambdas) builds on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import cached_property

from packaging.pylock import Pylock
from packaging.requirements import Requirement

from ol_notebook.index import Runtime
from ol_notebook.lock import closure_from_lock, lock_closure, lock_text
from ol_notebook.puller import EventSink, Puller, PullEvent, PullReport
from ol_notebook.resolve import Closure, compile_requirements
from ol_notebook.sandbox import Sandbox
from ol_notebook.settings import Settings
from ol_notebook.store import Corruption, Entry, EntryMetadata, GcReport, Store

logger = logging.getLogger(__name__)


class PackageService:
    """Compile and pull into the store named by `settings`, for the current runtime."""

    def __init__(self, settings: Settings, runtime: Runtime | None = None):
        self.settings = settings
        self.runtime = runtime or Runtime.current()
        self.store = Store(settings.store_dir, self.runtime.id)

    @cached_property
    def sandbox(self) -> Sandbox:
        return Sandbox(bwrap=self.settings.bwrap, unsafe=self.settings.unsafe_no_sandbox)

    @cached_property
    def puller(self) -> Puller:
        return Puller(
            self.store,
            self.sandbox,
            self.settings.index,
            self.runtime,
            limits=self.settings.install_limits,
            concurrency=self.settings.concurrency,
            compile_bytecode=self.settings.compile_bytecode,
        )

    def compile(self, requirements: Sequence[Requirement | str]) -> Closure:
        return compile_requirements(
            requirements,
            index=self.settings.index,
            runtime=self.runtime,
            sandbox=self.sandbox,
            uv_cache=self.store.resolve_cache_dir,  # never the install cache: see resolve/compile.py
            limits=self.settings.resolve_limits,
        )

    def closure_from_lock(self, lock: Pylock, source: str, on_event: EventSink | None = None) -> Closure:
        """The lock's closure for this runtime, its files downloaded and checked (no resolution);
        a file fetched from elsewhere than the lock says (a dead URL's index) is logged and told as a
        warning; downloads are told as "downloading" events, as a pull tells them."""

        def say(key: str, message: str) -> None:
            logger.warning("%s: %s", key, message)
            if on_event is not None:
                on_event(PullEvent("warning", key, message=message))

        def progress(key: str, done: int, total: int | None) -> None:
            if on_event is not None:
                on_event(PullEvent("downloading", key, bytes_done=done, bytes_total=total))

        return closure_from_lock(lock, source=source, runtime=self.runtime, index=self.settings.index,
                                 cache_dir=self.store.downloads_dir, skip=self.store.has, say=say,
                                 progress=progress, concurrency=self.settings.concurrency)

    def pull(self, closure: Closure, on_event: EventSink | None = None, root: str | None = None) -> PullReport:
        """Pull a closure; with `root`, gc keeps its entries until the root is removed."""
        report = self.puller.pull(closure, on_event)
        if root:
            self.store.set_root(root, report.entries)
        return report

    def lock(self, closure: Closure, uv: str | None) -> str:
        """The PEP 751 lock (pylock.toml text) of a pulled closure: the files the store installed, as
        its entries record them (LockError naming a package that cannot be locked truly)."""
        return lock_text(lock_closure(closure, self._entry_metadata, self.runtime, uv))

    def _entry_metadata(self, key: str) -> EntryMetadata | None:
        entry = self.store.get(key)
        return entry.metadata if entry else None

    def packages(self) -> list[Entry]:
        return self.store.entries()

    def verify(self) -> list[Corruption]:
        return self.store.verify()

    def check_entries(self, keys: Iterable[str]) -> None:
        """Raise StoreError naming each package changed since it was installed (cheap when none was)."""
        self.store.check_entries(keys)

    def gc(self, keep: Iterable[str] = (), delete: bool = False) -> GcReport:
        return self.store.gc(keep, delete)
