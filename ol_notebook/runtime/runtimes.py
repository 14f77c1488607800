"""All lambdas of one engine: which sandbox serves a name now, and its state.

A lambda whose spec changed (new version: code or pins) gets a fresh sandbox on its next
invocation; the old one finishes the calls it took, then stops. Everything runs on the event
loop of the first `invoke`: one Runtimes belongs to one loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ol_notebook.runtime.codec import encode_event
from ol_notebook.runtime.errors import LambdaStopped
from ol_notebook.runtime.launcher import Launcher
from ol_notebook.runtime.pool import Pool
from ol_notebook.runtime.spec import Invocation, LambdaSpec
from ol_notebook.sandbox import Sandbox


class _Lambda:
    """One name: the pool of its current spec, every pool not yet stopped, the latency of its last result."""

    def __init__(self) -> None:
        self.pool: Pool | None = None
        self.pools: set[Pool] = set()
        self.last_latency: float | None = None

    def switch(self, pool: Pool) -> None:
        old, self.pool = self.pool, pool
        self.pools.add(pool)
        if old is not None:
            old.retire()

    def stopped(self, pool: Pool) -> None:
        self.pools.discard(pool)
        if self.pool is pool:
            self.pool = None


class Runtimes:
    """The lambdas of one engine, each in its own sandboxes; state per name; stop and close."""

    def __init__(self, sandbox: Sandbox):
        self._launcher = Launcher(sandbox)
        self._lambdas: dict[str, _Lambda] = {}
        self._closed = False

    async def invoke(self, spec: LambdaSpec, event: Any) -> Invocation:
        """Run `spec`'s handler on `event` (a JSON value) in a warm worker if there is one.

        Raises LambdaError when the handler raised, and the other LambdaRuntimeErrors when
        the call could not run or finish (timeout, crash, busy, sizes, start failure).
        """
        started = time.perf_counter()
        frame = encode_event(spec, event)
        entry = self._lambdas.get(spec.name)
        pool = entry.pool if entry is not None else None
        if entry is None or pool is None or not pool.accepts(spec):
            entry, pool = self._new_pool(spec)
        result = await pool.invoke(frame, started)
        entry.last_latency = result.duration
        return result

    async def start(self, spec: LambdaSpec) -> None:
        """Start `spec`'s sandbox and import its handler now, so a broken handler fails here and
        the first call is warm. Raises LambdaStartError (with the import's traceback)."""
        entry = self._lambdas.get(spec.name)
        pool = entry.pool if entry is not None else None
        if pool is None or not pool.accepts(spec):
            _, pool = self._new_pool(spec)
        await pool.ready()

    def state(self, name: str) -> dict[str, Any]:
        """{"state": "cold"|"warm", "instances": workers alive, "version": the sandbox's or None,
        "last_latency": seconds of the last successful call or None}."""
        entry = self._lambdas.get(name)
        pool = entry.pool if entry is not None else None
        return {
            "state": "warm" if pool is not None and pool.warm else "cold",
            "instances": pool.instances if pool is not None else 0,
            "version": pool.spec.version if pool is not None else None,
            "last_latency": entry.last_latency if entry is not None else None,
        }

    async def stop(self, name: str) -> None:
        """Tear down every sandbox of `name`; calls in flight fail with LambdaStopped."""
        entry = self._lambdas.pop(name, None)
        if entry is not None:
            await asyncio.gather(*(pool.stop() for pool in list(entry.pools)))

    async def close(self) -> None:
        """Stop everything and wait until no process of any lambda is left."""
        self._closed = True
        await asyncio.gather(*(self.stop(name) for name in list(self._lambdas)))
        self._launcher.close()

    def _new_pool(self, spec: LambdaSpec) -> tuple[_Lambda, Pool]:
        if self._closed:
            raise LambdaStopped(spec.name)
        entry = self._lambdas.setdefault(spec.name, _Lambda())
        pool = Pool(spec, self._launcher, entry.stopped)
        entry.switch(pool)
        return entry, pool
