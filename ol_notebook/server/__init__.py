"""The Jupyter server extension: one Worker for the life of the server, behind an authenticated REST API.

Layout: app (the ExtensionApp, its traits, the Worker's lifecycle, the environment kernels
inherit), handlers (thin REST handlers: parse, call the Worker, serialise), progress (progress
events from worker threads to NDJSON responses and the server-sent event stream).
"""

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """How Jupyter finds the extension (enabled as `ol_notebook.server` by jupyter-config/)."""
    from ol_notebook.server.app import OLNotebookApp

    return [{"module": "ol_notebook.server.app", "app": OLNotebookApp}]
