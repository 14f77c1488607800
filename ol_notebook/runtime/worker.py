"""The host's end of one worker: a protocol on its socket, one call at a time, with its timer.

The hot path is here: a call is one write; the reply arrives through the event loop's selector
straight into `data_received`, which resolves the caller's future and hands the worker back to
its pool before the caller even resumes.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Protocol

from ol_notebook.runtime.errors import LambdaRuntimeError
from ol_notebook.runtime.inside.frames import FrameBuffer, ProtocolError


class WorkerEvents(Protocol):
    def release(self, worker: Worker) -> None: ...

    def timed_out(self, worker: Worker) -> None: ...

    def misbehaved(self, worker: Worker, what: str) -> None: ...

    def worker_closed(self, worker: Worker) -> None: ...


class Worker(asyncio.Protocol):
    def __init__(self, pid: int, events: WorkerEvents, reply_limit: int):
        self.pid = pid
        self.served = 0  # calls sent to it: 0 means the next one is its first, a cold one
        self.idle_since = 0.0
        self.closed = False
        self._events = events
        self._frames = FrameBuffer(reply_limit)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reply: asyncio.Future[bytes] | None = None
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    async def connect(cls, pid: int, sock: socket.socket, events: WorkerEvents, reply_limit: int) -> Worker:
        _, worker = await asyncio.get_running_loop().create_unix_connection(
            lambda: cls(pid, events, reply_limit), sock=sock)
        return worker

    @property
    def busy(self) -> bool:
        return self._reply is not None

    def call(self, frame: bytes, timeout: float) -> asyncio.Future[bytes]:
        """Send an event frame; the future gets the reply frame's payload."""
        assert self._transport is not None
        self._reply = reply = self._loop.create_future()
        self._timer = self._loop.call_later(timeout, self._events.timed_out, self)
        self.served += 1
        self._transport.write(frame)
        return reply

    def fail(self, error: LambdaRuntimeError) -> None:
        """End the call in flight, if any, with `error`."""
        reply, self._reply = self._reply, None
        if reply is not None:
            assert self._timer is not None
            self._timer.cancel()
            if not reply.done():
                reply.set_exception(error)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            payloads = self._frames.feed(data)
        except ProtocolError as error:
            self._events.misbehaved(self, str(error))
            return
        for payload in payloads:
            reply, self._reply = self._reply, None
            if reply is None:
                self._events.misbehaved(self, "a reply nobody asked for")
                return
            assert self._timer is not None
            self._timer.cancel()
            if not reply.done():  # the caller may have given up; the worker is free all the same
                reply.set_result(payload)
            self._events.release(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._events.worker_closed(self)
