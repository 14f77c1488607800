"""The zygote: sets sys.path, imports the handler once, then forks a worker per request.

Started as `python -I -S -c BOOT CONTROL_FD`: no site, no environment variables, no user site,
so nothing but the standard library is importable until sys.path is set here, explicitly, in
OpenLambda's order: the lambda's package dirs, this runtime, the standard library, the handler.
The first control message is the configuration: sys.path entries, the result limit and the
lambda's environment, which is applied here, inside, rather than given to bwrap on the host.

Control messages (see frames) from the host: {"op": "fork"} with a socket, {"op": "kill",
"pid"}. To the host: "ready" or "failed" once, "forked" (with the worker's stdout and stderr
memfds) or "fork_failed" per fork in order, "exited" per worker. Workers get their own process
group, so a kill also ends what the handler started.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import select
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from . import HANDLER_DIR, HANDLER_FUNCTION, HANDLER_MODULE, RUNTIME_DIR, worker
from .capture import capture, make_outputs
from .describe import describe
from .frames import CONTROL_TEXT_LIMIT, recv_message, send_message


def main() -> None:
    fd = int(sys.argv[1])
    os.set_inheritable(fd, False)  # not for whatever the handler runs
    control = socket.socket(fileno=fd)
    config, _ = recv_message(control)
    if config is None or config.get("op") != "config":
        sys.exit("ol-notebook runtime: the host sent no configuration")
    os.environ.update(config["env"])  # for the handler and what it starts, inside only
    stdlib = [path for path in sys.path if path != RUNTIME_DIR]
    sys.path[:] = [*config["packages"], RUNTIME_DIR, *stdlib, HANDLER_DIR]
    try:
        handler = load_handler()
    except BaseException as error:
        send_message(control, {"op": "failed", "error": describe(error, CONTROL_TEXT_LIMIT)})
        sys.exit(1)
    gc.freeze()  # what the import made stays out of collections: fewer pages copied per fork
    Zygote(control, handler, config["max_result"]).serve()


def load_handler() -> Callable[[Any], Any]:
    module = importlib.import_module(HANDLER_MODULE)
    handler = getattr(module, HANDLER_FUNCTION, None)
    if not callable(handler):
        raise TypeError(f"{HANDLER_MODULE}.py defines no function {HANDLER_FUNCTION}(event)")
    return handler


class Zygote:
    def __init__(self, control: socket.socket, handler: Callable[[Any], Any], max_result: int):
        self.control = control
        self.handler = handler
        self.max_result = max_result
        self.workers: set[int] = set()
        # SIGCHLD wakes the poll below through this pipe; the handler itself does nothing.
        self.wake_read, self.wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)

    def serve(self) -> None:
        send_message(self.control, {"op": "ready"})
        poller = select.poll()
        poller.register(self.control, select.POLLIN)
        poller.register(self.wake_read, select.POLLIN)
        while True:
            for fd, _ in poller.poll():
                if fd == self.wake_read:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_read, 4096)
                    self.reap()
                    continue
                message, fds = recv_message(self.control)
                if message is None:  # the host is done with this sandbox
                    return
                if message.get("op") == "fork" and len(fds) == 1:
                    self.fork(fds[0])
                elif message.get("op") == "kill":
                    self.kill(message.get("pid"))

    def fork(self, fd: int) -> None:
        for stream in (sys.stdout, sys.stderr):  # or every worker would print the import's leftovers
            with contextlib.suppress(Exception):
                stream.flush()
        outputs: list[int] = []
        try:
            outputs = make_outputs()
            pid = os.fork()
        except OSError as error:
            for each in (fd, *outputs):
                os.close(each)
            send_message(self.control, {"op": "fork_failed", "message": str(error)})
            return
        if pid == 0:
            self.become_worker(fd, outputs)
        with contextlib.suppress(OSError):  # the child may have exited already
            os.setpgid(pid, pid)  # as the child does: whichever runs first, no kill can miss
        os.close(fd)
        self.workers.add(pid)
        send_message(self.control, {"op": "forked", "pid": pid}, outputs)
        for each in outputs:
            os.close(each)

    def become_worker(self, fd: int, outputs: list[int]) -> None:
        status = 1
        try:
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(self.wake_read)
            os.close(self.wake_write)
            self.control.close()
            capture(outputs)
            worker.serve(socket.socket(fileno=fd), self.handler, self.max_result)
            status = 0
        finally:
            os._exit(status)  # never return into the zygote's loop, never run its atexit

    def kill(self, pid: Any) -> None:
        if pid in self.workers:  # only our unreaped children: their pids cannot have been reused
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                self.workers.discard(pid)
                with contextlib.suppress(ProcessLookupError):  # what the handler left running goes too
                    os.killpg(pid, signal.SIGKILL)
                send_message(self.control, {"op": "exited", "pid": pid, "status": os.waitstatus_to_exitcode(status)})
