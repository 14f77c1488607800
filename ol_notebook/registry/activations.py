"""Which versions of a lambda served, in order: what `rollback` returns to.

`<root>/<name>/activations.json` lists version numbers in the order they became current, newest
last (the last `KEPT` activations only). It is rewritten whole, to a temporary file renamed over
it, so a crash leaves the old list or the new one, never half of one. `activate` appends the
number *before* it swaps the `current` link: the list may then name a version that a crash kept
from serving, which still carries its staged mark and is skipped, but it never misses a version
that served.

"Rolling back" means serving again the version that was current before the present one (after
v1, v2, rollback to v1, deploy v3, that is v1, not v2), like `cd -`: a second rollback undoes the
first. When that version was pruned (only five are kept), the newest kept version older than the
current one serves instead, and the reason says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from ol_notebook.atomic_write import write_atomic

ACTIVATIONS = "activations.json"
KEPT = 32  # activations remembered; far more than the versions kept


@dataclass(frozen=True)
class Choice:
    """The version a rollback goes to, and why, as a phrase: "the version current before version 3"."""

    number: int | None  # None: there is nothing to go back to (then `reason` says why)
    reason: str


def read(home: Path) -> list[int]:
    """The activations recorded for the lambda at `home`, oldest first ([] before any was recorded)."""
    try:
        numbers = json.loads((home / ACTIVATIONS).read_text(encoding="utf-8"))["activations"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):
        return []  # unreadable: rollback falls back to version order, as before activations were recorded
    return [number for number in numbers if isinstance(number, int)] if isinstance(numbers, list) else []


def record(home: Path, number: int) -> None:
    """Append `number` (unless it is already the last), replacing the file in one rename.
    The caller holds the lambda's lock."""
    numbers = read(home)
    if numbers[-1:] == [number]:
        return
    numbers = [*numbers, number][-KEPT:]
    write_atomic(home / ACTIVATIONS, json.dumps({"activations": numbers}) + "\n")


def previous(numbers: list[int], current: int, kept: Collection[int], never_served: Callable[[int], bool]) -> Choice:
    """The version to serve instead of `current`: the one current before it if still kept, else
    the newest kept version older than `current`. `kept` are the versions that served and still
    exist; `never_served(n)` is true for a version a crash left staged (recorded, never current)."""
    before = None
    if current in numbers:
        last = len(numbers) - 1 - numbers[::-1].index(current)
        before = next((n for n in reversed(numbers[:last]) if n != current and not never_served(n)), None)
    if before is not None and before in kept:
        return Choice(before, f"the version current before version {current}")
    older = max((n for n in kept if n < current), default=None)
    if before is None:
        reason = f"the newest kept version before version {current}"
        return Choice(older, reason if older else f"no version served before version {current}")
    gone = f"version {before}, current before version {current}, is no longer kept"
    if older is None:
        return Choice(None, f"{gone}, and no kept version is older than {current}")
    return Choice(older, f"{gone}: version {older} is the newest kept version before {current}")
