"""Shared pytest configuration: the local package index (``local_index``, ``canary``), AWS bundle runs
(``run_lambda``), engine fixtures, and a real `jupyter server` with the extension (``jupyter_server_url``)."""

pytest_plugins = ["tests.localindex.plugin", "tests.awsruntime.plugin", "tests.engine", "tests.jupyter_fixtures"]
