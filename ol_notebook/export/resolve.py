"""A lambda's requirements compiled FOR THE TARGET (its platform and full Python), wheels first.

uv resolves with `--python-version/--python-platform` (Target.uv_args), so markers are evaluated
for the target and no target Python is needed. Left to itself, uv happily picks the newest
version and builds its sdist even when an older one has a wheel for the target: with numpy for
Amazon Linux 2 that is a version with only manylinux_2_28 wheels, which then fails to build or run
(aws-lambda-builders' flaw). So the first pass is `--only-binary :all:`; a package uv names as
having no usable wheel at all is then allowed its sdist (`--no-binary NAME`, uv's per-package
override) and the resolve runs again, until it succeeds or a package has neither: that one is
missing, and says so. Measured here: numpy for python3.11 x86_64 (manylinux_2_17 to uv) is 2.4.6,
which has no wheel for glibc 2.26, with uv's default and 2.2.6 (manylinux_2_17 wheel) this way;
each sdist-only package costs one more uv run (0.06-0.3 s on the platform test index).

The host's interpreter is still given (`--python`): uv builds an sdist's metadata with it when
the sdist's own is not static, in the same sandbox as every compile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ol_notebook.export.model import MissingPackage
from ol_notebook.export.target import Target
from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.resolve import Closure
from ol_notebook.resolve.compile import classify_failure, pins_from_lock, requirement_texts, run_uv_compile
from ol_notebook.sandbox import Limits, Sandbox

# uv's words for "no wheel of X fits" and "X has no sdist either" (uv 0.13): the hint names the
# package in backticks; the cause line gives its version.
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([^`]+)`")
_NO_WHEELS = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+))? (?:has|have) no (?:usable )?wheels")
_SDIST_REQUIRED = re.compile(r"A source distribution is required for `([^`]+)`")
_NO_SDIST = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+))? (?:has|have) no source distribution")


def resolve_for_target(requirements: Sequence[str], target: Target, *, index: IndexConfig, host: Runtime,
                       sandbox: Sandbox, uv_cache: Path, limits: Limits
                       ) -> tuple[Closure | None, tuple[MissingPackage, ...]]:
    """The closure of `requirements` on `target` (wheels wherever any version has one for it) and
    the packages that have neither a wheel for the target nor an sdist.

    A requirement of the lambda's own that is missing is left out of the closure, so the rest can
    still be checked (and every missing package named at once); a missing dependency leaves no
    closure (None). Any other failure is the ResolveError compile_requirements would raise.
    """
    texts = requirement_texts(requirements)
    sdist_allowed: list[str] = []
    missing: list[MissingPackage] = []
    while True:
        args = ["--python", host.python, *target.uv_args, "--only-binary", ":all:",
                *(arg for name in sdist_allowed for arg in ("--no-binary", name))]
        run = run_uv_compile(texts, args, index=index, sandbox=sandbox, uv_cache=uv_cache, limits=limits)
        if run.lock is not None:
            pins = pins_from_lock(run.lock, index.label, target.environment)
            return Closure(requirements=texts, pins=pins, runtime_id=target.key, python_version=target.python,
                           index=index.label), tuple(missing)
        wheel_less = _named(run.stderr, _WHEELS_REQUIRED, _NO_WHEELS)
        if wheel_less and wheel_less[0] not in sdist_allowed:
            sdist_allowed.append(wheel_less[0])
            continue
        no_sdist = _named(run.stderr, _SDIST_REQUIRED, _NO_SDIST)
        if not no_sdist:
            raise classify_failure(run.stderr, index)
        missing.append(_neither(no_sdist, target, run.stderr))
        # A requirement of the lambda's own is left out to find what else is missing; a dependency
        # cannot be, so the report says resolving stopped there.
        rest = tuple(text for text in texts if canonicalize_name(Requirement(text).name) != no_sdist[0])
        if len(rest) == len(texts):
            missing[-1] = replace(missing[-1], reason=missing[-1].reason + "; resolving stopped at this "
                                  "dependency, so others may be missing too")
            return None, tuple(missing)
        if not rest:
            return None, tuple(missing)
        texts = rest


def _named(stderr: str, hint: re.Pattern[str], cause: re.Pattern[str]) -> tuple[str, str] | None:
    """(name, version or "") of the package uv's report blames, from its hint or else its cause."""
    versions = {canonicalize_name(match.group(1)): match.group(2) or "" for match in cause.finditer(stderr)}
    if match := hint.search(stderr):
        name = canonicalize_name(match.group(1))
        return name, versions.get(name, "")
    return next(iter(versions.items()), None)


def _neither(blamed: tuple[str, str], target: Target, stderr: str) -> MissingPackage:
    name, version = blamed
    cause = next((line.strip() for line in stderr.splitlines() if "cause:" in line or "Because" in line), "")
    return MissingPackage(
        name=name,
        version=version or "any version",
        reason=f"no wheel for {target.manylinux} and Python {target.python_minor}, and no sdist to build "
               f"({cause.removeprefix('cause: ')})",
        hint=f"pin a version with a wheel for cp{target.python_minor.replace('.', '')} {target.manylinux}, "
             "pick another Python or architecture, or build a wheel yourself and add it to a mirror",
    )
