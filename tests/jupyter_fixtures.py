"""A real `jupyter server` process with the ol-notebook extension, on the local package index.

The extension is enabled the way a user gets it: by the config file the package installs,
not by test configuration. The server's store, registry and index come from the
OL_NOTEBOOK_* environment it is started with; its Jupyter config, data and runtime dirs
are private to the test session.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client import BlockingKernelClient, KernelManager
from nbclient import NotebookClient

from ol_notebook.api import SERVER_TOKEN_ENV, SERVER_URL_ENV

STARTUP_SECONDS = 60.0
QUICKSTART = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


@dataclass
class RunningServer:
    url: str  # the base URL, ending in "/"; the API is under url + "ol/"
    token: str
    process: subprocess.Popen
    root_dir: Path
    store_dir: Path
    registry_dir: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # what a client (a kernel) needs to reach this server

    def request(self, method: str, path: str, data: object = None) -> Any:
        """`path` below the base URL with this server's token; `data` goes as JSON; the decoded answer
        (None when it is empty)."""
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(self.url + path, method=method, data=body,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = response.read()
        return json.loads(answer) if answer else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# JupyterLab's settings for test servers: no news pop-up and no update check (both would go online).
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}


def start_jupyter_server(directory: Path, index_url: str | None, app: str = "jupyter_server",
                         base_url: str = "/ol-test/", args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                         ready: str = "ol/version") -> RunningServer:
    """Start `python -m <app>` (jupyter_server, or jupyterlab) with `args`, and wait until `ready` (a
    path below the base URL; by default the ol API) answers.

    With `index_url` None the server keeps the default index (lambdas without requirements never use it).
    `env` adds to the environment it inherits."""
    directory.mkdir(parents=True, exist_ok=True)
    write_lab_settings(directory / "config", LAB_SETTINGS)
    root, store, registry = directory / "notebooks", directory / "store", directory / "lambdas"
    root.mkdir(exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OL_NOTEBOOK_", "JUPYTER_"))}
    env.update(
        OL_NOTEBOOK_STORE=str(store), OL_NOTEBOOK_LAMBDAS=str(registry),
        **({"OL_NOTEBOOK_INDEX_URL": index_url} if index_url else {}),
        JUPYTER_CONFIG_DIR=str(directory / "config"), JUPYTER_DATA_DIR=str(directory / "data"),
        JUPYTER_RUNTIME_DIR=str(directory / "runtime"), JUPYTER_PLATFORM_DIRS="1",
        **(env or {}),
    )
    log = directory / "server.log"
    command = [
        sys.executable, "-m", app, "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.base_url={base_url}", f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_unauthenticated_access=False", *args,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}{base_url}"
    server = RunningServer(url, token, process, root, store, registry, log,
                           {SERVER_URL_ENV: url, SERVER_TOKEN_ENV: token})
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            server.request("GET", ready)
            return server
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"jupyter server did not answer in {STARTUP_SECONDS}s:\n"
                                   f"{log.read_text()[-3000:]}") from None
            time.sleep(0.1)


class ServerKernel(KernelManager):
    """A kernel the Jupyter server started and owns: nbclient attaches to it and leaves it running."""

    @property
    def has_kernel(self) -> bool:
        return True

    async def _async_is_alive(self) -> bool:
        return True


@contextlib.contextmanager
def running_kernel() -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    """A real ipykernel (the default Python one, in this process's environment) and a client whose
    channels are started and ready; shut down on exit."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute_notebook(server: RunningServer, path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a kernel that `server` started (so its magics use the server's
    REST API, as in JupyterLab); the notebook with its outputs."""
    kernel = server.request("POST", "api/kernels", {})
    runtime_dir = server.root_dir.parent / "runtime"
    manager = ServerKernel(connection_file=str(runtime_dir / f"kernel-{kernel['id']}.json"))
    manager.load_connection_file()
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, km=manager, timeout=180).execute()
    return notebook


def write_lab_settings(config_dir: Path, settings: Mapping[str, Mapping[str, Any]]) -> None:
    """JupyterLab user settings (`{"@scope/package/plugin": {...}}`) in the config dir a server reads them from."""
    for plugin, values in settings.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="session")
def jupyter_server_url(tmp_path_factory, local_index) -> Iterator[RunningServer]:
    """One `jupyter server` for the session (tests use distinct lambda names)."""
    server = start_jupyter_server(tmp_path_factory.mktemp("jupyter-server"), local_index.url)
    yield server
    server.stop()
