"""ol-notebook: notebook code as sandboxed, dependency-pinned serverless functions.

This module is also the entry point of both Jupyter faces, imported lazily so that
`import ol_notebook` (the CLI, the engine) never pulls in Jupyter or IPython:
`%load_ext ol_notebook` loads the magics, and the server extension is found through
`_jupyter_server_extension_points`.
"""

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from ol_notebook.server.app import OLNotebookApp

    return [{"module": "ol_notebook.server.app", "app": OLNotebookApp}]
