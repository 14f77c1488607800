"""What a deploy did, and the hints that turn its failures into the one change that fixes them.

A deploy may create a version or find the current one already serves exactly this code,
these settings and these pins (then it creates nothing, so re-running a cell keeps the kept
versions for rollback); it may add the distributions of what the code imports. Callers learn
which from `Deployment`, not from comparing version numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ol_notebook.registry import LambdaSettings, LambdaVersion
from ol_notebook.resolve import Closure
from ol_notebook.resolve.imports import MissingImport, is_stdlib, missing_module
from ol_notebook.runtime import LambdaStartError

# Messages of an extension module built against numpy 1.x that finds numpy 2 (or the reverse).
NUMPY_ABI_MARKERS = (
    "numpy.dtype size changed, may indicate binary incompatibility",
    "compiled using NumPy 1.x cannot be run in",
    "numpy.core.multiarray failed to import",
    "numpy.core._multiarray_umath failed to import",
)


@dataclass(frozen=True)
class Deployment:
    """The version that serves after a deploy, and whether this deploy made it."""

    version: LambdaVersion
    unchanged: bool = False  # the current version already was this deploy: nothing was created or started
    added: tuple[str, ...] = ()  # distributions added to the requirements for what the code imports
    missing: tuple[MissingImport, ...] = ()  # imports still provided by no package (each warned about)

    @property
    def number(self) -> int:
        return self.version.number

    @property
    def closure(self) -> Closure:
        return self.version.closure

    @property
    def summary(self) -> str:
        """One line for a person: "lambda hello unchanged, still version 3", or what it deployed."""
        name, number = self.version.name, self.version.number
        if self.unchanged:
            return f"lambda {name} unchanged, still version {number}"
        added = f", with {', '.join(self.added)} added for its imports" if self.added else ""
        return f"lambda {name} version {number} deployed{added}"


def same_version(current: LambdaVersion, code: str, closure: Closure, settings: LambdaSettings) -> bool:
    """Whether `current` already is this deploy: code, settings and the compiled closure (its
    requirements, names spelt either way, and every pin with its files and hashes, which change
    when the index does)."""
    return current.code == code and current.settings == settings and _spelt_alike(current.closure) == _spelt_alike(
        closure)


def _spelt_alike(closure: Closure) -> Closure:
    """`PyYAML` and `pyyaml` are one requirement (an added one is named by the table or the store)."""
    requirements = []
    for text in closure.requirements:
        requirement = Requirement(text)
        requirement.name = canonicalize_name(requirement.name)
        requirements.append(str(requirement))
    return replace(closure, requirements=tuple(requirements))


def requirement_names(requirements: str) -> set[str]:
    """The normalized names the requirements text asks for (a bad line is left to the parser's error)."""
    names = set()
    for raw in requirements.splitlines():
        text = raw.split("#", 1)[0].strip()
        try:
            names.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            continue
    return names


def with_added(requirements: str, distributions: Sequence[str]) -> str:
    """The requirements text with one line per added distribution, as recorded in the version."""
    lines = [line for line in requirements.splitlines() if line.strip()]
    return "\n".join([*lines, *distributions]) + "\n"


def how_to_add(name: str, requirements: str, distribution: str) -> str:
    """The fix, for every front end: the same `--requirements` flag and `--auto-install`."""
    given = [line.split("#", 1)[0].strip() for line in requirements.splitlines()]
    wanted = " ".join([*(text for text in given if text), distribution])
    return (f"add {distribution} to its requirements (e.g. %%ol_lambda {name} --requirements '{wanted}'), "
            "or deploy it with --auto-install")


def missing_warning(name: str, missing: MissingImport, requirements: str) -> str:
    when = "when f runs that import" if missing.lazy else "when its handler is imported"
    return (f"lambda {name!r} imports {missing.module} (line {missing.line}), which none of its packages provides, "
            f"so it will fail {when}: {how_to_add(name, requirements, missing.distribution)}")


def hinted_start_error(error: LambdaStartError, requirements: str, closure: Closure,
                       distribution_of: Callable[[str], str]) -> LambdaStartError:
    """`error` with the likely fix added to its reason: the distribution of a module not
    found, or the numpy upper bound a binary package lacked."""
    name, text = error.lambda_name, f"{error.reason}\n{error.traceback}"
    hint = None
    if "ModuleNotFoundError" in error.reason and (module := missing_module(error.reason)) and not is_stdlib(module):
        fix = how_to_add(name, requirements, distribution_of(module))
        hint = f"{module} is provided by none of its packages: {fix}"
    elif any(marker in text for marker in NUMPY_ABI_MARKERS) and (bound := numpy_bound(closure)):
        hint = (f"a binary package was likely built against an older numpy than the {bound[0]} its requirements "
                f"resolved to: add {bound[1]} to its requirements")
    if hint is None:
        return error
    return LambdaStartError(name, f"{error.reason}\nHint: {hint}", error.traceback)


def numpy_bound(closure: Closure) -> tuple[str, str] | None:
    """(the pinned numpy, the upper bound that excludes its major version), if numpy is 2 or later."""
    pin = closure.pin("numpy")
    if pin is None:
        return None
    try:
        major = Version(pin.version).major
    except InvalidVersion:
        return None
    return (pin.key, f"numpy<{major}") if major >= 2 else None
