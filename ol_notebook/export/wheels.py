"""A lambda's requirements as one checked wheel per package for a foreign target.

Resolve for the target (resolve.py), then per pin: the best wheel by `Target.wheel_rank`,
downloaded into the shared content-addressed cache (sha256 and size checked, only URLs of the
configured index); else its sdist, built into a `py3-none-any` wheel (build.py). Every package
that cannot be had is collected and reported together (MissingPackages): none is left out
silently. A warm export downloads and builds nothing: files come from `ExportCaches.downloads`,
built wheels from `ExportCaches.built`, and uv's index pages from `ExportCaches.resolve`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ol_notebook.export.build import Built, build_for_target
from ol_notebook.export.model import ExportCaches, ExportError, MissingPackage, MissingPackages, TargetWheel
from ol_notebook.export.resolve import resolve_for_target
from ol_notebook.export.target import Target
from ol_notebook.index import DownloadError, IndexConfig, Runtime, download
from ol_notebook.index.core_metadata import requires_python_of
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.puller import EventSink, PullEvent, serialized
from ol_notebook.resolve import Artifact, Closure, Pin
from ol_notebook.sandbox import Limits, Sandbox

DOWNLOADS = 8  # files fetched at once


def wheels_for_target(requirements: Sequence[str], target: Target, *, index: IndexConfig, sandbox: Sandbox,
                      caches: ExportCaches, limits: Limits, on_event: EventSink | None = None
                      ) -> tuple[Closure, tuple[TargetWheel, ...]]:
    """The closure of `requirements` resolved for `target`, and a local wheel for each of its pins.

    ExportError when a file is not the configured index's or fails its sha256 or size; MissingPackages
    naming every package with no wheel for the target (and why, and what to do). The wheels' members
    are checked where a bundle reads them (unpack.package_files).
    """
    emit = serialized(on_event)
    host = Runtime.current()
    caches.resolve.mkdir(parents=True, exist_ok=True)  # bound into uv's sandbox, so it must exist
    emit(PullEvent("resolving", target.key, message=f"resolving {', '.join(requirements)} for {target.label}"))
    closure, unresolvable = resolve_for_target(requirements, target, index=index, host=host, sandbox=sandbox,
                                               uv_cache=caches.resolve, limits=limits)
    if closure is None:
        raise MissingPackages(target.label, unresolvable)
    for pin in closure.pins:  # before anything is fetched: every file must be the index's own
        for artifact in pin.artifacts:
            if problem := artifact_url_problem(index, artifact.url):
                raise ExportError(f"{pin.name} {pin.version}: refusing to download {artifact.url}: {problem}")
    sources = {pin.key: _source(pin, target) for pin in closure.pins}
    fetch = [(pin, source) for pin in closure.pins if isinstance(source := sources[pin.key], Artifact)]
    with ThreadPoolExecutor(max_workers=DOWNLOADS) as pool:  # the network is the slow part of a cold export
        paths = dict(zip((pin.key for pin, _ in fetch),
                         pool.map(lambda item: _download(*item, caches.downloads, emit), fetch), strict=True))
    wheels: list[TargetWheel] = []
    missing = list(unresolvable)
    for pin in closure.pins:
        source = sources[pin.key]
        got = source if isinstance(source, MissingPackage) else _wheel_for(
            pin, source, paths[pin.key], target, index=index, host=host, sandbox=sandbox, caches=caches,
            limits=limits, emit=emit)
        (missing if isinstance(got, MissingPackage) else wheels).append(got)
    if missing:
        raise MissingPackages(target.label, tuple(missing))
    emit(PullEvent("done", target.key, message=f"{len(wheels)} wheel(s) for {target.label}"))
    return closure, tuple(wheels)


def _source(pin: Pin, target: Target) -> Artifact | MissingPackage:
    """The file to fetch for `pin`: its best wheel for the target, else its sdist."""
    source = pin.best_wheel(target.wheel_rank) or pin.sdist
    if source is None:
        offered = ", ".join(artifact.filename for artifact in pin.wheels) or "none"
        return MissingPackage(pin.name, pin.version, f"no wheel for {target.manylinux} (offered: {offered}) and no "
                              "sdist", f"pin a version with a wheel for {target.manylinux}")
    return source


def _wheel_for(pin: Pin, source: Artifact, path: Path, target: Target, *, index: IndexConfig, host: Runtime,
               sandbox: Sandbox, caches: ExportCaches, limits: Limits, emit: EventSink) -> TargetWheel | MissingPackage:
    """The downloaded wheel, checked, or one built from the downloaded sdist."""
    built: Built | MissingPackage | None = None
    if not source.is_wheel:
        built = build_for_target(pin, path, target, index=index, host=host, sandbox=sandbox, built_dir=caches.built,
                                 limits=limits, on_build=lambda mode: emit(PullEvent("building", pin.key,
                                                                                     message=mode)))
        if isinstance(built, MissingPackage):
            emit(PullEvent("warning", pin.key, message=f"{pin.name} {pin.version}: {built.reason}"))
            return built
        path = built.wheel
    emit(PullEvent("done", pin.key, message=path.name))
    return TargetWheel(name=pin.name, version=pin.version, index=pin.index, source=source, wheel=path,
                       built=built.mode if built else None, requires_python=requires_python_of(path))


def _download(pin: Pin, artifact: Artifact, cache: Path, emit: EventSink) -> Path:
    """The file from the cache, or fetched into it; a `downloading` event only when bytes move."""
    started = threading.Event()

    def progress(done: int) -> None:
        if not started.is_set():
            started.set()
            emit(PullEvent("downloading", pin.key, bytes_done=done, bytes_total=artifact.size))

    try:
        return download(artifact.url, artifact.sha256, artifact.filename, cache, progress, size=artifact.size)
    except DownloadError as error:
        raise ExportError(f"{pin.name} {pin.version}: {error}") from error
