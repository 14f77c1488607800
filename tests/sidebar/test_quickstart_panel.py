"""The quickstart's promise: after running it, its invoke, rollback and package inspection work from
the panel, without a magic (section 7 of notebooks/quickstart.ipynb)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.jupyter_fixtures import QUICKSTART, RunningServer, execute_notebook
from tests.sidebar.ui import confirm, invoke, lambda_row, open_lab, open_lambda, open_panel, tab


def test_the_quickstart_s_invoke_rollback_and_packages_from_the_panel(page: Page, lab: RunningServer):
    execute_notebook(lab, QUICKSTART)
    current = lab.request("GET", "ol/lambdas/hello")["version"]
    open_lab(page, lab)
    panel = open_panel(page)
    expect(lambda_row(panel, "hello")).to_contain_text(f"v{current}")
    expect(lambda_row(panel, "legacy")).to_be_visible()

    detail = open_lambda(panel, "hello")
    result = invoke(detail, '{"name": "sidebar"}').locator(".ol-Outcome-result pre")
    expect(result).to_contain_text('"greeting": "hi sidebar"')
    detail.locator(f'.ol-Version[data-version="{current - 1}"] .ol-rollback').click()
    confirm(page, "Roll back")
    expect(detail.locator(".ol-LambdaDetail-version")).to_have_text(f"v{current - 1}")
    result = invoke(detail, '{"name": "sidebar"}').locator(".ol-Outcome-result pre")
    expect(result).to_contain_text('"greeting": "hello sidebar"')

    tab(panel, "Packages")
    table = panel.locator(".ol-PackagesTable")
    expect(table.locator('tr[data-key="six==1.16.0"] td').last).to_have_text("legacy")
    expect(table.locator('tr[data-key="six==1.17.0"] td').last).to_contain_text("hello")
