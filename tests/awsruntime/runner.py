"""Run an exported AWS Lambda bundle the way Lambda does: awslambdaric, our Runtime API double, our sandbox.

Lambda unpacks the function zip at /var/task and each layer at /opt, and starts its runtime interface
client (awslambdaric, which it keeps in /var/runtime) with the handler's name; the client then asks the
Runtime API for events until the sandbox is frozen or ended. Here:

    /var/task     the unpacked function zip, read-only (as on Lambda)
    /opt          the unpacked layer zip, read-only; its python/ is on sys.path (as on Lambda)
    /var/runtime  awslambdaric and its dependencies from the test venv (importlib.metadata finds their
                  files), read-only: never downloaded at test time
    sys.path      /var/task, /opt/python/lib/pythonX.Y/site-packages, /opt/python, /var/runtime and the
                  standard library only: `python -S` (no site, so no site-packages) with PYTHONPATH, the
                  order Lambda's bootstrap gives them

The sandbox has no network; the Runtime API is the one loopback port it reaches. When every event has
its outcome (or the handler failed to load, or the runtime died) the sandbox is killed, as Lambda ends
an execution environment.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import Requirement

from ol_notebook.sandbox import PYTHON, Bind, Limits, Sandbox, SandboxSpec
from ol_notebook.sandbox.capture import Tail

from .api import Invoke, Outcome, RuntimeAPI

RUNTIME_CLIENT = "awslambdaric"
TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
LAYER_ROOT = "/opt"
HANDLER = "lambda_function.lambda_handler"
LIMITS = Limits(timeout=120, memory=1 << 30, processes=64, disk=64 << 20)


class RuntimeClientMissing(RuntimeError):
    """awslambdaric is not installed in the venv the tests run from."""


@dataclass(frozen=True)
class RuntimeFiles:
    """awslambdaric and what it requires: the top-level entries of their installed files, each bound
    read-only at /var/runtime/NAME (packages, modules and the runtime_client extension)."""

    entries: tuple[Path, ...]

    def binds(self) -> list[Bind]:
        return [Bind(entry, f"{RUNTIME_DIR}/{entry.name}") for entry in self.entries]


def runtime_files(name: str = RUNTIME_CLIENT) -> RuntimeFiles:
    """Find the installed files of `name` and of everything it requires, from their RECORDs."""
    entries: dict[str, Path] = {}
    for dist in _closure(name):
        for file in dist.files or ():
            parts = PurePosixPath(str(file)).parts
            if not parts or parts[0] == ".." or parts[0].endswith((".dist-info", ".data")) or parts[0] == "__pycache__":
                continue  # console scripts live outside site-packages; metadata is not imported
            entries.setdefault(parts[0], Path(str(dist.locate_file(parts[0]))))
    return RuntimeFiles(tuple(sorted(entries.values())))


def _closure(name: str) -> list[metadata.Distribution]:
    """`name` and its requirements (those whose markers hold here), each once."""
    found: dict[str, metadata.Distribution] = {}
    todo = [name]
    while todo:
        wanted = todo.pop()
        try:
            dist = metadata.distribution(wanted)
        except metadata.PackageNotFoundError as missing:
            raise RuntimeClientMissing(
                f"{wanted} (needed to run AWS bundles like Lambda does) is not installed in {sys.prefix}: "
                "install the test extra, `pip install -e '.[test]'`"
            ) from missing
        key = dist.metadata["Name"].lower()
        if key in found:
            continue
        found[key] = dist
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


def unpack(archive: Path, into: Path) -> Path:
    """Unzip as Lambda does, keeping each member's permission bits; zipfile drops `..` and leading `/`."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)
    return into


@dataclass
class Run:
    """What one run of a bundle gave: the outcome of each event in order (None: none came), init
    errors, the runtime's output and how it ended."""

    outcomes: list[Outcome | None]
    init_errors: list[Outcome]
    stdout: str
    stderr: str
    returncode: int
    requests: list[str] = field(default_factory=list)

    @property
    def values(self) -> list[Any]:
        """Each event's result as JSON; an error outcome or a missing one fails loudly, with the log."""
        values = []
        for index, outcome in enumerate(self.outcomes):
            if outcome is None or outcome.kind != "response":
                raise AssertionError(f"event {index} gave {outcome}; init errors {self.init_errors}; "
                                     f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}")
            values.append(outcome.value)
        return values


def lambda_environment(api: RuntimeAPI, python_minor: str, handler: str, memory_mb: int = 128) -> dict[str, str]:
    """The environment Lambda gives a python runtime (the documented reserved variables)."""
    return {
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": TASK_ROOT,
        "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python_minor}",
        "AWS_LAMBDA_FUNCTION_NAME": api.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{api.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LD_LIBRARY_PATH": f"/lib64:/usr/lib64:{RUNTIME_DIR}:{TASK_ROOT}:{TASK_ROOT}/lib:{LAYER_ROOT}/lib",
        "PYTHONPATH": ":".join((TASK_ROOT, f"{LAYER_ROOT}/python/lib/python{python_minor}/site-packages",
                                f"{LAYER_ROOT}/python", RUNTIME_DIR)),
        "PYTHONUNBUFFERED": "1",
    }


def lambda_spec(task: Path, layer: Path | None, files: RuntimeFiles, api: RuntimeAPI, *,
                handler: str = HANDLER, limits: Limits = LIMITS) -> SandboxSpec:
    """The sandbox a bundle runs in: its code, its layer and the runtime read-only, the Runtime API
    as its only reachable port, no network."""
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    binds = [Bind(task, TASK_ROOT), *([Bind(layer, LAYER_ROOT)] if layer else []), *files.binds()]
    return SandboxSpec(
        [PYTHON, "-S", "-m", RUNTIME_CLIENT, handler],
        binds=binds, network=False, loopback_ports=(api.port,), cwd=TASK_ROOT, limits=limits,
        env=lambda_environment(api, minor, handler),
    )


def run_bundle(function_zip: Path, events: Sequence[Any], *, work_dir: Path, sandbox: Sandbox,
               files: RuntimeFiles, layer_zip: Path | None = None, handler: str = HANDLER,
               function_name: str = "ol-test", settle_timeout: float = 90) -> Run:
    """Unpack the bundle, queue `events` (JSON values, or `Invoke` to add a client context or identity)
    at a fresh Runtime API, run awslambdaric until each has its outcome (or init failed, or the runtime
    ended), then end the sandbox."""
    task = unpack(function_zip, work_dir / "task")
    layer = unpack(layer_zip, work_dir / "opt") if layer_zip else None
    with RuntimeAPI(function_name) as api:
        ids = [api.invoke(event.event, client_context=event.client_context, cognito_identity=event.cognito_identity)
               if isinstance(event, Invoke) else api.invoke(event) for event in events]
        process = sandbox.start(lambda_spec(task, layer, files, api, handler=handler), stdin=subprocess.DEVNULL)
        assert process.stdout is not None and process.stderr is not None
        out, err = Tail(process.stdout), Tail(process.stderr)
        try:
            api.wait_settled(ids, settle_timeout, alive=lambda: process.returncode is None and not process.join(0))
        finally:
            process.kill()
            returncode = process.wait(timeout=30)
            out.join(timeout=5)
            err.join(timeout=5)
        return Run([api.outcome(rid) for rid in ids], api.init_errors, out.data.decode(errors="replace"),
                   err.data.decode(errors="replace"), returncode, list(api.requests))
