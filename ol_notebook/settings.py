"""Settings shared by every front end, with environment-variable defaults.

The CLI, the Jupyter server extension and tests all build their engine from one
`Settings`, so a store directory or mirror means the same thing everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ol_notebook.index import IndexConfig
from ol_notebook.puller import DEFAULT_LIMITS
from ol_notebook.registry import LambdaSettings
from ol_notebook.sandbox import Limits

RESOLVE_LIMITS = Limits(timeout=600.0, memory=4 << 30, processes=512, disk=4 << 30)


def _data_dir(variable: str, leaf: str) -> Path:
    """`$variable`, else `leaf` in the XDG data directory."""
    if explicit := os.environ.get(variable):
        return Path(explicit)
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(data_home) / "ol-notebook" / leaf


def default_store_dir() -> Path:
    return _data_dir("OL_NOTEBOOK_STORE", "store")


def default_registry_dir() -> Path:
    return _data_dir("OL_NOTEBOOK_LAMBDAS", "lambdas")


def default_index_url() -> str | None:
    return os.environ.get("OL_NOTEBOOK_INDEX_URL") or None


def default_mirror() -> str | None:
    return os.environ.get("OL_NOTEBOOK_MIRROR") or None


def default_bwrap() -> str | None:
    return os.environ.get("OL_NOTEBOOK_BWRAP") or None


def default_unsafe_no_sandbox() -> bool:
    return os.environ.get("OL_NOTEBOOK_UNSAFE_NO_SANDBOX") == "1"


def default_concurrency() -> int:
    """Two downloads or sdist builds per core, between 2 and 8 (wheels install in batches: puller.py)."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


@dataclass(frozen=True)
class Settings:
    store_dir: Path = field(default_factory=default_store_dir)
    registry_dir: Path = field(default_factory=default_registry_dir)
    index: IndexConfig = field(
        default_factory=lambda: IndexConfig.from_options(default_index_url(), default_mirror())
    )
    bwrap: str | None = field(default_factory=default_bwrap)
    unsafe_no_sandbox: bool = field(default_factory=default_unsafe_no_sandbox)
    install_limits: Limits = DEFAULT_LIMITS
    resolve_limits: Limits = RESOLVE_LIMITS
    concurrency: int = field(default_factory=default_concurrency)
    compile_bytecode: bool = True
    lambda_defaults: LambdaSettings = field(default_factory=LambdaSettings)  # for deploys that give no settings
