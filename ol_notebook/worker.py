"""The engine: one async facade over the store, the puller, the registry and the runtimes.

Every front end (CLI, REST API, magics) calls this and nothing below it, so a lambda deployed
from one is the same lambda everywhere. Blocking work (uv, installs) runs in threads; the
invoke path only touches the runtimes and one cached spec per lambda.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from packaging.pylock import Pylock
from packaging.utils import canonicalize_name

from ol_notebook import __version__
from ol_notebook.deployment import (
    Deployment,
    hinted_start_error,
    missing_warning,
    requirement_names,
    same_version,
    with_added,
)
from ol_notebook.errors import OLError
from ol_notebook.export.aws import export_aws
from ol_notebook.export.model import ExportCaches, ExportResult
from ol_notebook.export.openlambda import export_openlambda
from ol_notebook.export.target import Target, export_target
from ol_notebook.invocations import InvocationLog, InvocationLogs
from ol_notebook.lock import LockError, read_lock, refuse_direct_references, uv_version
from ol_notebook.packages import PackageService
from ol_notebook.puller import EventSink, PullEvent, PullReport
from ol_notebook.registry import LambdaSettings, LambdaVersion, Registry, Rollback, validate_code, validate_name
from ol_notebook.resolve import Closure, parse_requirements
from ol_notebook.resolve.imports import (
    MissingImport,
    distribution_for,
    imported_by_statement,
    is_stdlib,
    missing_imports,
    missing_module,
)
from ol_notebook.runtime import Invocation, LambdaError, LambdaSpec, LambdaStartError, OutputSink, Runtimes
from ol_notebook.settings import Settings
from ol_notebook.store import Corruption, Entry, EntryMetadata, GcReport, StoreError

NEVER_STARTED = {"state": "cold", "instances": 0, "version": None, "last_latency": None}
HOST_NETWORK_WARNING = ("lambda {name!r} shares the host's network (network: 'host'): its code can reach every "
                        "service listening on this machine, loopback included (kernels, the Jupyter server, "
                        "databases). Use network: true for internet access from its own network namespace.")
logger = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.packages = PackageService(self.settings)
        self.registry = Registry(self.settings.registry_dir)
        self._runtimes: Runtimes | None = None
        self._specs: dict[str, tuple[str, LambdaSpec, int]] = {}
        self._deploying: dict[str, asyncio.Lock] = {}
        self._invocations = InvocationLogs(self.registry.root)
        self._current_links: dict[str, str] = {}

    @property
    def runtimes(self) -> Runtimes:
        if self._runtimes is None:
            self._runtimes = Runtimes(self.packages.sandbox)
        return self._runtimes

    # Lambdas
    async def deploy(
        self,
        name: str,
        code: str,
        requirements: str = "",
        settings: LambdaSettings | None = None,
        on_event: EventSink | None = None,
        force: bool = False,
    ) -> Deployment:
        """Compile and pull the lambda's closure, import its handler in a fresh sandbox, then
        make the new version current; unless the current version already is exactly this
        (code, settings, compiled pins) and not `force`: then nothing is created or started.

        Until the last step the previous version keeps serving (its sandbox serves the calls
        that arrive meanwhile, and the first call after the switch goes to the new one); any
        failure (including a handler that fails to import) leaves it current and leaves no trace
        of the new version. Imports of the code that no package provides are warned about (or,
        with the `auto_install` setting, their distributions are added to the requirements)
        before anything starts. `on_event` sees the pull's package events and the deploy's own
        stages ("resolving", "starting", "deployed" (message "unchanged, still version N" for a
        no-op), and a "warning" per missing import and for a lambda on the host's network), keyed
        by name.
        """
        validate_name(name)
        validate_code(code, name)
        parse_requirements(requirements.splitlines(), source=f"requirements of lambda {name!r}")
        settings = settings or self.settings.lambda_defaults
        report = on_event or _ignore
        async with self._deploying.setdefault(name, asyncio.Lock()):
            self._warn_host_network(name, settings, report)
            report(PullEvent("resolving", name))
            requirements, closure, added, missing = await self._resolved(name, code, requirements, settings, report)
            return await self._deployed(name, code, requirements, closure, settings, report, force, added, missing)

    async def deploy_from_lock(
        self,
        name: str,
        code: str,
        lock: Pylock,
        source: str,
        settings: LambdaSettings | None = None,
        on_event: EventSink | None = None,
        force: bool = False,
    ) -> Deployment:
        """Deploy with exactly the lock's packages, selected for this runtime (nothing is resolved;
        `source` names the lock in errors). The version records them as its requirements
        (NAME==VERSION), so it says what it runs. Imports no package provides are warned about as
        in `deploy`; `auto_install` adds nothing: a lock is exact."""
        validate_name(name)
        validate_code(code, name)
        settings = settings or self.settings.lambda_defaults
        report = on_event or _ignore
        async with self._deploying.setdefault(name, asyncio.Lock()):
            self._warn_host_network(name, settings, report)
            report(PullEvent("resolving", name, message=f"from the lock {source}"))
            closure = await self.closure_from_lock(lock, source, report)
            await self.pull(closure, report)
            requirements = "\n".join(closure.requirements)
            missing = self._missing_imports(code, closure)
            self._warn_missing(name, missing, requirements, report)
            return await self._deployed(name, code, requirements, closure, settings, report, force, (), missing)

    async def _deployed(self, name: str, code: str, requirements: str, closure: Closure, settings: LambdaSettings,
                        report: EventSink, force: bool, added: tuple[str, ...], missing: list[MissingImport]
                        ) -> Deployment:
        """The pulled closure made the current version, unless the current one already is exactly it."""
        current = self.registry.current(name)
        if current is not None and not force and same_version(current, code, closure, settings):
            report(PullEvent("deployed", name, message=f"unchanged, still version {current.number}"))
            return Deployment(current, unchanged=True, missing=tuple(missing))
        version = await self._started(name, code, requirements, closure, settings, report)
        return Deployment(version, added=added, missing=tuple(missing))

    @staticmethod
    def _warn_host_network(name: str, settings: LambdaSettings, report: EventSink) -> None:
        if settings.host_network:
            message = HOST_NETWORK_WARNING.format(name=name)
            logger.warning(message)
            report(PullEvent("warning", name, message=message))

    async def retry_missing_import(self, name: str, error: LambdaError) -> Deployment | None:
        """After a call failed with ModuleNotFoundError (an import the deploy could not see, e.g. in
        a package's code), redeploy the lambda with the module's distribution added, if its
        `auto_install` setting is on; the caller then retries the call once. None: nothing was
        installed (the option is off, the module is of the standard library or was named by no
        import statement, its distribution is already required, or the redeploy failed), so
        the original error stands."""
        module = missing_module(error.message) if error.type == "ModuleNotFoundError" else None
        current = self.registry.current(name)
        if module is None or is_stdlib(module) or current is None or not current.settings.auto_install:
            return None
        if not imported_by_statement(error.traceback, module):  # a name computed at run time: maybe the event's
            logger.warning("lambda %r failed to import %s, a name its code computed when it ran: auto-install "
                           "adds only what an import statement names", name, module)
            return None
        distribution = self._distribution_for(module)
        if canonicalize_name(distribution) in requirement_names(current.requirements):
            return None  # installing it did not make the module importable: retrying would not either
        requirements = with_added(current.requirements, [distribution])
        try:
            deployment = await self.deploy(name, current.code, requirements, current.settings)
        except OLError as failure:
            logger.warning("lambda %r imports %s at call time; adding %s failed: %s", name, module, distribution,
                           failure)
            return None
        return replace(deployment, added=(distribution, *deployment.added))

    async def invoke(self, name: str, event: Any, on_output: OutputSink | None = None) -> Invocation:
        """Call the lambda; `on_output(stream, text)` gets what it prints while it runs. A lambda
        with `auto_install` whose f failed to import a module is redeployed with the module's
        distribution and called once more (`auto_installed` in the result says what was added)."""
        try:
            return await self._invoke_once(name, event, on_output)
        except LambdaError as error:
            if (deployment := await self.retry_missing_import(name, error)) is None:
                raise
        result = await self._invoke_once(name, event, on_output)
        return replace(result, auto_installed=deployment.added)

    async def _invoke_once(self, name: str, event: Any, on_output: OutputSink | None) -> Invocation:
        # The current spec from memory; after a change, read and checked in a thread (it hashes).
        spec, number = self._cached_spec(name) or await asyncio.to_thread(self._load_spec, name)
        started = time.time()
        try:
            result = await self.runtimes.invoke(spec, event, on_output)
        except OLError as error:
            self._log_failure(name, number, started, f"{type(error).__name__}: {error}",
                              getattr(error, "stdout", ""), getattr(error, "stderr", ""))
            raise
        except asyncio.CancelledError:  # its caller left while it waited for a worker: it never ran
            self._log_failure(name, number, started, f"LambdaCancelled: lambda {name!r} was cancelled by its caller "
                                                     "while it waited for a worker")
            raise
        self._invocations.append(name, InvocationLog(started, number, result.duration, result.cold, True, None,
                                                     result.stdout, result.stderr))
        return result

    def _log_failure(self, name: str, number: int, started: float, error: str, stdout: str = "",
                     stderr: str = "") -> None:
        self._invocations.append(name, InvocationLog(started, number, time.time() - started, False, False, error,
                                                     stdout, stderr))

    def lambdas(self) -> list[dict[str, Any]]:
        """Every deployed lambda with its version, settings, pins and runtime state."""
        return [self._summary(version) for name in self.registry.names() if (version := self.registry.current(name))]

    def info(self) -> dict[str, Any]:
        """What this engine runs on: our version, the runtime, the index, where things are kept."""
        settings, runtime = self.settings, self.packages.runtime
        return {"version": __version__, "runtime": runtime.id, "python": runtime.version,
                "index": settings.index.describe(), "store": str(settings.store_dir),
                "registry": str(settings.registry_dir)}

    def describe(self, name: str) -> dict[str, Any]:
        """One lambda: its summary, code, and the kept versions (newest first) a rollback can go to."""
        version = self.registry.require(name)
        history = [
            {"version": old.number, "created_at": old.created_at, "requirements": old.requirements,
             "pins": [pin.key for pin in old.closure.pins]}
            for old in self.registry.history(name)
        ]
        return {**self._summary(version), "code": version.code, "history": history}

    def logs(self, name: str, limit: int = 50) -> list[InvocationLog]:
        """Recent invocations, newest last (also those of other processes on this registry)."""
        self.registry.require(name)
        return self._invocations.read(name, limit)

    async def remove(self, name: str) -> None:
        self.registry.require(name)
        if self._runtimes:
            await self._runtimes.stop(name)
        self._invocations.forget(name)
        self.registry.remove(name)
        self._specs.pop(name, None)
        with contextlib.suppress(StoreError):  # a registry written before roots existed has none
            self.packages.store.remove_root(_root_name(name))

    async def rollback(self, name: str, number: int | None = None) -> Rollback:
        """Serve version `number`, else the one current before the present one (see Registry.rollback)."""
        rolled = self.registry.rollback(name, number)
        self._keep_packages(name)
        return rolled

    # Export
    async def export(self, name: str, *, to: str, arch: str = "x86_64", python: str | None = None,
                     layer: bool = False, out_dir: Path, version: int | None = None,
                     on_event: EventSink | None = None) -> ExportResult:
        """Write lambda `name` (its current version, or its kept `version`) as a bundle for another
        engine into `out_dir`: to "aws-lambda" a function zip (and with `layer` a layer zip) for
        `arch` and `python` (a minor like "3.12", the default, or a full version), or to "openlambda"
        a registry tarball for its worker's Python. The lambda's requirements are resolved again for
        the target (the deployed pins are the host's); the blocking work runs in a thread."""
        lambda_version = self.registry.version(name, version)
        target = export_target(to, arch, python, layer)
        return await asyncio.to_thread(self._export, lambda_version, target, layer, Path(out_dir), on_event)

    def _export(self, version: LambdaVersion, target: Target, layer: bool, out_dir: Path,
                on_event: EventSink | None) -> ExportResult:
        store, settings = self.packages.store, self.settings
        common = {"out_dir": out_dir, "index": settings.index, "sandbox": self.packages.sandbox,
                  "caches": ExportCaches(store.downloads_dir, store.resolve_cache_dir, store.root / "exports"),
                  "limits": settings.install_limits, "on_event": on_event}
        requirements = [str(requirement) for requirement in parse_requirements(
            version.requirements.splitlines(), source=f"requirements of lambda {version.name!r}")]
        if target.engine == "openlambda":
            return export_openlambda(version.name, version.code, requirements, target,
                                     environment=version.settings.env, **common)
        return export_aws(version.name, version.code, requirements, target, layer=layer, **common)

    # Packages (blocking work runs in threads, so a server's event loop keeps serving)
    async def compile(self, requirements: str, source: str = "requirements") -> Closure:
        parsed = parse_requirements(requirements.splitlines(), source=source)
        return await asyncio.to_thread(self._compile, parsed)

    async def closure_from_lock(self, lock: Pylock, source: str, on_event: EventSink | None = None) -> Closure:
        """No resolution: the lock's packages for this runtime, their files downloaded and checked
        (see lock/); pull it like any closure. `source` names the lock in errors."""
        return await asyncio.to_thread(self.packages.closure_from_lock, lock, source, on_event)

    async def pull(self, closure: Closure, on_event: EventSink | None = None, root: str | None = None) -> PullReport:
        return await asyncio.to_thread(self.packages.pull, closure, on_event, root)

    def package_entries(self) -> list[Entry]:
        return self.packages.packages()

    def package_users(self) -> dict[str, list[str]]:
        """Which lambdas' current versions pin each package (NAME==VERSION -> lambda names, sorted)."""
        users: dict[str, list[str]] = {}
        for name in self.registry.names():
            if version := self.registry.current(name):
                for pin in version.closure.pins:
                    users.setdefault(pin.key, []).append(name)
        return {key: sorted(names) for key, names in users.items()}

    async def verify(self) -> list[Corruption]:
        return await asyncio.to_thread(self.packages.verify)

    async def gc(self, keep: Sequence[str] = (), delete: bool = False) -> GcReport:
        return await asyncio.to_thread(self.packages.gc, keep, delete)

    # Locks
    async def lock(self, requirements: str, source: str = "requirements", on_event: EventSink | None = None) -> str:
        """The PEP 751 lock (pylock.toml text) of `requirements`: compiled, then pulled, because a
        lock names the files really installed and the import names read from them."""
        parsed = parse_requirements(requirements.splitlines(), source=source)
        refuse_direct_references(parsed)
        closure = await asyncio.to_thread(self._compile, parsed)
        await asyncio.to_thread(self.packages.pull, closure, on_event)
        return await asyncio.to_thread(self._lock_text, closure, uv_version())

    async def freeze(self, name: str, number: int | None = None) -> str:
        """The exact lock lambda `name` runs (or its kept version `number`): the one stored when it
        was deployed, else (a version deployed before locks) one built from its closure and the
        store's records, without a uv version, which was not recorded."""
        version = self.registry.version(name, number)
        stored = version.lock
        if stored is None:
            return await asyncio.to_thread(self._lock_text, version.closure, None)
        read_lock(version.lock_path)  # one changed since it was stored and no longer valid is refused, named
        return stored

    async def open(self) -> None:
        """Make the sandbox now, not at the first call: making it sweeps away what an engine
        killed with SIGKILL left behind (orphaned sandboxes, their scratch), and it finds out
        early whether this machine can sandbox at all."""
        await asyncio.to_thread(lambda: self.packages.sandbox)

    async def close(self) -> None:
        """Stop every lambda sandbox; the store and registry stay as they are."""
        if self._runtimes:
            await self._runtimes.close()
        self._invocations.close()

    # Internals
    async def _resolved(self, name: str, code: str, requirements: str, settings: LambdaSettings, report: EventSink
                        ) -> tuple[str, Closure, tuple[str, ...], list[MissingImport]]:
        """The requirements (with what auto_install added), their pulled closure, what was
        added, and the imports still missing (each reported as a warning before anything starts)."""
        closure = await self._pulled(name, requirements, report)
        missing = self._missing_imports(code, closure)
        added: tuple[str, ...] = ()
        if missing and settings.auto_install:
            asked = requirement_names(requirements)
            added = tuple(dict.fromkeys(item.distribution for item in missing
                                        if canonicalize_name(item.distribution) not in asked))
        if added:
            requirements = with_added(requirements, added)
            report(PullEvent("resolving", name, message=f"with {', '.join(added)} added for its imports"))
            closure = await self._pulled(name, requirements, report)
            missing = self._missing_imports(code, closure)
        self._warn_missing(name, missing, requirements, report)
        return requirements, closure, added, missing

    @staticmethod
    def _warn_missing(name: str, missing: list[MissingImport], requirements: str, report: EventSink) -> None:
        for item in missing:  # logged too, like every warning: the CLI prints the engine's log
            message = missing_warning(name, item, requirements)
            logger.warning(message)
            report(PullEvent("warning", name, message=message))

    async def _pulled(self, name: str, requirements: str, on_event: EventSink) -> Closure:
        """The requirements compiled, and every package of the closure in the store."""
        parsed = parse_requirements(requirements.splitlines(), source=f"requirements of lambda {name!r}")
        closure = await asyncio.to_thread(self._compile, parsed)
        await asyncio.to_thread(self.packages.pull, closure, on_event)
        return closure

    def _missing_imports(self, code: str, closure: Closure) -> list[MissingImport]:
        """The code's imports that no package of the (pulled) closure provides."""
        provided = [name for pin in closure.pins if (entry := self.packages.store.get(pin.key))
                    for name in entry.metadata.import_names]
        return missing_imports(code, provided, self._known_packages())

    async def _started(self, name: str, code: str, requirements: str, closure: Closure, settings: LambdaSettings,
                       report: EventSink) -> LambdaVersion:
        """Stage a version, import its handler in a fresh sandbox, make it current; on any
        failure, discard it (a handler that fails to import says what to add)."""
        lock = await asyncio.to_thread(self._deploy_lock, name, closure)
        version = self.registry.stage(name, code, requirements, closure, settings, lock=lock)
        report(PullEvent("starting", name, message=f"version {version.number}"))
        spec: LambdaSpec | None = None
        try:
            spec = await asyncio.to_thread(self._spec_of, version)  # checks the packages' files
            await self.runtimes.start(spec)
            self.registry.activate(version)
            self._specs[name] = (self._current_target(name), spec, version.number)
        except BaseException as error:  # an import error, a refused spec, a cancelled request alike
            if spec is not None and self._runtimes is not None:
                self._runtimes.discard(spec)
            self.registry.discard(version)
            if isinstance(error, LambdaStartError):
                raise hinted_start_error(error, requirements, closure, self._distribution_for) from None
            raise
        self._keep_packages(name)
        report(PullEvent("deployed", name, message=f"version {version.number}"))
        return version

    def _lock_text(self, closure: Closure, uv: str | None) -> str:
        return self.packages.lock(closure, uv)

    def _deploy_lock(self, name: str, closure: Closure) -> str | None:
        """The lock a new version stores; None, with a warning, when it cannot be locked truly
        (the deploy goes on: `freeze` then says why)."""
        try:
            return self._lock_text(closure, uv_version())
        except LockError as error:
            logger.warning("lambda %r is deployed without a lock: %s", name, error)
            return None

    def _distribution_for(self, module: str) -> str:
        return distribution_for(module, self._known_packages())

    def _known_packages(self) -> Iterator[EntryMetadata]:
        """What the store records of every package in it: the first answer to "what provides X"
        (a generator: the store is read only if it is asked)."""
        for entry in self.packages.packages():
            yield entry.metadata

    def _compile(self, requirements: Sequence) -> Closure:
        if requirements:
            return self.packages.compile(requirements)
        runtime = self.packages.runtime
        return Closure((), (), runtime.id, runtime.version, self.settings.index.label)

    def _current_target(self, name: str) -> str:
        """Where `current` points (one readlink: the hot path's only file system call)."""
        link = self._current_links.get(name)
        if link is None:  # the path as a string, once: building it costs more than the readlink
            link = self._current_links[name] = str(self.registry.root / validate_name(name) / "current")
        try:
            return os.readlink(link)
        except FileNotFoundError:
            self.registry.require(name)  # raises the clear error
            raise

    def _cached_spec(self, name: str) -> tuple[LambdaSpec, int] | None:
        """The runtime spec of the current version if `current` has not changed since it was made."""
        cached = self._specs.get(name)
        if cached and cached[0] == self._current_target(name):
            return cached[1], cached[2]
        return None

    def _load_spec(self, name: str) -> tuple[LambdaSpec, int]:
        """Read the current version and make its spec, checking its packages (blocking)."""
        target = self._current_target(name)
        version = self.registry.require(name)
        spec = self._spec_of(version)
        self._specs[name] = (target, spec, version.number)
        return spec, version.number

    def _spec_of(self, version: LambdaVersion) -> LambdaSpec:
        self.packages.check_entries(pin.key for pin in version.closure.pins)  # refuse tampered packages
        settings = version.settings
        return LambdaSpec(
            name=version.name,
            version=version.id,
            code_dir=version.path,
            packages=tuple((pin.key, self.packages.store.files_dir(pin.key)) for pin in version.closure.pins),
            python=self.packages.runtime.python,
            timeout=settings.timeout,
            memory=settings.memory,
            processes=settings.processes,
            network=settings.network,
            env=dict(settings.env),
            instances=settings.instances,
            queue=settings.queue,
        )

    def _summary(self, version: LambdaVersion) -> dict[str, Any]:
        """What lists show: the current version, and what the runtime is doing (`serving`: the
        version id of the running sandbox, which lags `version` until the next call after a change)."""
        state = self._runtimes.state(version.name) if self._runtimes else NEVER_STARTED
        return {
            "name": version.name,
            "version": version.number,
            "created_at": version.created_at,
            "requirements": version.requirements,
            "pins": [pin.key for pin in version.closure.pins],
            "settings": version.settings.to_dict(),
            "state": state["state"],
            "instances": state["instances"],
            "serving": state["version"],
            "last_latency": state["last_latency"],
            "last_invocation": asdict(last) if (last := self._invocations.last(version.name)) else None,
        }

    def _keep_packages(self, name: str) -> None:
        """gc keeps the packages of every kept version, so a rollback never needs a pull."""
        keys = {pin.key for version in self.registry.history(name) for pin in version.closure.pins}
        self.packages.store.set_root(_root_name(name), keys)


def _ignore(event: PullEvent) -> None:
    pass


def _root_name(name: str) -> str:
    return f"lambda-{name}"
