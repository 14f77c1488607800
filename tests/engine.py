"""pytest fixtures for the package engine: a PackageService on a fresh store, on the local index."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.packages import PackageService
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker

T = TypeVar("T")

# Small enough that a hostile build is stopped in seconds, large enough for every normal fixture package.
TEST_LIMITS_TIMEOUT = 20.0


def make_service(store_dir: Path, index: IndexConfig, **changes) -> PackageService:
    """A service on `store_dir` using exactly `index`, with test-sized limits unless overridden."""
    settings = Settings(store_dir=store_dir, index=index, bwrap=None, unsafe_no_sandbox=False)
    changes.setdefault("install_limits", replace(settings.install_limits, timeout=TEST_LIMITS_TIMEOUT))
    return PackageService(replace(settings, **changes))


@pytest.fixture
def http_index(local_index) -> IndexConfig:
    return IndexConfig.from_options(index_url=local_index.url)


@pytest.fixture
def service(tmp_path: Path, http_index: IndexConfig) -> PackageService:
    """A PackageService on a fresh store, pulling from the local index over HTTP."""
    return make_service(tmp_path / "store", http_index)


def run_scenario(worker: Worker, scenario: Callable[[Worker], Awaitable[T]]) -> T:
    """Run `scenario(worker)` on a fresh event loop, closing the worker (its sandboxes) after it."""

    async def body() -> T:
        try:
            return await scenario(worker)
        finally:
            await worker.close()

    return asyncio.run(body())
