"""Compile requirements to a closure with `uv pip compile`, run inside a sandbox.

Resolving can build an sdist to read its metadata, which runs package code, so uv runs in
the sandbox like every install does. The requirements go in on stdin and uv's PEP 751 lock,
which already carries every file's URL, size and sha256, comes out on stdout into a host file
of ours, bounded by the disk limit: the resolve writes no host directory but its cache. We read
the lock into the typed `Closure`.

The cache it gets writable (`uv_cache`) must be one no store entry shares an inode with: the
store's resolve cache, never uv's install cache, whose files are hard-linked into every entry
(a metadata build could otherwise rewrite installed packages). The resolve cache is shared
between resolves, so a hostile metadata build can still rewrite what later resolves read from
it (index pages, other sdists' metadata) and steer their pins to other files of the same
index: pulls fetch only the configured index's URLs and check each file's sha256, but not
which file a page named. A fresh cache per resolve would close that too, at the price of a
cold resolve every time (measured here, requests+pandas+scikit-learn from a local mirror:
4.1 s against 0.24 s warm).
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from packaging.markers import Marker
from packaging.requirements import Requirement

from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig, Runtime, uv_binary
from ol_notebook.index.uv import UV_COMMON_FLAGS, uv_sandbox_spec
from ol_notebook.resolve.model import Artifact, Closure, Pin
from ol_notebook.sandbox import Bind, Limits, Sandbox

RESOLVE_DIR = "/tmp"  # uv's working directory inside the sandbox (a tmpfs)


class ResolveError(OLError):
    """uv could not resolve the requirements; the message carries uv's explanation."""


class PackageNotFound(ResolveError):
    """No package of that name on the index or mirror."""


class VersionNotFound(ResolveError):
    """The package exists, but no version matches."""


class ConflictError(ResolveError):
    """The requirements contradict each other."""


class IndexUnreachable(ResolveError):
    """The index could not be reached at all."""


def compile_requirements(
    requirements: Sequence[Requirement | str],
    *,
    index: IndexConfig,
    runtime: Runtime,
    sandbox: Sandbox,
    uv_cache: Path,
    limits: Limits,
) -> Closure:
    """Resolve to a full pinned closure for `runtime`, with hashes, from exactly `index`.

    `uv_cache` is mounted writable in a sandbox that may run package code: never give it a
    cache whose files are linked anywhere else (see the module's docstring).
    """
    texts = requirement_texts(requirements)
    run = run_uv_compile(texts, ["--python", runtime.python], index=index, sandbox=sandbox, uv_cache=uv_cache,
                         limits=limits)
    if run.lock is None:
        raise classify_failure(run.stderr, index)
    return Closure(requirements=texts, pins=pins_from_lock(run.lock, index.label), runtime_id=runtime.id,
                   python_version=runtime.version, index=index.label)


def requirement_texts(requirements: Sequence[Requirement | str]) -> tuple[str, ...]:
    """The requirements as uv reads them; none at all is an error that says what to give."""
    texts = tuple(str(requirement) for requirement in requirements)
    if not texts:
        raise ResolveError("no requirements given: name at least one package, e.g. requests==2.20")
    return texts


class CompileRun(NamedTuple):
    """One `uv pip compile`: its parsed PEP 751 lock, or None when it failed (then `stderr` says why)."""

    lock: dict | None
    stderr: str


def run_uv_compile(texts: Sequence[str], target_args: Sequence[str], *, index: IndexConfig, sandbox: Sandbox,
                   uv_cache: Path, limits: Limits) -> CompileRun:
    """`uv pip compile` of `texts` in a sandbox, for the interpreter or target `target_args` name
    (`--python X`, or `--python-version/--python-platform` and resolution flags)."""
    argv = [
        uv_binary(), "pip", "compile", *UV_COMMON_FLAGS, "-", "--format", "pylock.toml", "--generate-hashes",
        "--no-header", "--quiet", *target_args, "--cache-dir", str(uv_cache), *index.uv_args(),
    ]
    # The requirements go in on stdin and the lock comes out on stdout: no host work directory.
    with tempfile.TemporaryFile(prefix="ol-compile-") as lock_file:
        spec = uv_sandbox_spec(argv, index, [Bind(uv_cache, writable=True, count_disk=False)], fetches=True,
                               cwd=RESOLVE_DIR, limits=limits)
        result = sandbox.run(spec, stdin=("\n".join(texts) + "\n").encode(), stdout=lock_file)
        stderr = result.stderr.decode(errors="replace")
        if result.returncode != 0:
            return CompileRun(None, stderr)
        lock_file.seek(0)
        try:
            return CompileRun(tomllib.load(lock_file), stderr)
        except tomllib.TOMLDecodeError as error:
            raise ResolveError(f"uv wrote no readable lock for {', '.join(texts)}: {error}") from error


