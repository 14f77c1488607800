"""Shared pytest configuration: the local package index fixtures (``local_index``, ``canary``)."""

pytest_plugins = ["tests.localindex.plugin"]
