"""Fixtures for the sandbox tests: one real bubblewrap sandbox, and `python -c` specs."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.sandbox import Sandbox, SandboxSpec


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sandboxes' scratch directories go here, away from those of other processes on the host."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def py(code: str, *args: str, **spec: Any) -> SandboxSpec:
    """A spec running `code` with this interpreter (exposed inside by python=True)."""
    return SandboxSpec([sys.executable, "-c", textwrap.dedent(code), *args], **spec)
