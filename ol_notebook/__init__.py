"""ol-notebook: notebook code as sandboxed, dependency-pinned serverless functions.

`%load_ext ol_notebook` looks for the IPython hooks here; they import the magics only when
called, so `import ol_notebook` (the CLI, the engine) never pulls in IPython. The server
extension's entry point is `ol_notebook.server`.
"""

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import unload_ipython_extension as unload

    unload(ipython)
