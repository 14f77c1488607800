"""Shared pytest configuration: the local package index (``local_index``, ``canary``) and engine fixtures."""

pytest_plugins = ["tests.localindex.plugin", "tests.engine"]
