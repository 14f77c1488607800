"""The Lambdas section: a lambda deployed from a notebook appears live; the invoke box; rollback; remove."""

from __future__ import annotations

import urllib.error

import pytest
from playwright.sync_api import Page, expect

from tests.jupyter_fixtures import RunningServer
from tests.sidebar.ui import (
    confirm,
    deploy,
    invoke,
    lambda_row,
    live_panel,
    notebook,
    open_lab,
    open_lambda,
    open_notebook,
    open_panel,
    run_all_cells,
    save_notebook,
    write_event,
)

GREETER = '''%%ol_lambda greeter
import six

def f(event):
    print("greeting", event["name"])
    return {"greeting": "hello " + event["name"], "six": six.__version__}
'''
RAISES = '''def helper(event):
    raise ValueError("no good: " + repr(event))

def f(event):
    return helper(event)
'''


def test_the_panel_opens_from_the_left_bar_and_from_the_palette(page: Page, lab: RunningServer):
    open_lab(page, lab)
    panel = open_panel(page)
    expect(panel.get_by_role("tab", name="Lambdas")).to_have_attribute("aria-selected", "true")
    expect(panel.get_by_role("tab", name="Packages")).to_be_visible()
    expect(panel.get_by_role("tab", name="Activity")).to_be_visible()

    page.locator('.jp-SideBar [data-id="ol-notebook-sidebar"]').click()  # closed again
    expect(panel).to_be_hidden()
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("lambda")
    commands = page.locator(".lm-CommandPalette-item .lm-CommandPalette-itemLabel")
    for label in ("Lambdas Panel", "Invoke a Lambda…", "Refresh Lambdas and Packages"):
        expect(commands.get_by_text(label, exact=True)).to_be_visible()
    commands.get_by_text("Lambdas Panel", exact=True).click()
    expect(live_panel(page)).to_be_visible()


def test_a_lambda_deployed_from_a_notebook_cell_appears_live_and_runs_from_the_invoke_box(page: Page,
                                                                                          lab: RunningServer):
    save_notebook(lab, "deploy.ipynb", notebook("%load_ext ol_notebook\n%ol_requirements six==1.17.0", GREETER))
    open_notebook(page, lab, "deploy.ipynb")
    panel = open_panel(page)
    expect(lambda_row(panel, "greeter")).to_have_count(0)

    run_all_cells(page)  # the kernel deploys it through the server's REST API
    row = lambda_row(panel, "greeter")
    expect(row).to_be_visible()  # from the event stream: nothing was refreshed by hand
    expect(row).to_contain_text("v1")
    row.locator(".ol-pins summary").click()
    expect(row.locator(".ol-pins")).to_contain_text("six==1.17.0")

    detail = open_lambda(panel, "greeter")
    expect(detail.locator(".ol-CodeView.ol-mod-readonly")).to_contain_text('print("greeting", event["name"])')
    outcome = invoke(detail, '{"name": "browser"}')
    expect(outcome.locator(".ol-Outcome-result")).to_contain_text('"greeting": "hello browser"')
    expect(outcome.locator(".ol-Outcome-result")).to_contain_text('"six": "1.17.0"')
    expect(outcome.locator(".ol-Outcome-stdout")).to_contain_text("greeting browser")
    expect(outcome.locator(".ol-Outcome-meta")).to_contain_text("greeter@1")
    expect(outcome.locator(".ol-Outcome-start")).to_have_text("cold start")  # the first call
    expect(invoke(detail, '{"name": "again"}').locator(".ol-Outcome-start")).to_have_text("warm")
    expect(detail.locator(".ol-Invocation")).to_have_count(2)  # newest first
    expect(detail.locator(".ol-Invocation-output").first).to_contain_text("greeting again")


def test_an_invalid_event_is_refused_inline_and_nothing_is_sent(page: Page, lab: RunningServer):
    deploy(lab, "echo", "def f(event):\n    return event\n")
    open_lab(page, lab)
    detail = open_lambda(open_panel(page), "echo")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/ol/run/" in request.url else None)

    write_event(detail, '{"name": ')
    invalid = detail.locator(".ol-InvokeBox-invalid")
    expect(invalid).to_contain_text("Not JSON")
    detail.locator(".ol-InvokeBox-run").click()
    expect(invalid).to_be_visible()
    expect(detail.locator(".ol-Outcome")).to_have_count(0)
    assert sent == []
    assert lab.request("GET", "ol/lambdas/echo/logs")["logs"] == []

    outcome = invoke(detail, "[1, 2, 3]")  # valid again: the message goes, the call is made
    expect(invalid).to_have_count(0)
    expect(outcome.locator(".ol-Outcome-result")).to_contain_text("3")
    assert len(sent) == 1


