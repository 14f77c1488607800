"""%%ol_lambda: a cell deployed as a lambda with the notebook's (or its own) requirements, and its handle."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from ol_notebook.magics.errors import MagicError
from ol_notebook.registry import InvalidLambda
from ol_notebook.runtime import LambdaError, LambdaStartError
from tests.magics.cells import capture, cell, line, run_cell

SHOW = """import os
import alpha

def f(event):
    print("got", event)
    return {"alpha": alpha.__version__, "greeting": os.environ.get("GREETING"), "event": event}
"""
VERSION = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"
BLOCK = """# /// script
# requires-python = ">=3.8"
# dependencies = ["alpha==1.0"]
# ///
import alpha

def f(event):
    return alpha.__version__
"""


def test_a_cell_becomes_a_lambda_called_through_its_handle(ipython):
    line(ipython, "ol_requirements", "alpha==1.1")
    ran = cell(ipython, "ol_lambda", "show --timeout 5 --memory 256M --env GREETING=hi --instances 2", SHOW)

    handle = ipython.user_ns["show"]
    assert ran.value is handle
    assert ran.texts[0] == "Deploying show: resolving"
    assert "Deploying show: starting version 1" in ran.texts
    assert ran.texts[-1] == ""  # the progress gives way to the handle's table: the cell shows it once

    called = capture(handle, {"n": 1})
    assert called.value == {"alpha": "1.1", "greeting": "hi", "event": {"n": 1}}
    assert called.stdout == "got {'n': 1}\n"
    settings = handle.describe()["settings"]
    assert (settings["timeout"], settings["memory"], settings["env"], settings["instances"]) == (
        5.0, 256 << 20, {"GREETING": "hi"}, 2)
    assert settings["network"] is True  # not given: the engine's default
    assert repr(handle) == "<lambda show version 1 (alpha==1.1), warm>"
    assert "timeout 5 s, memory 256.0 MB, network on, up to 2 instances" in handle._repr_html_()

    from_a_cell = run_cell(ipython, "show(2)['event']")
    assert from_a_cell.value.result == 2 and from_a_cell.stdout.startswith("got 2\n")


def test_two_lambdas_pin_two_versions_of_one_package_side_by_side(ipython):
    line(ipython, "ol_requirements", "alpha==1.1")
    cell(ipython, "ol_lambda", "old --requirements alpha==1.0", VERSION)
    cell(ipython, "ol_lambda", "new-one --requirements 'alpha==2.0'", VERSION)  # its handle: new_one
    assert (ipython.user_ns["old"](None), ipython.user_ns["new_one"](None)) == ("1.0", "2.0")
    pins = {item["name"]: item["pins"] for item in line(ipython, "ol_lambdas").value.data}
    assert pins == {"old": ["alpha==1.0"], "new-one": ["alpha==2.0", "beta==1.5"]}


def test_a_handle_can_be_called_from_many_threads_at_once(ipython):
    line(ipython, "ol_requirements", "alpha==1.1")
    double = cell(ipython, "ol_lambda", "double --requirements ''", "def f(event):\n    return event * 2\n").value
    assert double.describe()["pins"] == []  # --requirements '' means none, not the notebook's
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(double, range(16))) == [n * 2 for n in range(16)]


def test_a_pep_723_block_declares_the_lambdas_own_dependencies(ipython):
    line(ipython, "ol_requirements", "alpha==1.1")
    pinned = cell(ipython, "ol_lambda", "pinned --no-network", BLOCK).value
    plain = cell(ipython, "ol_lambda", "plain", VERSION).value
    assert (pinned(None), plain(None)) == ("1.0", "1.1")
    assert pinned.describe()["requirements"] == "alpha==1.0"
    assert pinned.describe()["settings"]["network"] is False

    with pytest.raises(MagicError, match=r"'twice' declares its requirements twice.*keep one"):
        cell(ipython, "ol_lambda", "twice --requirements alpha==2.0", BLOCK)
    with pytest.raises(MagicError, match=r"lambda 'future' requires Python >=4 .*but lambdas run on Python 3\.\d+"):
        cell(ipython, "ol_lambda", "future", BLOCK.replace(">=3.8", ">=4"))
    with pytest.raises(MagicError, match="block of lambda 'broken' is not valid TOML"):
        cell(ipython, "ol_lambda", "broken", BLOCK.replace('["alpha==1.0"]', '["alpha==1.0"'))
    deployed = {item["name"] for item in line(ipython, "ol_lambdas").value.data}
    assert {"pinned", "plain"} <= deployed and not {"twice", "future", "broken"} & deployed


@pytest.mark.parametrize(("body", "message"), [
    ("import os\n\ndef f(event):\n    return (\n", "lambda 'bad' has a syntax error at line 5, column 12"),
    ("def g(event):\n    return 1\n", "lambda 'bad' defines no function f(event)"),
    ("x = 1\n\nasync def f(event):\n    return 1\n", "lambda 'bad': f at line 4 is async"),
], ids=["syntax-error", "no-f", "async-f"])
def test_bad_code_is_refused_at_the_cells_own_line_numbers(ipython, body, message):
    shown = run_cell(ipython, f"%%ol_lambda bad\n{body}")
    assert shown.stdout.startswith(f"InvalidLambda: {message}")
    assert "Traceback" not in shown.stdout and "bad" not in ipython.user_ns
    with pytest.raises(InvalidLambda, match=re.escape(message)):
        cell(ipython, "ol_lambda", "bad", body)
    assert "bad" not in {item["name"] for item in line(ipython, "ol_lambdas").value.data}


def test_an_exception_in_the_lambda_shows_the_lambdas_traceback_in_cell_lines(ipython):
    boom = ("\ndef helper(event):\n    raise ValueError(f'bad event {event}')\n\n"
            "def f(event):\n    print('about to fail')\n    return helper(event)\n")
    cell(ipython, "ol_lambda", "boom", boom)
    with pytest.raises(LambdaError) as caught:
        ipython.user_ns["boom"](7)
    assert caught.value.type == "ValueError" and caught.value.message == "bad event 7"
    lines = caught.value._render_traceback_()
    assert lines[0] == "Traceback in lambda 'boom' (most recent call last):"
    assert '  File "%%ol_lambda boom", line 8, in f' in lines  # cell line 8: `return helper(event)`
    assert '  File "%%ol_lambda boom", line 4, in helper' in lines
    assert lines[-1] == "ValueError: bad event 7"

    shown = run_cell(ipython, "boom(7)")
    assert shown.stdout.startswith("about to fail\nTraceback in lambda 'boom'")
    assert "line 4, in helper" in shown.stdout and "ol_notebook" not in shown.stdout


def test_a_handler_that_fails_to_import_is_reported_with_its_traceback(ipython):
    code = "import os\nimport not_installed_anywhere\n\ndef f(event):\n    return 1\n"
    with pytest.raises(LambdaStartError) as caught:
        cell(ipython, "ol_lambda", "imp", code)
    lines = caught.value._render_traceback_()
    assert lines[0].startswith("LambdaStartError: lambda 'imp' could not start")
    assert '  File "%%ol_lambda imp", line 3, in <module>' in lines  # the import is on cell line 3
    assert "ModuleNotFoundError: No module named 'not_installed_anywhere'" in lines
    assert "imp" not in ipython.user_ns


def test_an_unknown_package_of_a_lambda_is_named(ipython):
    with pytest.raises(Exception, match="package 'no-such-package' was not found") as caught:
        cell(ipython, "ol_lambda", "lost --requirements no-such-package", VERSION)
    assert type(caught.value).__name__ == "PackageNotFound"
    assert caught.value._render_traceback_()[0].startswith("PackageNotFound: package 'no-such-package'")


def test_bad_options_are_usage_errors(ipython):
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="'lots' is not a size like 500M or 2G"):
        cell(ipython, "ol_lambda", "x --memory lots", VERSION)
    with pytest.raises(UsageError, match="--env 'GREETING' is not KEY=VALUE"):
        cell(ipython, "ol_lambda", "x --env GREETING", VERSION)
    with pytest.raises(InvalidLambda, match="lambda name '9lives' is not allowed"):
        cell(ipython, "ol_lambda", "9lives", VERSION)
    with pytest.raises(UsageError, match="--no-network and --host-network contradict"):
        cell(ipython, "ol_lambda", "x --no-network --host-network", VERSION)
