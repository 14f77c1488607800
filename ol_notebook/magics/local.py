"""The engine in this process, for when no Jupyter server shares its own.

The Worker is async and its lambda sandboxes belong to one event loop, while a kernel runs
its own loop (and a cell blocks it), so the Worker gets a private loop on a daemon thread.
Every call is a coroutine submitted to it; progress events, reported by the engine's threads,
are queued and handed to `on_event` on the calling thread while it waits.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from ol_notebook.api import (
    deployed_to_json,
    entry_to_json,
    exported_to_json,
    invocation_to_json,
    lambda_settings_from_json,
    output_events,
    pulled_to_json,
)
from ol_notebook.lock import parse_lock
from ol_notebook.magics.errors import MagicError
from ol_notebook.puller import EventSink, PullEvent
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker

T = TypeVar("T")
CLOSE_SECONDS = 30.0


class LocalClient:
    def __init__(self, settings: Settings | None = None):
        self.worker = Worker(settings or Settings())
        engine = self.worker.settings
        self.where = f"this kernel's own engine (store {engine.store_dir}, lambdas {engine.registry_dir})"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ol-notebook engine", daemon=True)
        self._thread.start()
        _OPEN.add(self)

    def info(self) -> dict[str, Any]:
        return self.worker.info()

    def pull(self, requirements: str, on_event: EventSink) -> dict[str, Any]:
        async def pull(sink: EventSink) -> dict[str, Any]:
            closure = await self.worker.compile(requirements)
            report = await self.worker.pull(closure, sink)
            return pulled_to_json(closure, report)

        return self._run(pull, on_event)

    def deploy(self, name: str, code: str, requirements: str, settings: dict[str, Any],
               on_event: EventSink, force: bool = False) -> dict[str, Any]:
        merged = lambda_settings_from_json(settings, self.worker.settings.lambda_defaults)

        async def deploy(sink: EventSink) -> dict[str, Any]:
            deployment = await self.worker.deploy(name, code, requirements, merged, sink, force=force)
            return deployed_to_json(deployment, self.worker.describe(name))

        return self._run(deploy, on_event)

    def lock(self, requirements: str) -> str:
        async def lock(_: EventSink) -> str:
            return await self.worker.lock(requirements, source="the notebook's requirements")

        return self._run(lock)

    def freeze(self, name: str, version: int | None = None) -> str:
        async def freeze(_: EventSink) -> str:
            return await self.worker.freeze(name, version)

        return self._run(freeze)

    def pull_lock(self, lock: str, source: str, on_event: EventSink) -> dict[str, Any]:
        parsed = parse_lock(lock, source)

        async def pull(sink: EventSink) -> dict[str, Any]:
            closure = await self.worker.closure_from_lock(parsed, source, sink)
            return pulled_to_json(closure, await self.worker.pull(closure, sink))

        return self._run(pull, on_event)

    def deploy_lock(self, name: str, code: str, lock: str, source: str, settings: dict[str, Any],
                    on_event: EventSink, force: bool = False) -> dict[str, Any]:
        parsed = parse_lock(lock, source)
        merged = lambda_settings_from_json(settings, self.worker.settings.lambda_defaults)

        async def deploy(sink: EventSink) -> dict[str, Any]:
            deployment = await self.worker.deploy_from_lock(name, code, parsed, source, merged, sink, force=force)
            return deployed_to_json(deployment, self.worker.describe(name))

        return self._run(deploy, on_event)

    def invoke(self, name: str, event: Any, on_event: EventSink | None = None) -> dict[str, Any]:
        async def invoke(sink: EventSink) -> dict[str, Any]:
            on_output = output_events(name, sink) if on_event else None
            return invocation_to_json(await self.worker.invoke(name, event, on_output))

        return self._run(invoke, on_event)

    def export(self, name: str, options: dict[str, Any], out_dir: Path, on_event: EventSink) -> dict[str, Any]:
        async def export(sink: EventSink) -> dict[str, Any]:
            return exported_to_json(await self.worker.export(name, out_dir=out_dir, on_event=sink, **options))

        return self._run(export, on_event)

    def lambdas(self) -> list[dict[str, Any]]:
        return self._call(self.worker.lambdas)

    def describe(self, name: str) -> dict[str, Any]:
        return self._call(self.worker.describe, name)

    def logs(self, name: str, limit: int) -> list[dict[str, Any]]:
        return [asdict(log) for log in self._call(self.worker.logs, name, limit)]

    def remove(self, name: str) -> None:
        async def remove(_: EventSink) -> None:
            await self.worker.remove(name)

        self._run(remove)

    def packages(self) -> list[dict[str, Any]]:
        return [entry_to_json(entry) for entry in self._call(self.worker.package_entries)]

    def close(self) -> None:
        """Stop every lambda sandbox, then the loop; safe to call twice."""
        _OPEN.discard(self)
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.worker.close(), self._loop).result(CLOSE_SECONDS)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(CLOSE_SECONDS)
        self._loop.close()

    def _call(self, function: Callable[..., T], *args: Any) -> T:
        """A synchronous engine method, run on the engine's loop like everything that touches its runtimes."""

        async def call(_: EventSink) -> T:
            return function(*args)

        return self._run(call)

    def _run(self, operation: Callable[[EventSink], Coroutine[Any, Any, T]], on_event: EventSink | None = None) -> T:
        """Run `operation` on the engine's loop; relay its events to `on_event` here until it ends."""
        if self._loop.is_closed():
            raise MagicError(f"{self.where} was closed when the extension was unloaded: deploy the lambda again, "
                             "or use %ol_invoke")
        events: queue.SimpleQueue[PullEvent | None] = queue.SimpleQueue()
        future = asyncio.run_coroutine_threadsafe(operation(events.put), self._loop)
        future.add_done_callback(lambda _: events.put(None))  # queued after every event the operation reported
        try:
            while (event := events.get()) is not None:
                if on_event:
                    on_event(event)
        except KeyboardInterrupt:
            future.cancel()  # an interrupted cell stops waiting, and the engine stops the operation
            raise
        return future.result()


_OPEN: weakref.WeakSet[LocalClient] = weakref.WeakSet()


def _close_all() -> None:
    """Stop the sandboxes of every client still open when the interpreter exits (a kernel shutting down)."""
    for client in list(_OPEN):
        client.close()


# Not `atexit`: Python shuts its thread pools down before atexit handlers run, and stopping a
# sandbox needs one. threading's exit hooks run before that, newest first (the pools' hook is older).
threading._register_atexit(_close_all)
