"""What any bundle of a lambda holds, decided and checked before a byte is written: the lambda
itself (name and code, held to the registry's rules, since the name becomes a file name and a URL
path and the code a module), and its packages as wheels for the target, each checked to run there.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from ol_notebook.export.checks import check_shared_objects, check_wheel_tags
from ol_notebook.export.model import ExportCaches, ExportError
from ol_notebook.export.target import Target
from ol_notebook.export.unpack import PackageFiles, package_files
from ol_notebook.export.wheels import wheels_for_target
from ol_notebook.index import IndexConfig
from ol_notebook.puller import EventSink
from ol_notebook.registry.validate import InvalidLambda, validate_code, validate_name
from ol_notebook.resolve import Closure
from ol_notebook.sandbox import Limits, Sandbox


@dataclass(frozen=True)
class Contents:
    """A lambda ready to bundle: its compile for the target and its packages' files, checked."""

    closure: Closure
    packages: tuple[PackageFiles, ...]  # sorted by normalized name, as the lock lists them


def check_lambda(name: str, code: str | None = None) -> None:
    """The registry's rules for a lambda's name (and code, when given), as an ExportError."""
    try:
        validate_name(name)
        if code is not None:
            validate_code(code, name)
    except InvalidLambda as error:
        raise ExportError(str(error)) from None


def lambda_contents(name: str, code: str, requirements: Sequence[str], target: Target, *, index: IndexConfig,
                    sandbox: Sandbox, caches: ExportCaches, limits: Limits,
                    on_event: EventSink | None = None) -> Contents:
    """The lambda checked, its requirements as wheels for `target`, each wheel's tags and shared
    objects checked to run there (ExportError listing every problem otherwise)."""
    check_lambda(name, code)
    if not requirements:  # a lambda of the standard library alone: nothing to resolve (uv refuses nothing)
        return Contents(Closure((), (), target.label, target.python, index.label), ())
    closure, wheels = wheels_for_target(requirements, target, index=index, sandbox=sandbox, caches=caches,
                                        limits=limits, on_event=on_event)
    packages = tuple(sorted((package_files(wheel) for wheel in wheels),
                            key=lambda package: canonicalize_name(package.wheel.name)))
    check_wheel_tags(packages, target)
    check_shared_objects(packages, target)
    return Contents(closure, packages)


@contextlib.contextmanager
def publishing(out_dir: Path) -> Iterator[Path]:
    """A scratch directory inside `out_dir` to write archives into; whatever is in it when the
    block ends is moved into `out_dir` (replacing older exports), and nothing when it fails."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.TemporaryDirectory(dir=out_dir, prefix=".ol-export-")
    except OSError as error:
        raise ExportError(f"cannot write into the output directory {out_dir}: {error.strerror}") from None
    with scratch as directory:
        yield Path(directory)
        for written in sorted(Path(directory).iterdir()):
            os.replace(written, out_dir / written.name)
