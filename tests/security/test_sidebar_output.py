"""A lambda's code, output, result and traceback are untrusted text: the sidebar shows them as text.

The panel runs in the page that holds the user's Jupyter token, so markup a lambda prints must
never become markup there (an onerror handler could call the REST API, or read the token)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.jupyter_fixtures import RunningServer
from tests.sidebar.conftest import (
    chromium,
    jupyter_lab,
    page,  # noqa: F401  (a fresh context of this module's browser)
)
from tests.sidebar.ui import deploy, invoke, lambda_row, open_lab, open_lambda, open_panel


# Module-scoped, not the sidebar package's: Playwright's loop must not outlive these tests
# (asyncio.run in the rest of the suite would fail while it runs).
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, local_index) -> Iterator[RunningServer]:
    with jupyter_lab(tmp_path_factory.mktemp("security-lab"), local_index.url) as server:
        yield server


PAYLOAD = '<img src=x onerror="window.__ol_pwned = (window.__ol_pwned || 0) + 1">'
HOSTILE = f'''
PAYLOAD = {PAYLOAD!r}
# {PAYLOAD}

def f(event):
    print(PAYLOAD)
    if event.get("raise"):
        raise ValueError(PAYLOAD)
    return {{"html": PAYLOAD, PAYLOAD: 1}}
'''


def test_markup_from_a_lambda_is_shown_as_text_and_never_runs(page: Page, lab: RunningServer):  # noqa: F811
    deploy(lab, "hostile-markup", HOSTILE)
    open_lab(page, lab)
    panel = open_panel(page)
    expect(lambda_row(panel, "hostile-markup")).to_be_visible()
    detail = open_lambda(panel, "hostile-markup")
    expect(detail.locator(".ol-CodeView.ol-mod-readonly")).to_contain_text(f"# {PAYLOAD}")

    shown = invoke(detail, "{}")
    expect(shown.locator(".ol-Outcome-stdout")).to_contain_text(PAYLOAD)
    expect(shown.locator(".ol-Outcome-result")).to_contain_text("onerror")
    failed = invoke(detail, '{"raise": true}')
    expect(failed).to_contain_text("ValueError")
    expect(failed).to_contain_text(PAYLOAD)

    assert page.evaluate("window.__ol_pwned") is None
    assert page.locator('img[src="x"]').count() == 0  # no element was made from the lambda's text
