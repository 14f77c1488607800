"""ol-notebook: notebook code as sandboxed, dependency-pinned serverless functions."""

__version__ = "0.1.0"
