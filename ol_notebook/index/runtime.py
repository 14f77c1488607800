"""The runtime a store serves: one interpreter ABI on one platform.

Installed packages are only shareable between lambdas of the same runtime (a cp311
manylinux wheel is useless to 3.12), so the store is scoped by `Runtime.id`, and wheel
choice and marker evaluation follow the runtime's tags and environment.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from functools import cached_property

from packaging import tags
from packaging.markers import default_environment
from packaging.utils import parse_wheel_filename


@dataclass(frozen=True)
class Runtime:
    """An interpreter (absolute path) with its tags and marker environment."""

    python: str
    version: str
    tag_order: tuple[str, ...] = field(repr=False)
    environment: dict[str, str] = field(repr=False, hash=False, compare=False)

    @classmethod
    def current(cls) -> Runtime:
        """The interpreter running us, by its real path (a venv or pyenv shim costs 100 ms per start)."""
        return cls(
            python=os.path.realpath(sys.executable),
            version=platform.python_version(),
            tag_order=tuple(str(tag) for tag in tags.sys_tags()),
            environment=dict(default_environment()),
        )

    @property
    def id(self) -> str:
        """A directory-safe name: the most specific tag, e.g. cp311-cp311-linux_x86_64."""
        return self.tag_order[0]

    @cached_property
    def _rank(self) -> dict[str, int]:
        return {tag: position for position, tag in enumerate(self.tag_order)}

    def wheel_rank(self, filename: str) -> int | None:
        """How well a wheel fits (lower is better), or None when it cannot run here."""
        _, _, _, wheel_tags = parse_wheel_filename(filename)
        ranks = [self._rank[str(tag)] for tag in wheel_tags if str(tag) in self._rank]
        return min(ranks) if ranks else None
