"""Browser tests of the sidebar: Python Playwright driving Debian's chromium (`make system-deps`;
Playwright's own browser download fails here) against a real `jupyter lab` with the extension
installed as users get it, on the local package index.

One JupyterLab and one browser serve the whole package; each test gets a fresh browser context
and uses lambda names of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.jupyter_fixtures import RunningServer, start_jupyter_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Waits end when their condition holds; this only bounds a wait that never ends (a deploy pulls packages),
# for actions and for assertions alike.
TIMEOUT_MS = 90_000
expect.set_options(timeout=TIMEOUT_MS)
# Where the sidebar's own code is served from: a page error whose stack names it is ours.
OUR_SCRIPTS = "/labextensions/ol-notebook/"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium under Playwright, for as long as the block runs. While it runs, this
    thread has Playwright's event loop: keep it to the tests that need it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (make system-deps)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def jupyter_lab(directory: Path, index_url: str) -> Iterator[RunningServer]:
    server = start_jupyter_server(directory, index_url, app="jupyterlab")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory, local_index) -> Iterator[RunningServer]:
    with jupyter_lab(tmp_path_factory.mktemp("sidebar-lab"), local_index.url) as server:
        yield server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context; the test fails if the sidebar's code threw an uncaught error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    ours: list[str] = []
    page.on("pageerror", lambda error: ours.append(error.stack or str(error)) if OUR_SCRIPTS in (error.stack or "")
            else None)
    yield page
    context.close()
    assert not ours, ours
