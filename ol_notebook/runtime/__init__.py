"""Lambda sandboxes: a versioned sys.path, a zygote per lambda version, forked workers, limits.

    runtimes = Runtimes(Sandbox())
    result = await runtimes.invoke(LambdaSpec("scraper", "scraper@3", code_dir, packages), {"url": ...})

Layout: spec (LambdaSpec, Invocation), errors, bootstrap (what a lambda's sandbox mounts and
runs), launcher (the thread sandboxes are started from), zygote and worker (the host's ends of
the processes inside), output (what workers print, read from their memfds), codec (events and
replies), pool (one version's workers: reuse, scale-out, queue, reaping), runtimes (the
facade). `inside/` is the stdlib-only runtime that runs in the sandbox.
"""

from ol_notebook.runtime.errors import (
    EventTooLarge,
    InvalidEvent,
    LambdaBusy,
    LambdaCancelled,
    LambdaCrashed,
    LambdaError,
    LambdaRuntimeError,
    LambdaStartError,
    LambdaStopped,
    LambdaTimeout,
    ResultNotSerializable,
    ResultTooLarge,
)
from ol_notebook.runtime.output import OutputSink
from ol_notebook.runtime.runtimes import Runtimes
from ol_notebook.runtime.spec import Invocation, LambdaSpec, LambdaSpecError

__all__ = [
    "EventTooLarge",
    "InvalidEvent",
    "Invocation",
    "LambdaBusy",
    "LambdaCancelled",
    "LambdaCrashed",
    "LambdaError",
    "LambdaRuntimeError",
    "LambdaSpec",
    "LambdaSpecError",
    "LambdaStartError",
    "LambdaStopped",
    "LambdaTimeout",
    "OutputSink",
    "ResultNotSerializable",
    "ResultTooLarge",
    "Runtimes",
]
