"""How the magics reach the engine: the extension's entry point, the choice of client, and their ends."""

import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from ol_notebook.api import SERVER_TOKEN_ENV, SERVER_URL_ENV, APIError
from ol_notebook.magics import load_ipython_extension, unload_ipython_extension
from ol_notebook.magics.errors import MagicError
from ol_notebook.magics.local import LocalClient
from ol_notebook.magics.magics import OLMagics
from ol_notebook.magics.rest import RestClient, ServerUnreachable
from tests.magics.cells import line
from tests.processes import processes_mentioning

KERNEL = textwrap.dedent("""
    from IPython.core.interactiveshell import InteractiveShell
    from ol_notebook.worker import Worker

    close = Worker.close

    async def reported_close(worker):
        await close(worker)
        print("engine closed", flush=True)

    Worker.close = reported_close
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "ol_notebook")
    shell.run_cell_magic("ol_lambda", "left --instances 1", "def f(event):\\n    return event * 2\\n")
    print("result", shell.user_ns["left"](21), flush=True)
""")


def test_load_ext_then_exit_stops_the_engine_and_its_sandboxes(tmp_path, local_index):
    """A fresh interpreter: `%load_ext ol_notebook` registers the magics; leaving it closes the engine."""
    env = {key: value for key, value in os.environ.items() if key not in (SERVER_URL_ENV, SERVER_TOKEN_ENV)}
    env.update(OL_NOTEBOOK_INDEX_URL=local_index.url, OL_NOTEBOOK_STORE=str(tmp_path / "store"),
               OL_NOTEBOOK_LAMBDAS=str(tmp_path / "lambdas"), IPYTHONDIR=str(tmp_path / "ipython"))
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-c", KERNEL], env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-2:] == ["result 42", "engine closed"]
    assert finished.stderr == ""
    assert time.monotonic() - started < 15
    assert not processes_mentioning(str(tmp_path / "lambdas"))


def test_the_client_follows_the_environment(shell, tmp_path, monkeypatch):
    monkeypatch.delenv(SERVER_URL_ENV, raising=False)
    monkeypatch.setenv("OL_NOTEBOOK_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("OL_NOTEBOOK_LAMBDAS", str(tmp_path / "lambdas"))
    load_ipython_extension(shell)
    magics = shell.magics_manager.registry[OLMagics.__name__]
    try:
        client = magics.client
        assert isinstance(client, LocalClient)
        assert client.where == (
            f"this kernel's own engine (store {tmp_path / 'store'}, lambdas {tmp_path / 'lambdas'})")
        unload_ipython_extension(shell)
        assert magics._client is None
        with pytest.raises(MagicError, match=r"engine .* was closed when the extension was unloaded"):
            client.lambdas()
        monkeypatch.setenv(SERVER_URL_ENV, "http://127.0.0.1:1/base/")
        assert isinstance(magics.client, RestClient)  # connected again on next use, to what the environment says
    finally:
        unload_ipython_extension(shell)


def test_an_unreachable_server_is_named(shell, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(SERVER_URL_ENV, f"http://127.0.0.1:{port}/base/")
    monkeypatch.setenv(SERVER_TOKEN_ENV, "secret")
    load_ipython_extension(shell)
    try:
        with pytest.raises(ServerUnreachable, match=f"cannot reach the ol-notebook server at http://127.0.0.1:{port}/base/"):
            line(shell, "ol_lambdas")
    finally:
        unload_ipython_extension(shell)


def test_a_wrong_token_is_refused_by_the_server(jupyter_server_url):
    client = RestClient(jupyter_server_url.url, "not-the-token")
    try:
        with pytest.raises(APIError, match="answered HTTP 403") as refused:
            client.lambdas()
        assert refused.value.status == 403
    finally:
        client.close()


def test_rest_calls_reuse_one_kept_alive_connection(jupyter_server_url):
    client = RestClient(jupyter_server_url.url, jupyter_server_url.token)
    try:
        client.info()
        (connection,) = client._idle
        for _ in range(3):
            assert client.info()["python"]
        assert client._idle == [connection] and connection.sock is not None
    finally:
        client.close()
