"""Locks written by others, for the install tests: real `uv pip compile --format pylock.toml` and
real `pip lock` (the venv's pip), both against the local index; and edits of them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from ol_notebook.index import uv_binary

PIP = str(Path(sys.executable).with_name("pip"))


def uv_lock(index_url: str, requirements: list[str], out: Path, *extra: str) -> Path:
    """`uv pip compile` of `requirements` into out/pylock.toml (uv's lock has no `index`)."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [uv_binary(), "pip", "compile", "-", "--format", "pylock.toml", "--generate-hashes", "--no-header",
         "--quiet", "--index-url", index_url, "--python", sys.executable, "--cache-dir", str(out / "uv-cache"),
         *extra],
        input="\n".join(requirements) + "\n", capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    path = out / "pylock.toml"
    path.write_text(result.stdout)
    return path


def pip_lock(index_url: str, requirements: list[str], out: Path) -> Path:
    """`pip lock` of `requirements` into out/pylock.toml (isolated from any pip configuration)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "pylock.toml"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    result = subprocess.run(
        [PIP, "--isolated", "lock", *requirements, "--index-url", index_url, "--no-cache-dir", "-q", "-o", str(path)],
        capture_output=True, text=True, timeout=120, check=False, env=env)
    assert result.returncode == 0, result.stderr
    return path


def load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def save(data: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data))
    return path


def package(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The lock's [[packages]] entry of `name`."""
    return next(entry for entry in data["packages"] if entry["name"] == name)
