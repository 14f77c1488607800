"""Locks made by the real tools against the local index, and the mirror built from them.

`uv_lock` runs `uv pip compile --format pylock.toml`, `pip_lock` runs `pip lock` (both as a user
would, with no config files), so the mirror is fed the locks it meets in the wild.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import tomli_w
from uv import find_uv_bin

from ol_notebook.index import IndexConfig
from ol_notebook.lock import read_lock
from ol_notebook.mirror import MirrorReport, build_mirror, wanted_from_lock

PIP = str(Path(sys.executable).with_name("pip"))


def tool_env(home: Path) -> dict[str, str]:
    """No pip.conf, no uv.toml, no UV_*/PIP_* variables: exactly the index on the command line."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "UV_"))}
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "HOME": str(home), "PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1", "UV_CACHE_DIR":
            str(home / "uv-cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def tool(argv: list[str], home: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, env=tool_env(home), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def uv_lock(index_url: str, directory: Path, *requirements: str, name: str = "pylock.toml",
            universal: bool = False) -> Path:
    """A lock for this interpreter, or with `universal` one for every platform (all their wheels)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    tool([os.fsdecode(find_uv_bin()), "pip", "compile", "--no-config", "--quiet", "--no-header", "--format",
          "pylock.toml", "--index-url", index_url, "--python", sys.executable, "-o", str(path),
          *(["--universal"] if universal else []), *_requirements_file(directory, requirements)], directory / ".home")
    return path


def pip_lock(index_url: str, directory: Path, *requirements: str, name: str = "pylock.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    tool([PIP, "lock", "--isolated", "--quiet", "--no-cache-dir", "--index-url", index_url, "-o", str(path),
          *requirements], directory / ".home")
    return path


def _requirements_file(directory: Path, requirements: tuple[str, ...]) -> list[str]:
    source = directory / "requirements.in"
    source.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    return [str(source)]


def edit_lock(path: Path, change) -> Path:
    """Rewrite the lock at `path` with `change(data)` applied (a lock as an attacker would write it)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def mirror_locks(root: Path, index_url: str, *locks: Path) -> MirrorReport:
    """What `ol-notebook --index-url URL mirror ROOT --lock L...` does, minus the rewritten locks."""
    index = IndexConfig.from_options(index_url=index_url)
    return build_mirror(root, [file for path in locks for file in wanted_from_lock(read_lock(path), path, index)])


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its content: what "nothing was changed" is checked against."""
    if not root.exists():
        return {}
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
