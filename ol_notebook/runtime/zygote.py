"""The host's end of one lambda sandbox: starts it, asks its zygote for workers and kills,
hears of worker exits, and finds out why the sandbox ended.

The zygote imported the user's module, so its messages are checked like any untrusted input:
one that breaks the protocol ends the sandbox. The end of the sandbox is noticed by the end of
the control socket (no thread waits on it), then judged by the sandbox layer: a limit crossed,
bwrap failing, or our own kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections import deque
from typing import Any, Protocol

from ol_notebook.runtime.bootstrap import bootstrap_config, sandbox_spec
from ol_notebook.runtime.errors import (
    SETTINGS,
    LambdaCrashed,
    LambdaRuntimeError,
    LambdaStartError,
    killed_by,
    setting_hint,
)
from ol_notebook.runtime.inside.frames import ProtocolError, recv_message, send_message
from ol_notebook.runtime.launcher import Launcher
from ol_notebook.runtime.output import WorkerOutput, is_memfd
from ol_notebook.runtime.spec import LambdaSpec
from ol_notebook.sandbox import SandboxError, SandboxLimitError, SandboxProcess

OUTPUT_TAIL = 4096  # of what the sandbox printed outside any call, shown when it fails to start


class ZygoteEvents(Protocol):
    def worker_exited(self, pid: int, status: int) -> None: ...

    def ended(self, error: LambdaRuntimeError) -> None: ...


class Zygote:
    """`ready` resolves once the handler is imported (or fails with LambdaStartError);
    `finished` once the sandbox is gone and cleaned up, after `events.ended` was told why."""

    def __init__(self, spec: LambdaSpec, launcher: Launcher, events: ZygoteEvents):
        self.spec = spec
        self._events = events
        self._loop = asyncio.get_running_loop()
        self._control, self._inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control.setblocking(False)
        # What the sandbox prints outside calls (workers capture their own): a pipe drained into
        # a short tail, so no write of the lambda's, through /proc/2/fd/1 or not, fills a disk.
        self._output = OutputTail(OUTPUT_TAIL)
        self._process: SandboxProcess | None = None
        self._forks: deque[asyncio.Future[tuple[int, WorkerOutput]]] = deque()
        self._killed_for: LambdaRuntimeError | None = None
        self._start_timer: asyncio.TimerHandle | None = None
        self.ready: asyncio.Future[None] = self._loop.create_future()
        self.finished: asyncio.Future[None] = self._loop.create_future()
        self._task = self._loop.create_task(self._start(launcher))

    @property
    def warm(self) -> bool:
        return self.ready.done() and self.ready.exception() is None and not self.finished.done()

    async def fork(self) -> tuple[int, WorkerOutput, socket.socket]:
        """A new worker: its pid in the sandbox, its output and the host's end of its socket."""
        await self.ready
        ours, theirs = socket.socketpair()
        try:
            try:
                send_message(self._control, {"op": "fork"}, [theirs.fileno()])
            except OSError as error:
                raise LambdaCrashed(self.spec.name, f"lost its zygote: {error}") from None
            finally:
                theirs.close()
            future: asyncio.Future[tuple[int, WorkerOutput]] = self._loop.create_future()
            self._forks.append(future)
            pid, output = await future
            return pid, output, ours
        except BaseException:
            ours.close()
            raise

    def oom_kills(self) -> int | None:
        """Processes of the sandbox the out-of-memory killer ended so far; None where nothing counts them."""
        return self._process.oom_kills() if self._process is not None else None

    def kill_worker(self, pid: int) -> None:
        """Ask the zygote to SIGKILL a worker and whatever it started; its exit is reported."""
        with contextlib.suppress(OSError):  # the zygote is gone already: so is the worker
            send_message(self._control, {"op": "kill", "pid": pid})

    def kill(self, error: LambdaRuntimeError) -> None:
        """End the sandbox; `error` is what `ended` reports (the first reason given counts)."""
        if self._killed_for is None:
            self._killed_for = error
        if self._process is not None:
            self._process.kill()

    async def _start(self, launcher: Launcher) -> None:
        try:
            spec = sandbox_spec(self.spec, self._inside.fileno())
            send_message(self._control, bootstrap_config(self.spec))  # waits in the socket for the zygote
            self._process = await launcher.start(spec, [self._inside.fileno()], self._output.write_fd)
        except Exception as error:  # SandboxError, or a spec the sandbox refused
            self._end(self._killed_for or LambdaStartError(self.spec.name, f"its sandbox did not start: {error}"))
            return
        finally:
            self._inside.close()
            self._output.close_writer()
        self._loop.add_reader(self._output.read_fd, self._output.drain)
        if self._killed_for is not None:
            self._process.kill()
        self._loop.add_reader(self._control.fileno(), self._readable)
        self._start_timer = self._loop.call_later(self.spec.timeout, self._import_timed_out)

    def _import_timed_out(self) -> None:
        self.kill(LambdaStartError(self.spec.name, f"did not finish importing handler.py within its timeout of "
                                                   f"{self.spec.timeout:g} s"))

    def _readable(self) -> None:
        while True:
            try:
                message, fds = recv_message(self._control)
            except BlockingIOError:
                return
            except (OSError, ProtocolError) as error:
                self._violation(str(error))
                message, fds = None, []
            if message is None:
                _close(fds)
                self._loop.remove_reader(self._control.fileno())
                self._task = self._loop.create_task(self._finish())
                return
            try:
                self._handle(message, fds)
            except (KeyError, IndexError, TypeError, ValueError):
                _close(fds)
                self._violation(f"an unexpected message {str(message)[:200]}")

    def _handle(self, message: dict, fds: list[int]) -> None:
        """One message; the descriptors it carried are closed unless it is "forked" with two memfds."""
        op = message["op"]
        if op == "forked":
            pid = int(message["pid"])
            if len(fds) != 2 or not all(is_memfd(fd) for fd in fds):
                _close(fds)
                self._violation(f"worker {pid} reported without its two output memfds")
                return
            future = self._forks.popleft()
            if future.done():  # its caller gave up
                _close(fds)
            else:
                future.set_result((pid, WorkerOutput(fds)))
            return
        _close(fds)  # no other message carries descriptors
        if op == "ready":
            self._started(None)
        elif op == "failed":
            kind, text, traceback = message["error"]
            self._started(LambdaStartError(self.spec.name, f"importing handler.py raised {kind}: {text}", traceback))
        elif op == "fork_failed":
            error = LambdaCrashed(self.spec.name, f"could not fork a worker: {message['message']}")
            _settle(self._forks.popleft(), error)
        elif op == "exited":
            self._events.worker_exited(int(message["pid"]), int(message["status"]))
        else:
            raise ValueError(op)

    def _started(self, error: LambdaStartError | None) -> None:
        if self._start_timer is not None:
            self._start_timer.cancel()
        _settle(self.ready, error)

    def _violation(self, what: str) -> None:
        self.kill(LambdaCrashed(self.spec.name, f"has a zygote that broke the runtime's protocol ({what})"))

    async def _finish(self) -> None:
        assert self._process is not None
        await self._loop.run_in_executor(None, self._process.join)
        self._end(self._killed_for or self._judge(self._process))

    def _judge(self, process: SandboxProcess) -> LambdaRuntimeError:
        """Why a sandbox ended that nobody killed: a limit, a failure of bwrap, or the zygote exited."""
        tail = self._tail()
        counted = process.oom_kills() is not None  # a memory cgroup judged it: a SIGKILL it did not count was sent
        try:
            status = process.wait(0, stderr_tail=tail)
        except SandboxLimitError as error:  # its own message names the sandbox's Limits, not our settings
            hint = f"; {setting_hint(error.limit)}" if error.limit in SETTINGS else ""
            reason = f"it {error.problem}{hint}"
        except SandboxError as error:  # bwrap failed (the message quotes what it printed), or was killed
            died_of = (process.returncode or 0) - 128
            killed = died_of in signal.valid_signals()
            reason = f"its bubblewrap process {killed_by(died_of, counted)}" if killed else str(error)
        else:
            said = tail.decode(errors="replace").strip()
            printed = f"; it printed:\n{said}" if said else ""
            killed = status - 128 in signal.valid_signals()
            reason = (f"its zygote {killed_by(status - 128, counted)}" if killed
                      else f"it ended with exit status {status}") + printed
        if self.ready.done() and self.ready.exception() is None:
            return LambdaCrashed(self.spec.name, f"lost its sandbox: {reason}")
        return LambdaStartError(self.spec.name, reason)

    def _tail(self) -> bytes:
        self._output.drain()  # the sandbox is gone: what is left in the pipe is all there is
        return self._output.tail

    def _end(self, error: LambdaRuntimeError) -> None:
        if self._start_timer is not None:
            self._start_timer.cancel()
        self._control.close()
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._output.read_fd)
        self._output.close()
        futures: list[asyncio.Future[Any]] = [self.ready, *self._forks]
        for future in futures:
            _settle(future, error)
        self._forks.clear()
        self._events.ended(error)
        self.finished.set_result(None)


class OutputTail:
    """A pipe for a sandbox's stdout and stderr, of which only the last `size` bytes are kept."""

    def __init__(self, size: int):
        self.size = size
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        os.set_blocking(self.write_fd, True)  # the writer is the sandbox: let it wait, not fail
        self.tail = b""

    def drain(self) -> None:
        """Read what is there (called when the pipe is readable), keeping the tail; a bounded
        number of reads per call, so a lambda that never stops printing cannot hold the loop."""
        for _ in range(16):
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self.tail = (self.tail + chunk)[-self.size:]

    def close_writer(self) -> None:
        """Once the sandbox holds its copy: then the pipe ends when the sandbox does."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def close(self) -> None:
        self.close_writer()
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _settle(future: asyncio.Future, outcome: object) -> None:
    """Resolve a future unless its waiter gave up; an exception set on a future nobody awaits
    (a start failure after every caller left) is marked retrieved, so asyncio logs nothing."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        future.exception()
    else:
        future.set_result(outcome)
