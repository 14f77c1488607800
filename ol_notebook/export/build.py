"""An sdist with no wheel for the target, built into one it can run, or why that cannot be.

The host's Python builds it (no target Python is needed), so only a `py3-none-any` result can
be trusted to run on the target. A first build with the C compiler that yields anything else is
refused and the sdist is built again with the compiler made unavailable (hidden in the sandbox,
CC/CXX set to a command that fails): packages whose C part is an optional speed-up then fall
back to pure Python. If that fails too, or still gives a platform wheel, the package is missing.

Builds run package code: each one in a sandbox that sees only the sdist, writes no host
directory (build_output's tar stream), has network only when the index is remote, and the wheel
it hands back must be named for the package and version it was built for. Outcomes are cached in
`ExportCaches.built` by sdist sha256, target and mode (the wheel, or that the build gave a
platform wheel), so a warm export builds nothing; failures are not cached: they may be passing.
A build stopped at a sandbox limit is an ExportError, not a missing package: building it again
without a compiler would only hit the limit twice.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from ol_notebook.build_output import BuildFailed, BuildOutputError, BuildStopped, build_wheel_in_sandbox
from ol_notebook.export.model import ExportError, MissingPackage
from ol_notebook.export.target import Target
from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.resolve import Pin
from ol_notebook.sandbox import Limits, Sandbox

WITH_COMPILER = "sdist"
NO_COMPILER = "sdist, no C compiler"
_MODE_DIRS = {WITH_COMPILER: "with-compiler", NO_COMPILER: "no-compiler"}
REFUSED = "REFUSED"  # in a mode's cache directory: the build gave this platform wheel

# Where C/C++ compilers live, by the names build tools call them; their real files are hidden, so
# every alias (cc -> /etc/alternatives/cc -> gcc -> gcc-12 -> x86_64-linux-gnu-gcc-12) goes too.
BIN_DIRS = ("/usr/bin", "/usr/local/bin")
COMPILER_NAMES = ("cc", "c++", "gcc", "g++", "clang", "clang++", "cpp", "c89", "c99", "c89-gcc", "c99-gcc", "tcc")
COMPILER_GLOBS = ("gcc-*", "g++-*", "clang-*", "clang++-*", "*-linux-gnu-gcc*", "*-linux-gnu-g++*",
                  "*-linux-gnu-c++", "*-linux-gnu-cpp*")
# gcc's own passes (cc1, cc1plus, collect2): a compiler driver smuggled in some other way finds none.
COMPILER_DIRS = ("/usr/lib/gcc", "/usr/libexec/gcc")
NO_COMPILER_ENV = {"CC": "/bin/false", "CXX": "/bin/false"}


@dataclass(frozen=True)
class Built:
    """A wheel built from a pin's sdist, cached, and how (WITH_COMPILER or NO_COMPILER)."""

    wheel: Path
    mode: str


def compiler_paths() -> tuple[str, ...]:
    """Every C/C++ compiler on this host (real paths) and gcc's pass directories, to hide."""
    found: set[str] = set()
    for directory in BIN_DIRS:
        names = [os.path.join(directory, name) for name in COMPILER_NAMES]
        names += [path for pattern in COMPILER_GLOBS for path in glob.glob(os.path.join(directory, pattern))]
        found.update(os.path.realpath(path) for path in names if os.path.exists(path))
    found.update(directory for directory in COMPILER_DIRS if os.path.isdir(directory))
    return tuple(sorted(found))


