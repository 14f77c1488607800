"""Is a closure really closed? Every Requires-Dist of every pin, with markers and extras
evaluated for the target runtime, must be satisfied by the pins.

uv already resolved it, but a closure can also come from a hand-edited lock or an older
compile, and a package's installed metadata may disagree with what the index said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from ol_notebook.errors import OLError


class ClosureError(OLError):
    """A pinned package needs something the closure does not provide."""


def check_closure(
    roots: Sequence[str],
    pins: Mapping[str, str],
    requires: Mapping[str, Sequence[str]],
    environment: Mapping[str, str],
) -> None:
    """Raise ClosureError naming the first unmet requirement.

    `pins` maps normalized names to versions, `requires` maps normalized names to their
    Requires-Dist strings; extras are followed from the roots down.
    """
    active: dict[str, set[str]] = {}
    queue = [(None, Requirement(root)) for root in roots]
    while queue:
        parent, requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        _check_pinned(parent, requirement, name, pins)
        seen = name in active
        extras = active.setdefault(name, set())
        new_extras = set(requirement.extras) - extras
        if seen and not new_extras:
            continue
        extras |= new_extras
        for text in requires.get(name, ()):
            dependency = Requirement(text)
            if _applies(dependency, extras, environment):
                queue.append((f"{name} {pins[name]}", dependency))


def _applies(requirement: Requirement, extras: set[str], environment: Mapping[str, str]) -> bool:
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**environment, "extra": extra})
        for extra in (extras | {""})
    )


def _check_pinned(parent: str | None, requirement: Requirement, name: str, pins: Mapping[str, str]) -> None:
    who = f"{parent} requires" if parent else "your requirements ask for"
    if name not in pins:
        raise ClosureError(f"{who} {requirement}, but {requirement.name} is not in the closure")
    if not requirement.specifier.contains(Version(pins[name]), prereleases=True):
        raise ClosureError(f"{who} {requirement}, but the closure pins {requirement.name}=={pins[name]}")
