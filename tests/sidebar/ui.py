"""What a user does in JupyterLab or Notebook 7 with the sidebar, as Playwright steps."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.jupyter_fixtures import RunningServer

PANEL = "#ol-notebook-sidebar"


def open_lab(page: Page, server: RunningServer, path: str = "lab") -> None:
    """JupyterLab at `path` (e.g. "lab/tree/x.ipynb") with a fresh workspace, logged in by the token."""
    page.goto(f"{server.url}{path}?reset&token={server.token}")
    expect(page.locator(".jp-LabShell")).to_be_visible()


def open_panel(page: Page) -> Locator:
    """Click the sidebar's tab in JupyterLab's left bar; the panel, once it follows the server's events."""
    page.locator(f'.jp-SideBar [data-id="{PANEL[1:]}"]').click()
    return live_panel(page)


def live_panel(page: Page) -> Locator:
    panel = page.locator(PANEL)
    expect(panel.locator('.ol-stream[data-state="live"]')).to_be_visible()
    return panel


def open_notebook(page: Page, server: RunningServer, path: str) -> None:
    """A notebook in JupyterLab, its kernel started and idle."""
    open_lab(page, server, f"lab/tree/{path}")
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible()
    expect(page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")).to_have_attribute("data-status", "idle")


def run_menu(page: Page, menu: str, item: str) -> None:
    """Click `menu` in the main menu bar, then its item labelled `item`."""
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def run_all_cells(page: Page, attempts: int = 3) -> None:
    """Run → Run All Cells, until the notebook's first cell has been queued or run (its prompt is no
    longer `[ ]:`). A menu click that lands while JupyterLab is still settling focus after opening a
    panel can be lost (seen once in CI: both prompts still empty after 90 s); clicking again is what
    a user does."""
    prompt = page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".jp-InputPrompt")
    for attempt in range(attempts):
        run_menu(page, "Run", "Run All Cells")
        try:
            expect(prompt).not_to_have_text("[ ]:", timeout=10_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def tab(panel: Locator, name: str) -> None:
    panel.get_by_role("tab", name=name).click()


def lambda_row(panel: Locator, name: str) -> Locator:
    return panel.locator(f'.ol-LambdaRow[data-name="{name}"]')


def open_lambda(panel: Locator, name: str) -> Locator:
    """Select a lambda in the list; its details once they are loaded."""
    tab(panel, "Lambdas")
    lambda_row(panel, name).locator(".ol-LambdaRow-main").click()
    detail = panel.locator(f'.ol-LambdaDetail[data-name="{name}"]')
    expect(detail.locator(".ol-Section")).not_to_have_count(0)
    return detail


def write_event(detail: Locator, text: str) -> None:
    """Replace the invoke box's event, as pasting would."""
    detail.locator(".ol-InvokeBox .cm-content").fill(text)


def invoke(detail: Locator, text: str) -> Locator:
    """Run the lambda with `text` as its event; the outcome shown."""
    write_event(detail, text)
    detail.locator(".ol-InvokeBox-run").click()
    outcome = detail.locator(".ol-Outcome")
    expect(outcome).to_be_visible()
    return outcome


def confirm(page: Page, button: str) -> None:
    """Answer JupyterLab's dialog with `button`."""
    page.locator(".jp-Dialog").get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)


def deploy(server: RunningServer, name: str, code: str, requirements: str = "") -> dict[str, Any]:
    """Deploy through the REST API, as another client would."""
    return server.request("PUT", f"ol/lambdas/{name}", {"code": code, "requirements": requirements})


def notebook(*cells: str) -> dict[str, Any]:
    """A notebook of code cells for the default Python kernel."""
    return {
        "cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
                  for source in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def save_notebook(server: RunningServer, path: str, content: dict[str, Any]) -> None:
    server.request("PUT", f"api/contents/{path}", {"type": "notebook", "content": content})


def put_lab_setting(server: RunningServer, plugin: str, values: dict[str, Any]) -> None:
    """Change a JupyterLab setting (e.g. the theme) as its settings editor does."""
    server.request("PUT", f"lab/api/settings/{plugin}", {"raw": json.dumps(values)})
