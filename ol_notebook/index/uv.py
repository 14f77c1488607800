"""How uv is invoked: our pinned binary, no config files, a scrubbed environment.

This machine (like many) has pip.conf/uv.toml adding extra indexes; any of that leaking in
would break the "exactly this index" promise, so uv always gets `--no-config` and an
environment with no UV_*/PIP_* variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import uv

from ol_notebook.index.config import IndexConfig
from ol_notebook.sandbox import Bind, Limits, SandboxSpec

# Flags every uv call gets: ignore config files, trust the system CA store (TLS-intercepting
# proxies and private mirrors are signed there), keep output machine-readable.
UV_COMMON_FLAGS = ("--no-config", "--system-certs", "--color", "never", "--no-progress")

_KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "SSL_CERT_FILE", "SSL_CERT_DIR", "http_proxy", "https_proxy",
                   "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")


def uv_binary() -> str:
    """Absolute path of the uv shipped with our pinned `uv` dependency."""
    return os.fsdecode(uv.find_uv_bin())


def uv_environment(home: Path) -> dict[str, str]:
    """The whole environment uv runs with: a private HOME and only what networking needs."""
    env = {key: os.environ[key] for key in _KEPT_VARIABLES if key in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env["HOME"] = str(home)
    env["UV_NO_CONFIG"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def uv_sandbox_spec(argv: list[str], index: IndexConfig, binds: list[Bind], *, fetches: bool, cwd: str,
                    limits: Limits) -> SandboxSpec:
    """The sandbox of one uv run: uv itself and the index's local directories visible, the
    scrubbed environment, and, when it `fetches` from the index, just the network the index
    needs (IndexConfig.sandbox_access); otherwise none."""
    access = index.sandbox_access()
    return SandboxSpec(
        argv=argv,
        binds=[*binds, Bind(Path(uv_binary())), *(Bind(path) for path in index.local_paths())],
        network=fetches and access.egress,
        loopback_ports=access.loopback_ports if fetches else (),
        env=uv_environment(Path("/tmp")),
        cwd=cwd,
        limits=limits,
    )