def pins_from_lock(lock: dict, index: str, environment: Mapping[str, str] | None = None) -> tuple[Pin, ...]:
    """uv's lock as pins; with `environment`, only the packages whose `marker` holds there."""
    packages = lock.get("packages", ())
    if environment is not None:
        packages = [package for package in packages
                    if "marker" not in package or Marker(package["marker"]).evaluate(dict(environment))]
    return tuple(_pin(package, index) for package in packages)


def _pin(package: dict, index: str) -> Pin:
    sdist = package.get("sdist")
    return Pin(
        name=package["name"],
        version=package["version"],
        index=index,
        wheels=tuple(_artifact(wheel) for wheel in package.get("wheels", ())),
        sdist=_artifact(sdist) if sdist else None,
    )


def _artifact(entry: dict) -> Artifact:
    """A lock file entry; local files come as `path` (relative to where uv ran), remote as `url`."""
    location = entry["url"] if "url" in entry else Path(os.path.normpath(Path(RESOLVE_DIR, entry["path"]))).as_uri()
    filename = entry.get("name") or location.rsplit("/", 1)[-1]
    return Artifact(filename=filename, url=location, sha256=entry["hashes"]["sha256"], size=entry.get("size"))


_NOT_FOUND = re.compile(r"Because (\S+) was not found in the (?:package registry|provided package locations)")
_NO_VERSION = re.compile(
    r"there is no version of (\S+?)(?: and|,|$)|Because only (\S+) is available and you require (\S+?),"
)
_INVALID_FILE = re.compile(r"Because (\S+) has an invalid package format")
_UNREACHABLE = ("Failed to fetch", "tcp connect error", "dns error", "error sending request")


def classify_failure(stderr: str, index: IndexConfig) -> ResolveError:
    """Turn uv's report into an error that names the culprit and where we looked."""
    explanation = "\n".join(line.strip() for line in stderr.strip().splitlines() if line.strip())
    if match := _NOT_FOUND.search(stderr):
        name = match.group(1)
        fallback = "; there is no fallback to PyPI" if index.is_mirror else ""
        return PackageNotFound(f"package {name!r} was not found on {index.describe()}{fallback}"
                               + _how_to_add(index, name))
    if match := _NO_VERSION.search(stderr):
        if match.group(1):
            return VersionNotFound(f"no version of {match.group(1)} exists on {index.describe()}"
                                   + _how_to_add(index, match.group(1)))
        return VersionNotFound(
            f"you require {match.group(3)}, but only {match.group(2)} is available on {index.describe()}"
            + _how_to_add(index, match.group(3))
        )
    if match := _INVALID_FILE.search(stderr):
        return ResolveError(f"a file of {match.group(1)} on {index.describe()} is not a valid distribution: it "
                            f"was damaged or replaced{_how_to_repair(index)}:\n{explanation}")
    if any(marker in stderr for marker in _UNREACHABLE):
        return IndexUnreachable(f"cannot reach {index.describe()}:\n{explanation}")
    if "unsatisfiable" in stderr or "incompatible" in stderr:
        return ConflictError(f"the requirements conflict:\n{explanation}")
    return ResolveError(f"uv could not resolve the requirements:\n{explanation}")


def _how_to_add(index: IndexConfig, name: str) -> str:
    hint = index.how_to_add(name)
    return f"; {hint}" if hint else ""


def _how_to_repair(index: IndexConfig) -> str:
    if index.kind != "bandersnatch":
        return ""
    return (f"; `ol-notebook mirror {index.location} --lock pylock.toml` with the lock it came from re-hashes "
            "and replaces what changed")
