"""Starts lambda sandboxes from one long-lived thread.

bwrap's --die-with-parent follows the thread that started it, not the process: a sandbox
started from a short-lived executor thread would die when that thread is retired. One
dedicated thread per Runtimes starts them all and lives until every sandbox is stopped; if
this process dies, so do they.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from ol_notebook.sandbox import Sandbox, SandboxProcess, SandboxSpec


class Launcher:
    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox
        # One thread, kept for the executor's life (idle executor threads are never retired).
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ol-lambda-launcher")

    async def start(self, spec: SandboxSpec, pass_fds: Sequence[int], output: int | IO[bytes]) -> SandboxProcess:
        """Sandbox.start on the launcher thread; stdout and stderr both go to `output`."""
        start = functools.partial(self._sandbox.start, spec, pass_fds, stdin=subprocess.DEVNULL, stdout=output,
                                  stderr=output)
        return await asyncio.get_running_loop().run_in_executor(self._thread, start)

    def close(self) -> None:
        """Once every sandbox it started has ended: its end would kill those still running."""
        self._thread.shutdown(wait=True)
