"""Run a command in Linux namespaces with limits, through bubblewrap. Knows nothing about packages.

    sandbox = Sandbox()
    result = sandbox.run(SandboxSpec([PYTHON, "-c", "print(1)"], limits=Limits(timeout=10)))

Layout: spec (what to run), view (what it sees), interpreter (what of Python it sees), locate
(which bwrap), confine and cgroups (memory and process bounds), disk (disk use outside the sized
tmpfs, our temp directories), launch (start and kill a process tree), net/ (its own network:
egress through slirp4netns, prohibit routes, the loopback-index tunnel), process (watch one
sandbox), verdict (which limit ended it), capture (run's pipes), errors, sandbox (the facade).
"""

from ol_notebook.sandbox.errors import (
    SandboxDiskExceeded,
    SandboxError,
    SandboxLimitError,
    SandboxMemoryExceeded,
    SandboxProcessLimitExceeded,
    SandboxTimeout,
    SandboxUnavailable,
)
from ol_notebook.sandbox.interpreter import PYTHON
from ol_notebook.sandbox.process import SandboxProcess
from ol_notebook.sandbox.sandbox import Sandbox
from ol_notebook.sandbox.spec import Bind, Limits, SandboxResult, SandboxSpec

__all__ = [
    "PYTHON",
    "Bind",
    "Limits",
    "Sandbox",
    "SandboxDiskExceeded",
    "SandboxError",
    "SandboxLimitError",
    "SandboxMemoryExceeded",
    "SandboxProcess",
    "SandboxProcessLimitExceeded",
    "SandboxResult",
    "SandboxSpec",
    "SandboxTimeout",
    "SandboxUnavailable",
]
