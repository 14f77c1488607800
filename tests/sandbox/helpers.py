"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import textwrap
from typing import Any

from ol_notebook.sandbox import PYTHON, SandboxSpec


def py(code: str, *args: str, **spec: Any) -> SandboxSpec:
    """A spec running `code` with this interpreter (exposed inside by python=True)."""
    return SandboxSpec([PYTHON, "-c", textwrap.dedent(code), *args], **spec)
