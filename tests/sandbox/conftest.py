"""Fixtures for the sandbox tests: one real bubblewrap sandbox, and a private temp directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ol_notebook.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sandboxes' scratch directories go here, away from those of other processes on the host."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path