def test_a_raising_lambda_shows_its_traceback_error_type_and_status(page: Page, lab: RunningServer):
    deploy(lab, "raiser", RAISES)
    open_lab(page, lab)
    detail = open_lambda(open_panel(page), "raiser")
    outcome = invoke(detail, '{"k": 1}')
    expect(outcome).to_have_class("ol-Outcome ol-Outcome-error")
    expect(outcome.locator(".ol-Outcome-meta")).to_contain_text("HTTP 500")
    expect(outcome.locator(".ol-Outcome-type")).to_have_text("LambdaError")
    expect(outcome.locator(".ol-Outcome-message")).to_have_text("ValueError: no good: {'k': 1}")
    traceback = outcome.locator(".ol-Outcome-traceback")
    expect(traceback).to_contain_text("in helper")
    expect(traceback).to_contain_text("line 2")
    expect(detail.locator(".ol-Invocation .ol-outcome-error").first).to_contain_text("LambdaError")


def test_rollback_then_remove(page: Page, lab: RunningServer):
    deploy(lab, "versioned", "def f(event):\n    return 'first'\n")
    deploy(lab, "versioned", "def f(event):\n    return 'second'\n")
    open_lab(page, lab)
    panel = open_panel(page)
    detail = open_lambda(panel, "versioned")
    expect(detail.locator(".ol-LambdaDetail-version")).to_have_text("v2")

    detail.locator('.ol-Version[data-version="1"] .ol-rollback').click()
    confirm(page, "Roll back")
    expect(detail.locator(".ol-LambdaDetail-version")).to_have_text("v1")
    expect(detail.locator('.ol-Version[data-version="1"] .ol-current')).to_be_visible()
    expect(detail.locator(".ol-CodeView.ol-mod-readonly")).to_contain_text("return 'first'")
    assert lab.request("GET", "ol/lambdas/versioned")["version"] == 1
    expect(invoke(detail, "null").locator(".ol-Outcome-result pre")).to_have_text('"first"')

    detail.locator(".ol-remove").click()
    confirm(page, "Cancel")  # asked first: nothing happens
    assert lab.request("GET", "ol/lambdas/versioned")["version"] == 1
    detail.locator(".ol-remove").click()
    confirm(page, "Remove")
    expect(detail).to_have_count(0)  # back to the list, where it is gone
    expect(panel.locator(".ol-LambdaRow").first).to_be_visible()
    expect(lambda_row(panel, "versioned")).to_have_count(0)
    with pytest.raises(urllib.error.HTTPError) as removed:
        lab.request("GET", "ol/lambdas/versioned")
    assert removed.value.code == 404


def test_nothing_is_fetched_while_the_panel_is_hidden(page: Page, lab: RunningServer):
    open_lab(page, lab)
    panel = open_panel(page)
    tab_button = page.locator('.jp-SideBar [data-id="ol-notebook-sidebar"]')
    tab_button.click()  # collapses the left area
    expect(panel).to_be_hidden()
    expect(panel.locator(".ol-stream")).to_have_attribute("data-state", "off")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/ol/" in request.url else None)

    watcher = page.context.browser.new_context().new_page()  # a panel that is open, for comparison
    try:
        open_lab(watcher, lab)
        watching = open_panel(watcher)
        deploy(lab, "while_hidden", "def f(event):\n    return event\n")
        expect(lambda_row(watching, "while_hidden")).to_be_visible()  # the open panel heard of it and asked
    finally:
        watcher.context.close()
    assert asked == []  # the hidden one did neither

    tab_button.click()  # shown again: everything is asked for once, the new lambda with it
    expect(lambda_row(live_panel(page), "while_hidden")).to_be_visible()
    assert any(url.split("?")[0].endswith("/ol/lambdas") for url in asked)
