"""All lambdas of one engine: which sandbox serves a name now, and its state.

The spec an invocation carries is the one the caller found current (the registry's `current`
link), so it decides: a call whose spec differs from the serving pool's switches the name to
a pool of its spec; the old pool finishes the calls it took, then stops. A deploy's `start`
does not switch anything: it readies a standby pool while the serving one goes on serving
calls that still carry the old spec, and the first call carrying the new spec (after the
deploy made it current) promotes the standby. So a call of the old spec never retires the
new, still-starting pool, and a redeploy under load fails no call. Everything runs on the
event loop of the first `invoke`: one Runtimes belongs to one loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ol_notebook.runtime.codec import encode_event
from ol_notebook.runtime.errors import LambdaStopped
from ol_notebook.runtime.launcher import Launcher
from ol_notebook.runtime.output import OutputSink
from ol_notebook.runtime.pool import Pool
from ol_notebook.runtime.spec import Invocation, LambdaSpec
from ol_notebook.sandbox import Sandbox


class _Lambda:
    """One name: the pool serving its current spec, the standby a deploy started, every pool not
    yet stopped, the latency of its last result."""

    def __init__(self) -> None:
        self.pool: Pool | None = None
        self.standby: Pool | None = None
        self.pools: set[Pool] = set()
        self.last_latency: float | None = None

    def serving(self, spec: LambdaSpec) -> Pool | None:
        """The pool for a call of `spec`: the serving one, else the standby of that spec, promoted."""
        pool = self.pool
        if pool is not None and pool.accepts(spec):
            return pool
        standby = self.standby
        if standby is None or not standby.accepts(spec):
            return None
        self.standby = None
        self.switch(standby)
        return standby

    def prepared(self, spec: LambdaSpec) -> Pool | None:
        """The serving pool or the standby, if it is `spec`'s and can take calls (nothing switches)."""
        return next((pool for pool in (self.pool, self.standby) if pool is not None and pool.accepts(spec)), None)

    def switch(self, pool: Pool) -> None:
        old, self.pool = self.pool, pool
        self.pools.add(pool)
        if old is not None:
            old.retire()

    def prepare(self, pool: Pool) -> None:
        """`pool` becomes the standby; one an earlier deploy left unused will never serve."""
        old, self.standby = self.standby, pool
        self.pools.add(pool)
        if old is not None:
            old.retire()

    def stopped(self, pool: Pool) -> None:
        self.pools.discard(pool)
        if self.pool is pool:
            self.pool = None
        if self.standby is pool:
            self.standby = None


class Runtimes:
    """The lambdas of one engine, each in its own sandboxes; state per name; stop and close."""

    def __init__(self, sandbox: Sandbox):
        self._launcher = Launcher(sandbox)
        self._lambdas: dict[str, _Lambda] = {}
        self._closed = False

    async def invoke(self, spec: LambdaSpec, event: Any, on_output: OutputSink | None = None) -> Invocation:
        """Run `spec`'s handler on `event` (a JSON value) in a warm worker if there is one;
        `on_output(stream, text)` gets what it prints while it runs.

        Raises LambdaError when the handler raised, and the other LambdaRuntimeErrors when
        the call could not run or finish (timeout, crash, busy, sizes, start failure, and
        LambdaCancelled when the caller's task was cancelled while the call ran).
        """
        started = time.perf_counter()
        frame = encode_event(spec, event)
        entry = self._lambdas.get(spec.name)
        pool = entry.serving(spec) if entry is not None else None
        if entry is None or pool is None:
            entry = self._entry(spec.name)
            entry.switch(pool := self._new_pool(spec, entry))
        result = await pool.invoke(frame, started, on_output)
        entry.last_latency = result.duration
        return result

    async def start(self, spec: LambdaSpec) -> None:
        """Start `spec`'s sandbox and import its handler now, so a broken handler fails here and
        the first call is warm. Raises LambdaStartError (with the import's traceback).

        The pool is a standby: calls of other specs go on being served as before, and the first
        call of `spec` switches to it. Unused, it is reaped after its idle timeout."""
        entry = self._entry(spec.name)
        pool = entry.prepared(spec)
        if pool is None:
            entry.prepare(pool := self._new_pool(spec, entry))
        await pool.ready()

    def discard(self, spec: LambdaSpec) -> None:
        """A deploy of `spec` failed after `start`: its standby will never serve."""
        entry = self._lambdas.get(spec.name)
        if entry is not None and entry.standby is not None and entry.standby.accepts(spec):
            entry.standby.retire()

    def state(self, name: str) -> dict[str, Any]:
        """{"state": "cold"|"warm", "instances": workers alive, "version": the sandbox's or None,
        "last_latency": seconds of the last successful call or None}: of the serving pool, else of
        the standby (a lambda deployed but not called yet)."""
        entry = self._lambdas.get(name)
        pool = None if entry is None else entry.pool if entry.pool is not None else entry.standby
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

    def _entry(self, name: str) -> _Lambda:
        if self._closed:
            raise LambdaStopped(name)
        return self._lambdas.setdefault(name, _Lambda())

    def _new_pool(self, spec: LambdaSpec, entry: _Lambda) -> Pool:
        return Pool(spec, self._launcher, entry.stopped)
