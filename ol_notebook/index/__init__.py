"""Talking to package indexes: where packages come from, how uv is called, which wheels fit.

Nothing here knows about the store; higher layers pass paths in.
"""

from ol_notebook.index.config import IndexConfig, IndexConfigError
from ol_notebook.index.download import DownloadError, download
from ol_notebook.index.runtime import Runtime
from ol_notebook.index.uv import uv_binary, uv_environment, uv_sandbox_spec

__all__ = [
    "DownloadError",
    "IndexConfig",
    "IndexConfigError",
    "Runtime",
    "download",
    "uv_binary",
    "uv_environment",
    "uv_sandbox_spec",
]
