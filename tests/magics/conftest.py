"""Fixtures for the magics: a real IPython shell with the extension loaded, on either path.

`ipython` is parametrized over the two ways the magics reach the engine: "local" (an
in-process Worker on a fresh store and registry, configured by the environment, as in plain
IPython) and "rest" (the API of the session's real `jupyter server` running the extension,
`jupyter_server_url`, found through the environment variables it exports to its kernels).
That server is shared, so tests name their own lambdas and never assume it holds no others.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ol_notebook.api import SERVER_TOKEN_ENV, SERVER_URL_ENV
from ol_notebook.magics import load_ipython_extension, unload_ipython_extension
from ol_notebook.magics.magics import OLMagics


@pytest.fixture(scope="session")
def shell(tmp_path_factory: pytest.TempPathFactory) -> InteractiveShell:
    """One IPython shell for the session (IPython keeps a singleton), with no history on disk."""
    config = Config({"HistoryManager": {"hist_file": ":memory:"}})
    return InteractiveShell.instance(config=config, ipython_dir=str(tmp_path_factory.mktemp("ipython")))


@pytest.fixture(params=["local", "rest"])
def path(request: pytest.FixtureRequest, tmp_path: Path, local_index, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment a kernel sees on each path: a server's URL and token, or an engine's directories."""
    for variable in (SERVER_URL_ENV, SERVER_TOKEN_ENV):
        monkeypatch.delenv(variable, raising=False)
    if request.param == "rest":
        for variable, value in request.getfixturevalue("jupyter_server_url").env.items():
            monkeypatch.setenv(variable, value)
    else:
        monkeypatch.setenv("OL_NOTEBOOK_INDEX_URL", local_index.url)
        monkeypatch.setenv("OL_NOTEBOOK_STORE", str(tmp_path / "store"))
        monkeypatch.setenv("OL_NOTEBOOK_LAMBDAS", str(tmp_path / "lambdas"))
    return request.param


@pytest.fixture
def ipython(shell: InteractiveShell, path: str) -> Iterator[InteractiveShell]:
    """The shell with the magics loaded on a fresh client; the lambdas a test deploys are removed after it."""
    shell.reset(new_session=False)
    load_ipython_extension(shell)
    magics: OLMagics = shell.magics_manager.registry[OLMagics.__name__]
    before = {item["name"] for item in magics.client.lambdas()}
    magics.close()  # each test starts unconnected, as after %load_ext
    yield shell
    if magics._client is not None:
        for item in magics.client.lambdas():
            if item["name"] not in before:
                magics.client.remove(item["name"])
    unload_ipython_extension(shell)
