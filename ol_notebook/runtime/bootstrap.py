"""The sandbox of one lambda version: what it mounts and how the runtime inside starts.

It sees the system read-only (the sandbox layer's view), the interpreter, the runtime package
at /runtime/_ol_runtime, the handler's code at /handler and each of its packages at
/packages/NAME==VERSION/files, all read-only, and a private writable /tmp: never another
lambda's packages, never the host's site-packages on sys.path.
"""

from __future__ import annotations

import compileall
import functools
from pathlib import Path
from typing import Any

from ol_notebook.runtime.inside import BOOT, HANDLER_DIR, PACKAGE, PACKAGES_DIR, RUNTIME_DIR
from ol_notebook.runtime.spec import LambdaSpec
from ol_notebook.sandbox import Bind, Limits, SandboxSpec

INSIDE = Path(__file__).resolve().with_name("inside")


def package_dir(key: str) -> str:
    """Where package NAME==VERSION's files are inside the sandbox, as OpenLambda lays them out."""
    return f"{PACKAGES_DIR}/{key}/files"


def sandbox_spec(spec: LambdaSpec, control_fd: int) -> SandboxSpec:
    """The sandbox for `spec`, its zygote talking to the host on inherited fd `control_fd`.

    The command line carries only that fd's number: the configuration, the lambda's `env`
    included, follows as the first control message (see `bootstrap_config`), so the lambda's
    environment never reaches bwrap, which runs on the host, and is not in /proc/PID/cmdline.
    """
    compile_runtime()
    binds = [
        Bind(INSIDE, f"{RUNTIME_DIR}/{PACKAGE}"),
        Bind(Path(spec.code_dir).resolve(), HANDLER_DIR),
        *(Bind(Path(files).resolve(), package_dir(key)) for key, files in spec.packages),
    ]
    return SandboxSpec(
        [spec.python, "-I", "-S", "-c", BOOT, str(control_fd)],
        binds=binds,
        network=spec.network,
        cwd=HANDLER_DIR,
        limits=Limits(memory=spec.memory, processes=spec.processes, disk=spec.disk),
        python=True,
    )


def bootstrap_config(spec: LambdaSpec) -> dict[str, Any]:
    """What the zygote needs before it imports the handler: sys.path, limits, environment."""
    return {
        "op": "config",
        "packages": [package_dir(key) for key, _ in spec.packages],
        "max_result": spec.max_result_bytes,
        "env": dict(spec.env),
    }


@functools.cache
def compile_runtime() -> None:
    """Bytecode for the runtime's modules, once per process: the sandbox mounts them read-only,
    so without it every cold start would compile them again. Where the package is read-only
    (an installed wheel), the installer compiled them already."""
    compileall.compile_dir(INSIDE, quiet=2)
