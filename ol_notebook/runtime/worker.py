"""The host's end of one worker: a protocol on its socket, one call at a time, with its timer.

The hot path is here: a call is one write; the reply arrives through the event loop's selector
straight into `data_received`, which reads what the call printed (two fstat calls when it printed
nothing), resolves the caller's future and hands the worker back to its pool before the caller
even resumes. A caller that wants the output as it is printed passes a sink: only then does a
timer read the worker's memfds while the call runs.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Protocol

from ol_notebook.runtime.errors import LambdaRuntimeError
from ol_notebook.runtime.inside.frames import FrameBuffer, ProtocolError
from ol_notebook.runtime.output import OutputSink, WorkerOutput

# How often a streamed call's output is read while it runs: a line printed shows within this.
STREAM_SECONDS = 0.05
Reply = tuple[bytes, tuple[str, str]]  # the reply frame's payload, and what the call printed


class WorkerEvents(Protocol):
    def release(self, worker: Worker) -> None: ...

    def timed_out(self, worker: Worker) -> None: ...

    def misbehaved(self, worker: Worker, what: str) -> None: ...

    def worker_closed(self, worker: Worker) -> None: ...


class Worker(asyncio.Protocol):
    def __init__(self, pid: int, output: WorkerOutput, events: WorkerEvents, reply_limit: int):
        self.pid = pid
        self.served = 0  # calls sent to it: 0 means the next one is its first, a cold one
        self.idle_since = 0.0
        self.closed = False
        self.output = output
        self._events = events
        self._frames = FrameBuffer(reply_limit)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reply: asyncio.Future[Reply] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._sink: OutputSink | None = None
        self._ticker: asyncio.TimerHandle | None = None

    @classmethod
    async def connect(cls, pid: int, output: WorkerOutput, sock: socket.socket, events: WorkerEvents,
                      reply_limit: int) -> Worker:
        _, worker = await asyncio.get_running_loop().create_unix_connection(
            lambda: cls(pid, output, events, reply_limit), sock=sock)
        return worker

    @property
    def busy(self) -> bool:
        return self._reply is not None

    def in_call(self, reply: asyncio.Future[Reply]) -> bool:
        """Still running the call whose reply is `reply` (its caller may have stopped waiting)."""
        return self._reply is reply

    def call(self, frame: bytes, timeout: float, on_output: OutputSink | None = None) -> asyncio.Future[Reply]:
        """Send an event frame; the future gets the reply frame's payload and what the call printed,
        which `on_output` also gets while the call runs."""
        assert self._transport is not None
        self._reply = reply = self._loop.create_future()
        self._timer = self._loop.call_later(timeout, self._events.timed_out, self)
        if on_output is not None:
            self._sink = on_output
            self._ticker = self._loop.call_later(STREAM_SECONDS, self._tick)
        self.served += 1
        self._transport.write(frame)
        return reply

    def fail(self, error: LambdaRuntimeError) -> LambdaRuntimeError:
        """End the call in flight, if any, with `error`, carrying what the call printed. Returns
        the error the call got."""
        reply = self._end_call()
        if reply is None:
            return error
        printed = self._printed()
        if any(printed):
            error = error.with_output(*printed)
        if not reply.done():
            reply.set_exception(error)
            reply.exception()  # retrieved: its caller may have left
        return error

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()
        self.output.close()

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
            if self._reply is None:
                self._events.misbehaved(self, "a reply nobody asked for")
                return
            printed = self._printed()
            reply = self._end_call()
            assert reply is not None
            if not reply.done():  # the caller may have given up; the worker is free all the same
                reply.set_result((payload, printed))
            self._events.release(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._events.worker_closed(self)

    def _end_call(self) -> asyncio.Future[Reply] | None:
        reply, self._reply = self._reply, None
        if reply is not None:
            assert self._timer is not None
            self._timer.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        return reply

    def _printed(self) -> tuple[str, str]:
        """The call's output: the rest of it to the sink first, if it streams."""
        sink, self._sink = self._sink, None
        return self.output.collect(sink)

    def _tick(self) -> None:
        if self._sink is not None:
            self.output.stream(self._sink)
            self._ticker = self._loop.call_later(STREAM_SECONDS, self._tick)
