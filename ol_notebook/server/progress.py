"""Progress events from the engine's threads to the front ends.

Pulls and deploys report progress from worker threads; the server's event loop owns every
response. `ProgressHub` hops events onto the loop and fans them out to each subscriber of
the server-sent event stream, with a bounded queue each, so a slow browser drops its own
oldest events rather than slowing a pull or growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

from ol_notebook.api import event_to_json
from ol_notebook.puller import EventSink, PullEvent

SUBSCRIBER_QUEUE = 1000
CLOSED = None  # what a subscriber's queue yields once the hub is closed


class ProgressHub:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._operations = itertools.count(1)

    def new_operation(self, what: str) -> str:
        """A name for one request's events, e.g. "pull-3"."""
        return f"{what}-{next(self._operations)}"

    def sink(self, operation: str, also: EventSink | None = None) -> EventSink:
        """An EventSink callable from any thread: publishes to subscribers and calls `also`, both on
        the event loop this is called from."""
        loop = asyncio.get_running_loop()

        def deliver(event: PullEvent) -> None:
            self.publish(event_to_json(event, operation))
            if also is not None:
                also(event)

        def on_event(event: PullEvent) -> None:
            loop.call_soon_threadsafe(deliver, event)

        return on_event

    @property
    def listening(self) -> bool:
        """Whether anyone follows the event stream now (else publishing reaches nobody)."""
        return bool(self._subscribers)

    def publish(self, data: dict[str, Any]) -> None:
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(data)

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._subscribers.discard(queue)

    def close(self) -> None:
        """Ends every open stream (the server is stopping)."""
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueEmpty):
                while queue.full():
                    queue.get_nowait()
            queue.put_nowait(CLOSED)
        self._subscribers.clear()
