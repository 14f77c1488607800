"""The one interface the magics use to reach the engine, wherever it runs.

In a kernel started by a Jupyter server with the ol-notebook extension, the engine lives in
the server (shared by every kernel and the sidebar) and `RestClient` talks to its API; with
no server (plain IPython, a script, tests) `LocalClient` runs a Worker in this process. Both
return the JSON shapes of `ol_notebook.api` and raise the engine's exceptions, and both call
`on_event` on the calling thread only, so the magics have no `if rest:` branches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from ol_notebook.api import SERVER_TOKEN_ENV, SERVER_URL_ENV
from ol_notebook.magics.local import LocalClient
from ol_notebook.magics.rest import RestClient
from ol_notebook.puller import EventSink


class Client(Protocol):
    where: str  # what this client talks to, for messages

    def info(self) -> dict[str, Any]:
        """The engine's version, runtime id, Python version, index, store and registry."""

    def pull(self, requirements: str, on_event: EventSink) -> dict[str, Any]:
        """Compile `requirements` and pull the closure: closure, installed, hits, seconds, packages."""

    def deploy(self, name: str, code: str, requirements: str, settings: dict[str, Any],
               on_event: EventSink, force: bool = False) -> dict[str, Any]:
        """Deploy a new version (`settings` may give only some fields), unless the current one is
        the same and not `force`; describe the lambda, with `unchanged`, `added` and `missing`."""

    def lock(self, requirements: str) -> str:
        """Compile and pull `requirements`, and answer their PEP 751 lock (pylock.toml text)."""

    def freeze(self, name: str, version: int | None = None) -> str:
        """The PEP 751 lock of exactly what lambda `name` runs (or its kept `version`)."""

    def pull_lock(self, lock: str, source: str, on_event: EventSink) -> dict[str, Any]:
        """Pull the packages of the PEP 751 lock `lock` (a pylock.toml's text) without resolving; like
        `pull`'s answer. `source` names the lock in errors where the engine is local."""

    def deploy_lock(self, name: str, code: str, lock: str, source: str, settings: dict[str, Any],
                    on_event: EventSink, force: bool = False) -> dict[str, Any]:
        """Deploy with exactly the lock's packages (see `pull_lock`); like `deploy`'s answer."""

    def invoke(self, name: str, event: Any, on_event: EventSink | None = None) -> dict[str, Any]:
        """Call the lambda: result, stdout, stderr, duration, cold, version, auto_installed. With
        `on_event`, what it prints arrives there while it runs, as events of kind "stdout" and
        "stderr". An interrupt (KeyboardInterrupt) while it runs cancels the call in the engine."""

    def export(self, name: str, options: dict[str, Any], out_dir: Path, on_event: EventSink) -> dict[str, Any]:
        """Export lambda `name` (`options`: Worker.export's to, arch, python, layer, version) into `out_dir`
        on this machine: name, target, files, packages (the summary), warnings."""

    def lambdas(self) -> list[dict[str, Any]]: ...

    def describe(self, name: str) -> dict[str, Any]: ...

    def logs(self, name: str, limit: int) -> list[dict[str, Any]]: ...

    def remove(self, name: str) -> None: ...

    def packages(self) -> list[dict[str, Any]]: ...

    def close(self) -> None:
        """Release what the client holds (the local engine stops every lambda sandbox it started)."""


def connect() -> Client:
    """The server's API if this kernel was started by one (it exports its URL), else a local engine."""
    url = os.environ.get(SERVER_URL_ENV)
    if url:
        return RestClient(url, os.environ.get(SERVER_TOKEN_ENV, ""))
    return LocalClient()
