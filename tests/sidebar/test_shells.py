"""The sidebar outside the plain JupyterLab path: Notebook 7 (no sidebar tab bar: View opens it),
the light and dark themes (computed colours; screenshots), and a server that has no ol-notebook
API or refuses it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.jupyter_fixtures import RunningServer, start_jupyter_server
from tests.sidebar.ui import (
    PANEL,
    deploy,
    invoke,
    live_panel,
    notebook,
    open_lab,
    open_lambda,
    open_panel,
    put_lab_setting,
    run_menu,
    save_notebook,
)

HELLO = '''import six

def f(event):
    name = event.get("name", "world")
    print("greeting", name)
    return {"greeting": f"hello {name}", "six": six.__version__}
'''
THEMES = "@jupyterlab/apputils-extension:themes"
# `make screenshots` sets this to docs/, where the README's pictures live.
SCREENSHOTS = os.environ.get("OL_SIDEBAR_SCREENSHOTS")
REPOSITORY = Path(__file__).resolve().parents[2]


def test_notebook_7_opens_the_panel_from_the_view_menu(page: Page, lab: RunningServer):
    deploy(lab, "from_view", "def f(event):\n    return event\n")
    save_notebook(lab, "classic.ipynb", notebook("1 + 1"))
    page.goto(f"{lab.url}notebooks/classic.ipynb?token={lab.token}")
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible()
    expect(page.locator(PANEL)).to_be_hidden()

    run_menu(page, "View", "Lambdas Panel")
    panel = live_panel(page)
    expect(panel.locator('.ol-LambdaRow[data-name="from_view"]')).to_be_visible()

    run_menu(page, "View", "Invoke a Lambda…")  # asks which, then opens it with the focus in its invoke box
    page.locator(".jp-Dialog select").select_option("from_view")
    page.locator(".jp-Dialog").get_by_role("button", name="OK").click()
    event = panel.locator('.ol-LambdaDetail[data-name="from_view"] .ol-InvokeBox .cm-content')
    expect(event).to_be_focused()


def luminance(page: Page, locator: Locator, prop: str) -> float:
    """The relative luminance (0 black to 1 white) of a computed colour of the element."""
    channels = locator.evaluate(
        """(element, prop) => {
            const probe = document.createElement('canvas').getContext('2d');
            probe.fillStyle = getComputedStyle(element)[prop];
            probe.fillRect(0, 0, 1, 1);
            return Array.from(probe.getImageData(0, 0, 1, 1).data.slice(0, 3));
        }""",
        prop,
    )
    red, green, blue = (channel / 255 for channel in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def theme_colour(page: Page, variable: str) -> str:
    """What a JupyterLab theme variable computes to, as a CSS colour."""
    return page.evaluate(
        """(variable) => {
            const probe = document.createElement('div');
            probe.style.color = `var(${variable})`;
            document.body.appendChild(probe);
            const colour = getComputedStyle(probe).color;
            probe.remove();
            return colour;
        }""",
        variable,
    )


@pytest.fixture
def themed(lab: RunningServer) -> Iterator[None]:
    yield
    put_lab_setting(lab, THEMES, {"theme": "JupyterLab Light"})


def show_hello(page: Page, lab: RunningServer) -> Locator:
    """The panel as the README shows it: hello's details after one call from the invoke box."""
    open_lab(page, lab)
    detail = open_lambda(open_panel(page), "hello")
    invoke(detail, '{"name": "sidebar"}')
    expect(detail.locator(".ol-CodeView.ol-mod-readonly .cm-line").first).to_be_visible()
    return detail


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """The left of the window, the panel widened to 420 pixels by dragging its edge."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(33 + 420, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    folder = REPOSITORY / SCREENSHOTS if SCREENSHOTS else tmp_path
    page.screenshot(path=folder / name, clip={"x": 0, "y": 0, "width": 460, "height": 900})


@pytest.mark.usefixtures("themed")
def test_the_panel_follows_the_light_and_the_dark_theme(page: Page, lab: RunningServer, tmp_path: Path):
    deploy(lab, "hello", HELLO, "six==1.17.0")
    for theme, background, text in (("JupyterLab Light", (0.85, 1.0), (0.0, 0.3)),
                                    ("JupyterLab Dark", (0.0, 0.2), (0.6, 1.0))):
        put_lab_setting(lab, THEMES, {"theme": theme})
        detail = show_hello(page, lab)
        expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme)
        sidebar = page.locator(".ol-Sidebar")
        assert sidebar.evaluate("element => getComputedStyle(element).backgroundColor") == \
            theme_colour(page, "--jp-layout-color1")
        assert background[0] <= luminance(page, sidebar, "backgroundColor") <= background[1], theme
        for element in (detail.locator(".ol-LambdaDetail-name"), detail.locator(".ol-Outcome-result pre"),
                        detail.locator(".ol-Section > summary").first):
            assert text[0] <= luminance(page, element, "color") <= text[1], (theme, element)
        code = detail.locator(".ol-CodeView.ol-mod-readonly")
        assert background[0] - 0.15 <= luminance(page, code, "backgroundColor") <= background[1], theme
        screenshot(page, f"sidebar-{theme.split()[-1].lower()}.png", tmp_path)


@pytest.mark.parametrize("refusal", ["no extension", "refused"])
def test_a_server_without_the_api_is_said_so_in_words(page: Page, tmp_path: Path, refusal: str):
    if refusal == "no extension":
        args, env, words = ["--ServerApp.jpserver_extensions=ol_notebook.server=False"], {}, "has no ol-notebook"
    else:
        args = ["--ServerApp.authorizer_class=tests.sidebar.authorizer.RefuseLambdas"]
        env, words = {"PYTHONPATH": str(REPOSITORY)}, "refused the ol-notebook API"
    server = start_jupyter_server(tmp_path, None, app="jupyterlab", args=args, env=env, ready="api/status")
    try:
        open_lab(page, server)
        page.locator(f'.jp-SideBar [data-id="{PANEL[1:]}"]').click()
        message = page.locator(f"{PANEL} .ol-unavailable")
        expect(message).to_contain_text(words)
        expect(page.locator(f"{PANEL} .ol-stream")).to_have_attribute("data-state", "off")
        expect(page.locator(f"{PANEL} [role=tab]")).to_have_count(0)
    finally:
        server.stop()
