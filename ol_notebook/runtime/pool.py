"""The sandbox of one lambda version and its workers.

Callers get an idle worker (the most recently used: its pages are warm), else a new one forked
from the zygote while fewer than `instances` exist, else a place in a queue of at most `queue`,
else LambdaBusy. A worker killed for its timeout or because its caller gave up, or dead of a
crash, is replaced so that the lambda stays warm. Idle workers are reaped after `idle_timeout`,
and the sandbox with the last one; a sandbox that never got a call (a deploy's) goes
`idle_timeout` after it was ready. A retired pool (its lambda changed) serves the calls it
already took, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import deque
from collections.abc import Callable

from ol_notebook.runtime.codec import decode_reply
from ol_notebook.runtime.errors import (
    LambdaBusy,
    LambdaCancelled,
    LambdaCrashed,
    LambdaRuntimeError,
    LambdaStopped,
    LambdaTimeout,
    killed_by,
    setting_hint,
)
from ol_notebook.runtime.inside.frames import reply_limit
from ol_notebook.runtime.launcher import Launcher
from ol_notebook.runtime.output import OutputSink
from ol_notebook.runtime.spec import Invocation, LambdaSpec
from ol_notebook.runtime.worker import Worker
from ol_notebook.runtime.zygote import Zygote
from ol_notebook.sandbox.errors import human_bytes


class Pool:
    def __init__(self, spec: LambdaSpec, launcher: Launcher, on_stopped: Callable[[Pool], None]):
        self.spec = spec
        self.failure: LambdaRuntimeError | None = None  # once set, the pool takes no more calls
        self._on_stopped = on_stopped
        self._loop = asyncio.get_running_loop()
        self._reply_limit = reply_limit(spec.max_result_bytes)
        self._workers: dict[int, Worker] = {}
        self._idle: list[Worker] = []
        self._waiters: deque[asyncio.Future[Worker]] = deque()
        self._starting = 0
        self._retired = False
        self._reaper: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._oom_kills_told = 0  # of the sandbox's OOM kills, those a worker's exit was blamed on
        self._zygote = Zygote(spec, launcher, self)
        self._zygote.ready.add_done_callback(self._zygote_ready)

    def accepts(self, spec: LambdaSpec) -> bool:
        return self.failure is None and (spec is self.spec or spec == self.spec)

    @property
    def warm(self) -> bool:
        return self.failure is None and self._zygote.warm

    @property
    def instances(self) -> int:
        return len(self._workers)

    async def invoke(self, frame: bytes, started: float, on_output: OutputSink | None = None) -> Invocation:
        """One call; a caller that stops waiting (its task cancelled) while the call runs gets
        LambdaCancelled instead, with what the call printed, and the worker is killed."""
        worker = self._idle.pop() if self._idle else await self._acquire()
        cold = not worker.served
        reply = worker.call(frame, self.spec.timeout, on_output)
        try:
            payload, printed = await reply
        except asyncio.CancelledError:
            if not worker.in_call(reply):
                raise
            raise self._cancel(worker) from None
        return decode_reply(self.spec, payload, printed, time.perf_counter() - started, cold)

    async def ready(self) -> None:
        """Wait until the zygote imported the handler; raises why it could not."""
        await asyncio.shield(self._zygote.ready)

    def retire(self) -> None:
        """Its lambda changed: finish what was taken, then stop."""
        self._retired = True
        self._stop_if_done()

    async def stop(self) -> None:
        """Stop now: calls waiting or running fail with LambdaStopped."""
        self._fail(LambdaStopped(self.spec.name))
        await self._zygote.finished

    async def _acquire(self) -> Worker:
        if self.failure is not None:
            raise self.failure
        if len(self._workers) + self._starting < self.spec.instances:
            self._grow()
        elif len(self._waiters) - self._starting >= self.spec.queue:
            raise LambdaBusy(self.spec.name, self.spec.instances, self.spec.queue)
        waiter: asyncio.Future[Worker] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a worker just as the caller left
                self.release(waiter.result())
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def _grow(self) -> None:
        self._starting += 1
        task = self._loop.create_task(self._add_worker())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _add_worker(self) -> None:
        try:
            pid, output, sock = await self._zygote.fork()
            try:
                worker = await Worker.connect(pid, output, sock, self, self._reply_limit)
            except BaseException:
                output.close()
                raise
        except LambdaRuntimeError as error:
            self._fail(error)
            return
        except OSError as error:
            self._fail(LambdaCrashed(self.spec.name, f"could not reach a new worker: {error}"))
            return
        finally:
            self._starting -= 1
        if worker.closed:  # a crash loop at fork time would otherwise fork forever
            self._fail(LambdaCrashed(self.spec.name, "lost a new worker before its first call"))
        if self.failure is not None:
            worker.close()
            return
        self._workers[pid] = worker
        self.release(worker)

    # Events from workers (see worker.WorkerEvents).

    def release(self, worker: Worker) -> None:
        """A worker is free: to the longest waiting caller, else idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        worker.idle_since = self._loop.time()
        self._idle.append(worker)
        if self._reaper is None:
            self._reaper = self._loop.call_at(worker.idle_since + self.spec.idle_timeout, self._reap)
        if self._retired:
            self._stop_if_done()

    def _cancel(self, worker: Worker) -> LambdaRuntimeError:
        """Its caller left: kill the worker like a timed-out one; the error carries its output."""
        error = worker.fail(LambdaCancelled(self.spec.name))
        self._drop(worker)
        self._replace(worker)
        return error

    def timed_out(self, worker: Worker) -> None:
        worker.fail(LambdaTimeout(self.spec.name, self.spec.timeout))
        self._drop(worker)
        self._replace(worker)

    def misbehaved(self, worker: Worker, what: str) -> None:
        worker.fail(LambdaCrashed(self.spec.name, f"has a worker that broke the runtime's protocol ({what}); "
                                                  "it was killed"))
        self._drop(worker)
        self._replace(worker)

    def worker_closed(self, worker: Worker) -> None:
        if self._workers.get(worker.pid) is not worker or worker.busy:
            return  # dropped already, or its exit report (with the status) or its timeout will end the call
        self._drop(worker)
        self._replace(worker)

    # Events from the zygote (see zygote.ZygoteEvents).

    def worker_exited(self, pid: int, status: int) -> None:
        worker = self._workers.get(pid)
        if worker is None:
            return
        worker.fail(LambdaCrashed(self.spec.name, self._exit_reason(status)))
        self._drop(worker)
        self._replace(worker)

    def ended(self, error: LambdaRuntimeError) -> None:
        self._fail(error)
        self._on_stopped(self)

    def _exit_reason(self, status: int) -> str:
        """Why a worker died during a call. We did not kill it (our kills fail the call first), so a
        SIGKILL came from the kernel's OOM killer or from some process: the sandbox's memory
        cgroup counts the OOM killer's, and each of its kills explains one worker's death."""
        if status >= 0:
            return f"has a worker that exited with status {status} during the call"
        oom_kills = self._zygote.oom_kills() if -status == signal.SIGKILL else None
        if oom_kills is not None and oom_kills <= self._oom_kills_told:
            return f"has a worker that died during the call: it {killed_by(-status, oom_counted=True)}"
        reason = f"has a worker that {killed_by(-status, oom_counted=False)} during the call"
        if -status != signal.SIGKILL or self.spec.memory is None:
            return reason
        memory = f"the lambda's memory limit of {human_bytes(self.spec.memory)}; {setting_hint('memory')}"
        if oom_kills is None:  # no memory cgroup counts them: rlimits bound memory here
            return f"{reason}, most likely by the out-of-memory killer at {memory}"
        self._oom_kills_told += 1
        return f"{reason}, by the out-of-memory killer: the sandbox reached {memory}"

    def _drop(self, worker: Worker) -> None:
        """Forget a worker and make sure it is gone."""
        if self._workers.get(worker.pid) is worker:
            del self._workers[worker.pid]
            self._zygote.kill_worker(worker.pid)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        worker.close()

    def _replace(self, lost: Worker) -> None:
        """After a worker was lost: fork for callers no worker is on its way to, and keep one warm
        unless the lost one never served (workers that die unasked must not make a fork loop)."""
        if self.failure is not None:
            return
        if self._retired:
            self._stop_if_done()
            return
        room = self.spec.instances - len(self._workers) - self._starting
        keep_warm = lost.served and not self._workers and not self._starting
        for _ in range(min(room, max(len(self._waiters) - self._starting, int(keep_warm)))):
            self._grow()

    def _zygote_ready(self, ready: asyncio.Future[None]) -> None:
        """A sandbox nobody calls (a deploy's, never invoked) is reaped like an idle worker."""
        if not ready.cancelled() and ready.exception() is None and self._reaper is None and self.failure is None:
            self._reaper = self._loop.call_later(self.spec.idle_timeout, self._reap)

    def _reap(self) -> None:
        self._reaper = None
        now = self._loop.time()
        for worker in [w for w in self._idle if now - w.idle_since >= self.spec.idle_timeout]:
            self._drop(worker)
        if not self._workers and not self._starting and not self._waiters:
            self._fail(LambdaStopped(self.spec.name))  # idle all along: back to cold
        elif self._idle:
            self._reaper = self._loop.call_at(min(w.idle_since for w in self._idle) + self.spec.idle_timeout,
                                              self._reap)

    def _stop_if_done(self) -> None:
        if len(self._idle) == len(self._workers) and not self._starting and not self._waiters:
            self._fail(LambdaStopped(self.spec.name))

    def _fail(self, error: LambdaRuntimeError) -> None:
        """Take no more calls, fail those waiting or running with `error`, end the sandbox."""
        if self.failure is not None:
            return
        self.failure = error
        if self._reaper is not None:
            self._reaper.cancel()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(error)
        self._waiters.clear()
        for worker in self._workers.values():
            worker.fail(error)
            worker.close()
        self._workers.clear()
        self._idle.clear()
        self._zygote.kill(error)
