"""Fill the store for a closure: download, install each missing package in a sandbox, publish.

Each package is installed alone (`--no-deps`) into its own staging directory, so one entry
serves every lambda that pins that version. Downloads run in this process (they execute no
package code), only from URLs of the configured index or mirror (index/origins.py: a closure
may be hand-made), and are checked against the closure's sha256; installs run uv in a sandbox
with no network, sdist builds in a sandbox with network only when the index is remote.
Entries are locked across processes, so two pulls of one package install it once.

Wheels ready at about the same time are installed together: one sandbox, one uv run into a
shared directory, then each distribution's files move to its own staging directory (install/).
Only wheels that write no path in common are batched, and every entry is still published on its
own, checked against its wheel's RECORD. A batch uv refuses is installed again one wheel at a
time, so each failure names its package.

Which sandbox may write what (the store's entries share inodes with `work/uv-cache`):
- a wheel install gets `work/` writable, uv's cache included, and hard-links from it: the fast
  path. That is safe because no package code runs there: uv unpacks the wheel (`--no-deps
  --offline --no-index`, one local file) and `--compile-bytecode` only compiles its sources,
  it does not execute them; the files then land in a staging directory that publish verifies
  against RECORD, held to the RECORD inside the wheel (whose sha256 was checked), and freezes.
- an sdist build runs the package's own build backend, so it sees the sdist read-only and
  writes nothing of the host's: its output and a private uv cache live in its own sized /tmp,
  and the wheel comes back as a tar stream on stdout (build_output.py), bounded by the disk
  limit; it is then installed like any other.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.build_output import BuildFailed, BuildOutputError, build_wheel_in_sandbox
from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig, Runtime, download, uv_binary
from ol_notebook.index.download import copy_into_cache
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.index.uv import UV_COMMON_FLAGS, uv_sandbox_spec
from ol_notebook.install import ArchiveMemo, Batcher, SplitError, split_target
from ol_notebook.resolve import Artifact, Closure, Pin, check_closure
from ol_notebook.sandbox import Bind, Limits, Sandbox, SandboxError
from ol_notebook.sandbox.disk import remove_tree
from ol_notebook.store import Entry, EntryMetadata, Store
from ol_notebook.wheel_archive import WheelArchive

DEFAULT_LIMITS = Limits(timeout=900.0, memory=4 << 30, processes=512, disk=8 << 30)
IN_FLIGHT = 64  # pins handled at once: each holds its entry's lock and may wait in a batch
# Publishes at once. A warm publish is Python holding the GIL between lstats: fifteen threads at once
# spend their time handing it around (a warm pull's publishes took 0.14 s so, 0.09 s one at a time);
# a cold one mostly hashes, which runs on every core (0.30 s two at a time, 0.41 s one at a time).
# One per core served both best on 2 cores; more than 4 would only hand the GIL around again.
PUBLISHERS = min(os.cpu_count() or 1, 4)


class InstallError(OLError):
    """One package could not be installed; the message names it and says why."""


class PullError(OLError):
    """Some packages of a closure failed; the others were installed and stay in the store."""

    def __init__(self, failures: dict[str, OLError]):
        self.failures = failures
        lines = [f"  {key}: {error}" for key, error in sorted(failures.items())]
        super().__init__(f"{len(failures)} package(s) could not be installed:\n" + "\n".join(lines))


@dataclass(frozen=True)
class PullEvent:
    """Progress of one package: queued, downloading, building, installing, done or failed."""

    kind: str
    key: str
    bytes_done: int = 0
    bytes_total: int | None = None
    seconds: float = 0.0
    message: str = ""


@dataclass
class PullReport:
    installed: list[str] = field(default_factory=list)
    hits: list[str] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    seconds: float = 0.0


EventSink = Callable[[PullEvent], None]


class Puller:
    """Installs closures into one store for one runtime."""

    def __init__(
        self,
        store: Store,
        sandbox: Sandbox,
        index: IndexConfig,
        runtime: Runtime,
        limits: Limits = DEFAULT_LIMITS,
        concurrency: int = 4,
        compile_bytecode: bool = True,
    ):
        self.store = store
        self.sandbox = sandbox
        self.index = index
        self.runtime = runtime
        self.limits = limits
        self.concurrency = max(1, concurrency)
        self.compile_bytecode = compile_bytecode
        self.archives = ArchiveMemo(store.archives_dir)

    def pull(self, closure: Closure, on_event: EventSink | None = None, check: bool = True) -> PullReport:
        """Make every pin of the closure present in the store, then check the closure is closed."""
        if closure.runtime_id != self.runtime.id:
            raise InstallError(
                f"this closure was compiled for {closure.runtime_id}, but the store serves {self.runtime.id}; "
                "compile it again for this runtime"
            )
        started = time.perf_counter()
        emit = serialized(on_event)
        report = PullReport()
        missing = [pin for pin in closure.pins if not self.store.has(pin.key)]
        report.hits = [pin.key for pin in closure.pins if pin not in missing]
        for pin in missing:  # before any download: a hand-made closure may name any URL
            self._check_origin(pin, _choose(pin, self.runtime))
        for pin in missing:
            emit(PullEvent("queued", pin.key, bytes_total=_choose(pin, self.runtime).size))
        failures: dict[str, OLError] = {}
        if missing:
            batcher = Batcher(functools.partial(self._install_batch, emit), len(missing), _fits)
            turns = Throttles(transfers=threading.Semaphore(self.concurrency),
                               publishes=threading.Semaphore(PUBLISHERS))
            with ThreadPoolExecutor(max_workers=min(IN_FLIGHT, len(missing))) as pool:
                outcomes = {pin.key: pool.submit(self._install_one, pin, emit, batcher, turns) for pin in missing}
            for key, outcome in outcomes.items():
                error = outcome.exception()
                if error is None:
                    installed = outcome.result()
                    (report.installed if installed else report.hits).append(key)
                elif isinstance(error, OLError):
                    failures[key] = error
                else:
                    raise error
        if failures:
            raise PullError(failures)
        for pin in closure.pins:
            entry = self.store.get(pin.key)
            assert entry is not None, pin.key
            report.entries[pin.key] = entry
        if check:
            self.check(closure, report.entries)
        report.seconds = time.perf_counter() - started
        return report

    def check(self, closure: Closure, entries: dict[str, Entry]) -> None:
        """Every Requires-Dist of every pin, for this runtime, is met by the pins."""
        check_closure(
            closure.requirements,
            pins={canonicalize_name(pin.name): pin.version for pin in closure.pins},
            requires={canonicalize_name(pin.name): entries[pin.key].metadata.requires_dist for pin in closure.pins},
            environment=self.runtime.environment,
        )

    # One package
    def _install_one(self, pin: Pin, emit: EventSink, batcher: Batcher[WheelJob], turns: Throttles) -> bool:
        """Install and publish one pin; False when another process published it meanwhile."""
        artifact = _choose(pin, self.runtime)
        submitted = False
        try:
            with self.store.install_lock(pin.key):
                if self.store.has(pin.key):
                    emit(PullEvent("done", pin.key, message="installed by another pull"))
                    return False
                started = time.perf_counter()
                staging = self.store.new_staging(pin.key)
                try:
                    with turns.transfers:
                        wheel = self._fetch(pin, artifact, emit)
                        built = None
                        if not artifact.is_wheel:
                            emit(PullEvent("building", pin.key))
                            wheel = built = self._build(pin, wheel)
                    archive = self.archives.read(wheel, None if built else artifact.sha256)
                    if archive.problem:
                        raise InstallError(f"{pin.name} {pin.version}: refusing {wheel.name}: {archive.problem}")
                    _check_unpacked_size(pin, archive.unpacked_size, self.limits.disk)
                    submitted = True
                    batcher.submit(WheelJob(pin, wheel, archive, staging))
                    with turns.publishes:
                        entry = self._publish(pin, artifact, staging, archive, built, started)
                except BaseException as error:
                    remove_tree(staging)
                    if isinstance(error, OLError):
                        emit(PullEvent("failed", pin.key, message=str(error)))
                    raise
        finally:
            if not submitted:
                batcher.withdraw()
        emit(PullEvent("done", pin.key, bytes_done=entry.metadata.size, seconds=entry.metadata.install_seconds))
        return True

    def _publish(self, pin: Pin, artifact: Artifact, staging: Path, archive: WheelArchive, built: Path | None,
                 started: float) -> Entry:
        return self.store.publish(pin.key, staging, EntryMetadata(
            name=pin.name,
            version=pin.version,
            filename=artifact.filename,
            url=artifact.url,
            sha256=artifact.sha256,
            index=pin.index,
            installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            install_seconds=round(time.perf_counter() - started, 4),
            built_wheel=built.name if built else None,
        ), archive.record)

    def _check_origin(self, pin: Pin, artifact: Artifact) -> None:
        if problem := artifact_url_problem(self.index, artifact.url):
            raise InstallError(f"{pin.name} {pin.version}: refusing to download {artifact.url}: {problem}")

    def _fetch(self, pin: Pin, artifact: Artifact, emit: EventSink) -> Path:
        last = [0]

        def progress(done: int) -> None:
            if done - last[0] >= 1 << 20:
                last[0] = done
                emit(PullEvent("downloading", pin.key, bytes_done=done, bytes_total=artifact.size))

        emit(PullEvent("downloading", pin.key, bytes_total=artifact.size))
        return download(artifact.url, artifact.sha256, artifact.filename, self.store.downloads_dir, progress)

    def _build(self, pin: Pin, sdist: Path) -> Path:
        """Build a wheel from an sdist; this runs the package's own code, hence the sandbox, which
        writes no host directory at all (see build_output); the wheel joins the download cache."""
        out = self.store.new_staging(pin.key)
        try:
            wheel, digest = build_wheel_in_sandbox(
                sdist, out, python=self.runtime.python, index=self.index, sandbox=self.sandbox, limits=self.limits,
                what=f"building {pin.name} {pin.version}")
            return copy_into_cache(wheel, digest, self.store.downloads_dir)
        except (BuildFailed, BuildOutputError) as error:  # chained to the sandbox's verdict when it stopped it
            raise InstallError(str(error)) from (error.__cause__ or error)
        finally:
            remove_tree(out)

    def _install_batch(self, emit: EventSink, jobs: list[WheelJob]) -> list[OLError | None]:
        """Install every job's wheel with one uv run in one sandbox (see the module's docstring)."""
        for job in jobs:
            emit(PullEvent("installing", job.pin.key))
        if len(jobs) > 1:
            shared = jobs[0].staging / "shared"  # removed with that entry's staging debris if we die
            try:
                self._install_wheels(jobs, shared)
                split_target(shared, {canonicalize_name(job.pin.name): job.files for job in jobs})
                return [None] * len(jobs)
            except (InstallError, SplitError, OSError):  # which one: each alone, so every failure names its package
                for job in jobs:
                    remove_tree(job.files)
            finally:
                remove_tree(shared)
        return [self._install_alone(job) for job in jobs]

    def _install_alone(self, job: WheelJob) -> OLError | None:
        try:
            self._install_wheels([job], job.files)
        except InstallError as error:
            return error
        return None

    def _install_wheels(self, jobs: list[WheelJob], target: Path) -> None:
        """Install wheels with uv into `target`, hard-linking from uv's cache (see Store: one bind for both).

        No package code runs here (see the module's docstring), which is what makes it safe to
        mount the cache that published entries share inodes with writable; for the same reason
        the work directory's growth is not metered: each wheel's declared unpacked size was
        checked against the disk limit, and every file is capped.
        """
        argv = [
            uv_binary(), "pip", "install", *UV_COMMON_FLAGS, "--no-deps", "--offline", "--no-index",
            "--target", str(target), "--cache-dir", str(self.store.uv_cache_dir),
            "--python", self.runtime.python, "--link-mode", "hardlink", "--quiet",
            *(["--compile-bytecode"] if self.compile_bytecode else []), *(str(job.wheel) for job in jobs),
        ]
        work = Bind(self.store.work_dir, writable=True, count_disk=False)
        what = (f"{jobs[0].pin.name} {jobs[0].pin.version}" if len(jobs) == 1
                else f"{len(jobs)} packages ({', '.join(job.pin.name for job in jobs)})")
        self._install(what, argv, [*(Bind(job.wheel) for job in jobs), work])
        (target / ".lock").unlink(missing_ok=True)  # uv's lock on the target, not part of any package

    def _install(self, what: str, argv: list[str], binds: list[Bind]) -> None:
        """Run uv's install in a sandbox with no network; InstallError naming `what` if it fails."""
        spec = uv_sandbox_spec(argv, self.index, binds, fetches=False, cwd="/tmp", limits=self.limits)
        try:
            result = self.sandbox.run(spec)
        except SandboxError as error:
            raise InstallError(f"installing {what} was stopped: {error}") from error
        if result.returncode != 0:
            tail = result.stderr.decode(errors="replace").strip()[-2000:]
            raise InstallError(f"installing {what} failed (exit {result.returncode}):\n{tail}")


@dataclass(frozen=True)
class Throttles:
    """What one pull's threads take turns at: downloads and builds (`--jobs`), and publishes."""

    transfers: threading.Semaphore
    publishes: threading.Semaphore


@dataclass(frozen=True)
class WheelJob:
    """A checked wheel waiting for its batch: it installs into `staging`/files."""

    pin: Pin
    wheel: Path
    archive: WheelArchive
    staging: Path

    @property
    def files(self) -> Path:
        return self.staging / "files"


def _fits(batch: list[WheelJob], job: WheelJob) -> bool:
    """A wheel joins a batch only if it writes no path any wheel of the batch writes."""
    return all(job.archive.target_paths.isdisjoint(other.archive.target_paths) for other in batch)



def _choose(pin: Pin, runtime: Runtime) -> Artifact:
    """The best-ranked wheel for the runtime, else the sdist."""
    if chosen := pin.best_wheel(runtime.wheel_rank) or pin.sdist:
        return chosen
    offered = ", ".join(wheel.filename for wheel in pin.wheels) or "none"
    raise InstallError(
        f"{pin.name} {pin.version} has no wheel for {runtime.id} (offered: {offered}) and no sdist to build"
    )


def _check_unpacked_size(pin: Pin, size: int, limit: int | None) -> None:
    """Refuse a wheel whose declared unpacked size exceeds the disk limit before unpacking it."""
    if limit is not None and size > limit:
        raise InstallError(
            f"{pin.name} {pin.version} unpacks to {size:,} bytes, over the install disk limit of {limit:,} bytes; "
            "raise the disk limit to install it"
        )


def serialized(sink: EventSink | None) -> EventSink:
    """Events come from worker threads; deliver them one at a time."""
    lock = threading.Lock()

    def emit(event: PullEvent) -> None:
        if sink is not None:
            with lock:
                sink(event)

    return emit
