"""The one wheel an sdist build hands back: as a tar stream on its stdout, never a host directory.

A build runs package code. Given a writable host directory for its output, it could leave
links to host files or fifos under a wheel's name, or fill the host's disk with unlinked files
no watcher sees. So the build writes into its own sized /tmp, and `tar` streams the output
directory to stdout, which the sandbox spools into a host file we write, bounded by the disk
limit. Of that archive only a regular file named `*.whl` at its top is taken.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig, uv_binary
from ol_notebook.index.uv import UV_COMMON_FLAGS, uv_sandbox_spec
from ol_notebook.sandbox import Bind, Limits, Sandbox, SandboxError

OUT_DIR = "/tmp/ol-build-out"  # inside the build's sandbox


class BuildOutputError(OLError):
    """The build's output is not exactly one wheel."""


class BuildFailed(OLError):
    """The sdist's build failed; the message names it and ends with its output."""


class BuildStopped(BuildFailed):
    """The sandbox stopped the build at one of its limits (time, memory, processes, disk)."""


def build_wheel_in_sandbox(sdist: Path, into: Path, *, python: str, index: IndexConfig, sandbox: Sandbox,
                           limits: Limits, what: str, env: Mapping[str, str] | None = None,
                           hidden: tuple[str, ...] = ()) -> tuple[Path, str]:
    """Build `sdist` with `python` (uv build) in a sandbox that sees it read-only and writes no
    host directory; the one wheel comes back into `into` (with its sha256). Network only when the
    index is remote (build dependencies). `env` adds to uv's environment and `hidden` hides paths
    (a build without a C compiler); `what` names the build in errors."""
    build = [
        uv_binary(), "build", *UV_COMMON_FLAGS, "--wheel", "--out-dir", OUT_DIR, "--python", python,
        "--cache-dir", "/tmp/uv-cache", *index.uv_args(), str(sdist),
    ]
    spec = uv_sandbox_spec(streaming_build_command(build), index, [Bind(sdist)], fetches=index.is_remote,
                           cwd="/tmp", limits=limits)
    spec = dataclasses.replace(spec, env={**spec.env, **(env or {})}, hidden=hidden)
    with tempfile.NamedTemporaryFile(prefix=".build-output-", suffix=".tar", dir=into) as spool:
        try:
            result = sandbox.run(spec, stdout=spool)
        except SandboxError as error:
            raise BuildStopped(f"{what} was stopped: {error}") from error
        if result.returncode != 0:
            tail = result.stderr.decode(errors="replace").strip()[-2000:]
            raise BuildFailed(f"{what} failed (exit {result.returncode}):\n{tail}")
        spool.flush()
        return extract_wheel(Path(spool.name), into, what)


def streaming_build_command(build: Sequence[str]) -> list[str]:
    """`build` (which must write into OUT_DIR) with its own output on stderr, then the directory
    as a tar stream on stdout."""
    script = f"{shlex.join(build)} 1>&2 && exec tar -C {OUT_DIR} -cf - ."
    return ["/bin/sh", "-c", script]


def extract_wheel(archive: Path, into: Path, what: str) -> tuple[Path, str]:
    """The single wheel in `archive`, written into `into`, and its sha256; `what` names the build."""
    try:
        with tarfile.open(archive, mode="r:") as tar:
            wheels = [member for member in tar if member.isreg() and _top_level_wheel(member.name)]
            if len(wheels) != 1:
                found = ", ".join(member.name for member in wheels) or "no wheel"
                raise BuildOutputError(f"{what} produced {found}; expected exactly one wheel")
            name = _top_level_wheel(wheels[0].name)
            assert name is not None
            source = tar.extractfile(wheels[0])
            assert source is not None
            digest = hashlib.sha256()
            target = into / name
            with source, target.open("wb") as out:
                while chunk := source.read(1 << 16):
                    digest.update(chunk)
                    out.write(chunk)
    except (tarfile.TarError, OSError) as error:
        raise BuildOutputError(f"{what} handed back an unreadable output ({error})") from error
    return target, digest.hexdigest()


def _top_level_wheel(member: str) -> str | None:
    """`./name.whl` or `name.whl`, a plain file name ending in .whl; None for anything else."""
    name = member.removeprefix("./")
    if not name.endswith(".whl") or "/" in name or name.startswith(".") or "\\" in name:
        return None
    return name


__all__ = ["OUT_DIR", "BuildFailed", "BuildOutputError", "BuildStopped", "build_wheel_in_sandbox", "extract_wheel",
           "streaming_build_command"]
