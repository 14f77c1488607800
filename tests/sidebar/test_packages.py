"""The Packages and Activity sections: the store as a table, Verify, garbage collection with its dry
run, live progress of a pull started elsewhere, and what a call made elsewhere printed."""

from __future__ import annotations

import re
import urllib.error

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.jupyter_fixtures import RunningServer
from tests.sidebar.ui import confirm, deploy, open_lab, open_panel, tab

USES_ALPHA = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


def packages_tab(page: Page, lab: RunningServer) -> Locator:
    open_lab(page, lab)
    panel = open_panel(page)
    tab(panel, "Packages")
    return panel


def keys(table: Locator) -> list[str]:
    return [row.get_attribute("data-key") or "" for row in table.locator("tbody tr").all()]


def test_the_table_lists_what_the_store_holds_filters_and_sorts(page: Page, lab: RunningServer, local_index):
    deploy(lab, "uses_alpha", USES_ALPHA, "alpha==2.0")
    store = lab.request("GET", "ol/packages")
    panel = packages_tab(page, lab)
    table = panel.locator(".ol-PackagesTable")
    expect(table.locator("tbody tr")).to_have_count(len(store["packages"]))
    expect(panel.locator(".ol-Packages-total")).to_contain_text(f"{len(store['packages'])} packages")
    cells = table.locator('tr[data-key="alpha==2.0"] td')
    expect(cells.nth(0)).to_have_text("alpha")
    expect(cells.nth(1)).to_have_text("2.0")
    expect(cells.nth(2)).to_have_text(re.compile(r"^\d+(\.\d)? (B|KiB)$"))
    expect(cells.nth(3)).to_have_text("alpha")  # its import names
    expect(cells.nth(4)).to_have_attribute("title", local_index.url)
    expect(cells.nth(5)).to_have_text("uses_alpha")
    expect(table.locator('tr[data-key="beta==1.5"] td').last).to_contain_text("uses_alpha")  # pinned through alpha

    panel.get_by_label("Filter packages").fill("uses_alpha")
    expect(table.locator("tbody tr")).to_have_count(2)
    panel.get_by_label("Filter packages").fill("")
    expect(table.locator("tbody tr")).to_have_count(len(store["packages"]))

    size = table.get_by_role("button", name="size")
    size.click()
    size.click()
    expect(table.locator("th").nth(2)).to_have_attribute("aria-sort", "descending")
    by_size = sorted(store["packages"], key=lambda item: (-item["size"], item["key"]))
    assert keys(table)[0] == by_size[0]["key"]


def test_verify_and_garbage_collection_with_its_dry_run(page: Page, lab: RunningServer):
    lab.request("POST", "ol/pull", {"requirements": "delta"})  # kept by no lambda and no root: garbage
    garbage = lab.request("POST", "ol/gc", {})["removed"]
    assert "delta==1.0" in garbage
    panel = packages_tab(page, lab)
    table = panel.locator(".ol-PackagesTable")
    expect(table.locator('tr[data-key="delta==1.0"]')).to_be_visible()

    panel.get_by_role("button", name="Verify").click()
    expect(panel.locator(".ol-report-ok")).to_contain_text("Verified")

    panel.get_by_role("button", name="Garbage-collect").click()
    dialog = page.locator(".jp-Dialog")
    for key in garbage:
        expect(dialog.locator(".ol-GcDryRun")).to_contain_text(key)
    confirm(page, "Cancel")  # the dry run deleted nothing
    assert "delta==1.0" in [item["key"] for item in lab.request("GET", "ol/packages")["packages"]]

    panel.get_by_role("button", name="Garbage-collect").click()
    confirm(page, "Delete")
    expect(panel.locator(".ol-report-ok")).to_contain_text("Deleted")
    expect(table.locator('tr[data-key="delta==1.0"]')).to_have_count(0)
    left = {item["key"] for item in lab.request("GET", "ol/packages")["packages"]}
    assert not left & set(garbage) and set(keys(table)) == left


def test_a_pull_started_elsewhere_shows_its_progress_in_activity(page: Page, lab: RunningServer):
    open_lab(page, lab)
    panel = open_panel(page)
    tab(panel, "Activity")
    pulled = lab.request("POST", "ol/pull", {"requirements": "epsilon\nbulky"})  # as a terminal would
    assert sorted(pulled["installed"]) == ["bulky==1.0", "epsilon==1.0", "eta==1.0"]

    operation = panel.locator(".ol-Operation").first
    expect(operation.locator(".ol-Operation-title")).to_have_text("pull")
    expect(operation.locator(".ol-Operation-state")).to_have_text("done")
    for key in pulled["installed"]:
        item = operation.locator(f'.ol-Item[data-key="{key}"]')
        expect(item).to_have_attribute("data-kind", "done")
        expect(item).to_contain_text("installed")
    tab(panel, "Packages")  # refreshed by the same events
    expect(panel.locator('.ol-PackagesTable tr[data-key="bulky==1.0"]')).to_be_visible()

    tab(panel, "Activity")
    with pytest.raises(urllib.error.HTTPError):
        lab.request("POST", "ol/pull", {"requirements": "nosuchpackage"})
    failed = panel.locator(".ol-Operation").first
    expect(failed.locator(".ol-Operation-state")).to_have_text("failed")
    expect(failed.locator(".ol-Operation-message")).to_contain_text("PackageNotFound")
    expect(failed.locator(".ol-Operation-message")).to_contain_text("nosuchpackage")


PRINTER = "def f(event):\n    for n in range(3):\n        print('line', n)\n    return 'printed'\n"


def test_a_call_made_elsewhere_shows_what_it_printed_in_activity(page: Page, lab: RunningServer):
    deploy(lab, "printer", PRINTER)
    open_lab(page, lab)
    panel = open_panel(page)
    tab(panel, "Activity")
    assert lab.request("POST", "ol/run/printer", None) == "printed"  # as a terminal would
    operation = panel.locator(".ol-Operation").first
    expect(operation.locator(".ol-Operation-title")).to_have_text("run printer")
    expect(operation.locator(".ol-Operation-state")).to_have_text("done")
    expect(operation.locator(".ol-Operation-output")).to_have_text("line 0\nline 1\nline 2\n")
    expect(operation.locator(".ol-Item")).to_have_count(0)  # a call has no packages
