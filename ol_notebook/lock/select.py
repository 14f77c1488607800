"""A lock's packages selected for one runtime, as a Closure: installing from a lock resolves nothing.

`Pylock.select` (PEP 751's installer steps) picks each package's file for the runtime's marker
environment and tags; we add what it leaves vague: which `environments` marker excluded the
runtime and why (the variable and its value here), and which package has no usable file.
Only index files (wheels and sdists with a URL and a sha256) can be installed: a VCS, directory,
archive or local-path entry is refused naming the package, since nothing could check it.
"""

from __future__ import annotations

import re

from packaging.markers import Marker
from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock, PylockSelectError
from packaging.tags import Tag, parse_tag
from packaging.utils import InvalidWheelFilename

from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.lock.read import LockError
from ol_notebook.resolve import Artifact, Closure, Pin
from ol_notebook.resolve.model import iso_time

_PLAIN_NAME = re.compile(r"[A-Za-z0-9._+!-]+")  # a wheel or sdist name: no separators, nothing to climb with
_SHA256 = re.compile(r"[0-9a-f]{64}")


def select_for_runtime(lock: Pylock, source: str, runtime: Runtime, index: IndexConfig) -> Closure:
    """The lock's packages for `runtime`, one artifact each; the requirements are NAME==VERSION."""
    check_environments(lock, source, runtime)
    try:
        selected = list(lock.select(environment=runtime.environment, tags=runtime_tags(runtime)))  # type: ignore[arg-type]
    except (PylockSelectError, InvalidWheelFilename) as error:
        raise LockError(f"the lock {source} cannot be installed on {runtime.id}: {error}") from None
    pins = tuple(_pin(package, chosen, source, index) for package, chosen in selected)
    return Closure(
        requirements=tuple(f"{pin.name}=={pin.version}" for pin in pins),
        pins=pins,
        runtime_id=runtime.id,
        python_version=runtime.version,
        index=index.label,
    )


def runtime_tags(runtime: Runtime) -> list[Tag]:
    """The runtime's tags, best first, as packaging's Tag objects."""
    return [tag for text in runtime.tag_order for tag in parse_tag(text)]


def check_environments(lock: Pylock, source: str, runtime: Runtime) -> None:
    """Refuse a lock none of whose `environments` markers holds here, naming each one's failing clause."""
    if lock.environments is None or any(marker.evaluate(runtime.environment) for marker in lock.environments):
        return
    reasons = "; ".join(f"{marker} ({_why_false(marker, runtime.environment)})" for marker in lock.environments)
    raise LockError(f"the lock {source} was made for other environments than {runtime.id}: {reasons}")


def _why_false(marker: Marker, environment: dict[str, str]) -> str:
    """The clauses of `marker` that are false here, with the values this runtime has."""
    failing = []
    for variable, clause in _clauses(marker._markers):  # packaging keeps the parsed tree there
        if not Marker(clause).evaluate(environment):
            failing.append(f"{variable} is {environment.get(variable, '')!r} here")
    return ", ".join(failing) or "false here"


def _clauses(tree: list) -> list[tuple[str, str]]:
    """(variable, 'variable op "value"') of every comparison in a parsed marker."""
    found = []
    for item in tree:
        if isinstance(item, list):
            found += _clauses(item)
        elif isinstance(item, tuple):
            left, op, right = item
            variable = left if type(left).__name__ == "Variable" else right
            found.append((str(variable.value), f"{left.serialize()} {op.serialize()} {right.serialize()}"))
    return found


def _pin(package: Package, chosen: object, source: str, index: IndexConfig) -> Pin:
    where = f"{package.name} {package.version or ''}".strip()
    if not isinstance(chosen, (PackageWheel, PackageSdist)):
        kind = type(chosen).__name__.removeprefix("Package").lower()
        raise LockError(f"the lock {source} names {where} as a {kind} source; only index files (wheels and sdists "
                        "with a URL and a sha256) can be installed from a lock")
    if package.version is None:
        raise LockError(f"the lock {source} gives {package.name} no version")
    if chosen.url is None:
        raise LockError(f"the lock {source} names {where} by the local path {chosen.path!r}, not a URL: "
                        "a file of this machine cannot be installed from a lock")
    filename = chosen.filename
    if not _PLAIN_NAME.fullmatch(filename) or filename.startswith("."):
        raise LockError(f"the lock {source} gives {where} the file name {filename!r}, which is not a plain file name")
    sha256 = chosen.hashes.get("sha256", "").lower()
    if not _SHA256.fullmatch(sha256):
        raise LockError(f"the lock {source} gives {where} ({filename}) no valid sha256 hash (it has "
                        f"{', '.join(chosen.hashes) or 'none'}); ol-notebook checks every file by its sha256")
    artifact = Artifact(filename=filename, url=chosen.url, sha256=sha256, size=chosen.size,
                        upload_time=iso_time(chosen.upload_time))
    pin_index = package.index or index.label
    if isinstance(chosen, PackageWheel):
        return Pin(package.name, str(package.version), pin_index, wheels=(artifact,))
    return Pin(package.name, str(package.version), pin_index, sdist=artifact)