def build_for_target(pin: Pin, sdist: Path, target: Target, *, index: IndexConfig, host: Runtime,
                     sandbox: Sandbox, built_dir: Path, limits: Limits,
                     on_build: Callable[[str], None] | None = None) -> Built | MissingPackage:
    """A `py3-none-any` wheel of `pin` from its sdist (cached), or what is missing and why.
    `on_build(mode)` is called before each real build (none when the cache answers)."""
    assert pin.sdist is not None
    outcomes: list[str] = []
    for mode in (WITH_COMPILER, NO_COMPILER):
        place = built_dir / pin.sdist.sha256 / target.key / _MODE_DIRS[mode]
        cached = _cached(place)
        if isinstance(cached, Path):
            return Built(cached, mode)
        if cached is None:
            if on_build:
                on_build(mode)
            cached = _build(pin, sdist, target, mode, place, index=index, host=host, sandbox=sandbox, limits=limits)
            if isinstance(cached, Path):
                return Built(cached, mode)
        outcomes.append(f"{'built' if mode == WITH_COMPILER else 'without a C compiler'}: {cached}")
    return MissingPackage(
        name=pin.name,
        version=pin.version,
        reason=f"no wheel for {target.manylinux} on the index, and its sdist gives no py3-none-any wheel ("
               + "; ".join(outcomes) + ")",
        hint=f"pin a version with a wheel for {target.manylinux}, or build a wheel for it yourself (on "
             f"{target.machine} with glibc {target.glibc[0]}.{target.glibc[1]} and Python {target.python_minor}) "
             "and add it to a mirror",
    )


def _cached(place: Path) -> Path | str | None:
    """The cached wheel, the reason a build was refused, or None when this mode was never built."""
    if (place / REFUSED).is_file():
        return (place / REFUSED).read_text(encoding="utf-8")
    wheels = sorted(place.glob("*.whl")) if place.is_dir() else []
    return wheels[0] if wheels else None


def _build(pin: Pin, sdist: Path, target: Target, mode: str, place: Path, *, index: IndexConfig, host: Runtime,
           sandbox: Sandbox, limits: Limits) -> Path | str:
    """Build once in `mode`; an accepted wheel, or why not (a refused platform wheel is cached)."""
    what = f"building {pin.name} {pin.version} from {sdist.name}" + (" without a C compiler" if mode == NO_COMPILER
                                                                     else "")
    no_compiler = mode == NO_COMPILER
    place.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=place.parent))
    try:
        try:
            wheel, _ = build_wheel_in_sandbox(
                sdist, staging, python=host.python, index=index, sandbox=sandbox, limits=limits, what=what,
                env=NO_COMPILER_ENV if no_compiler else None, hidden=compiler_paths() if no_compiler else ())
        except BuildStopped as error:  # a limit, not a missing compiler: building again would not help
            raise ExportError(f"{error}; raise the export's build limits if {pin.name} is that big") from error
        except (BuildFailed, BuildOutputError) as error:
            return _gist(str(error))
        if problem := _not_the_package(wheel.name, pin):
            return f"refused {wheel.name}: {problem}"
        if not _pure(wheel.name):
            wheel.unlink()
            (staging / REFUSED).write_text(f"it gives {wheel.name}, not py3-none-any", encoding="utf-8")
        shutil.rmtree(place, ignore_errors=True)
        staging.rename(place)  # whole or not at all: a reader never sees a half-written entry
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    cached = _cached(place)
    assert cached is not None
    return cached


def _not_the_package(filename: str, pin: Pin) -> str | None:
    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as error:
        return str(error)
    if name != canonicalize_name(pin.name) or version != Version(pin.version):
        return f"the build was for {pin.name} {pin.version}"
    return None


def _pure(filename: str) -> bool:
    """py3-none-any (py2.py3 too): runs on any machine and any Python 3."""
    _, _, _, tags = parse_wheel_filename(filename)
    return all(tag.abi == "none" and tag.platform == "any" for tag in tags) and any(
        tag.interpreter == "py3" for tag in tags)


_EXCEPTION = re.compile(r"^[A-Za-z_.]*(?:Error|Exception)[A-Za-z]*: ")


def _gist(message: str) -> str:
    """The line of a failed build's output that says why: the build's own last exception if it
    raised one, else uv's first `error:` line, else the first line."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    raised = [line for line in lines if _EXCEPTION.match(line)]
    errors = [line for line in lines if line.startswith("error:")]
    return (raised[-1:] or errors[:1] or lines[:1] or [message])[0]
