"""%ol_invoke, %ol_lambdas, %ol_packages, %ol_logs, %ol_rm, and --help of every magic."""

import pytest
from IPython.core.error import UsageError

from ol_notebook.magics.errors import MagicError
from ol_notebook.magics.magics import OLMagics
from ol_notebook.registry import RegistryError
from ol_notebook.runtime import LambdaError
from tests.magics.cells import cell, line, run_cell

ECHO = """import alpha

def f(event):
    print("event:", event)
    if event == "fail":
        raise RuntimeError("asked to fail")
    return event
"""


@pytest.fixture
def echo(ipython):
    """A lambda that prints and returns its event (and fails on "fail"), pinning alpha==1.0."""
    cell(ipython, "ol_lambda", "echo --requirements alpha==1.0", ECHO)
    return ipython.user_ns["echo"]


def test_invoke_takes_the_rest_of_the_line_as_the_json_event(ipython, echo):
    ran = line(ipython, "ol_invoke", 'echo {"a": [1, 2], "s": "x y", "t": "{b}"}')  # no {var} expansion
    assert ran.value == {"a": [1, 2], "s": "x y", "t": "{b}"}
    assert ran.stdout == "event: {'a': [1, 2], 's': 'x y', 't': '{b}'}\n"
    assert line(ipython, "ol_invoke", "echo").value == {}
    with pytest.raises(LambdaError, match="raised RuntimeError: asked to fail"):
        line(ipython, "ol_invoke", 'echo "fail"')


def test_invoke_with_invalid_json_or_an_unknown_lambda_names_the_problem(ipython, echo):
    message = "the event for lambda 'echo' is not valid JSON: Expecting property name enclosed in double quotes"
    with pytest.raises(MagicError, match=message):
        line(ipython, "ol_invoke", "echo {a: 1}")
    shown = run_cell(ipython, "%ol_invoke echo {a: 1}")
    assert shown.stdout.startswith(f"MagicError: {message}: line 1 column 2 (char 1): {{a: 1}}")
    with pytest.raises(RegistryError, match=r"there is no lambda named 'nobody' \(deployed: .*echo"):
        line(ipython, "ol_invoke", "nobody {}")


def test_lambdas_and_packages_are_tables(ipython, echo):
    echo(1)
    lambdas = line(ipython, "ol_lambdas").value
    where = ipython.magics_manager.registry[OLMagics.__name__].client.where
    assert lambdas.caption == f"{len(lambdas.rows)} lambda{'s' * (len(lambdas.rows) != 1)} on {where}"
    (row,) = [row for row in lambdas.rows if row[0] == "echo"]
    assert row[:5] == ("echo", "1", "alpha==1.0", "warm", "1") and row[5].endswith(" ms")
    assert ">echo</td>" in lambdas._repr_html_()
    assert any(text.startswith("echo ") for text in repr(lambdas).splitlines()[2:])

    packages = line(ipython, "ol_packages").value
    alpha = [row for row in packages.rows if row[:2] == ("alpha", "1.0")]
    assert len(alpha) == 1 and alpha[0][3] == "alpha"  # its import names
    assert {entry["key"] for entry in packages.data} >= {"alpha==1.0"}


def test_logs_show_recent_invocations_newest_last(ipython, echo):
    echo("first")
    with pytest.raises(LambdaError):
        echo("fail")
    logs = line(ipython, "ol_logs", "echo").value
    assert logs.caption.startswith("last 2 invocations of echo, newest last")
    assert [(row[0], row[2], row[5]) for row in logs.rows] == [
        ("#2", "1", "ok"), ("#1", "1", "error: LambdaError: lambda 'echo' raised RuntimeError: asked to fail")]
    assert logs.rows[0][6] == "event: first"
    assert [row[5] for row in line(ipython, "ol_logs", "echo --limit 1").value.rows] == [logs.rows[-1][5]]
    assert echo.logs(limit=1).rows == line(ipython, "ol_logs", "echo -n 1").value.rows
    with pytest.raises(UsageError, match="--limit must be at least 1"):
        line(ipython, "ol_logs", "echo --limit 0")


def test_rm_removes_the_lambda_and_its_handle(ipython, echo):
    ran = line(ipython, "ol_rm", "echo")
    assert ran.stdout == ("removed lambda echo and the variable echo (its handle); its packages stay in the store "
                          "until a gc\n")
    assert "echo" not in ipython.user_ns
    assert "echo" not in {row[0] for row in line(ipython, "ol_lambdas").value.rows}
    with pytest.raises(RegistryError, match="there is no lambda named 'echo'"):
        echo(1)
    assert repr(echo).startswith("<lambda echo: there is no lambda named 'echo' (deployed: ")
    with pytest.raises(RegistryError, match="there is no lambda named 'echo'"):
        line(ipython, "ol_rm", "echo")


@pytest.mark.parametrize("path", ["local"], indirect=True)
@pytest.mark.parametrize(("magic", "option"), [
    ("ol_requirements", "--add"), ("ol_invoke", "EVENT_JSON"), ("ol_lambdas", "--help"), ("ol_packages", "--help"),
    ("ol_logs", "--limit"), ("ol_rm", "NAME"),
])
def test_help_prints_the_usage(ipython, magic, option):
    ran = line(ipython, magic, "--help")
    assert ran.value is None
    assert ran.stdout.lstrip(": \n").startswith(f"%{magic} [-h]") and option in ran.stdout
    assert ipython.magics_manager.registry[OLMagics.__name__]._client is None  # nothing was started


@pytest.mark.parametrize("path", ["local"], indirect=True)
def test_help_of_the_cell_magic_and_usage_errors(ipython):
    ran = cell(ipython, "ol_lambda", "--help", "def f(event):\n    return 1\n")
    assert ran.value is None and "%ol_lambda [-h]" in ran.stdout and "--no-network" in ran.stdout
    assert "f" not in ipython.user_ns
    with pytest.raises(UsageError, match="the following arguments are required: NAME"):
        line(ipython, "ol_logs", "")
    with pytest.raises(UsageError, match="unrecognized arguments: --bogus"):
        line(ipython, "ol_lambdas", "--bogus")
    with pytest.raises(UsageError, match="--show takes no requirements"):
        line(ipython, "ol_requirements", "--show alpha")
    with pytest.raises(UsageError, match="No closing quotation"):
        line(ipython, "ol_requirements", "'alpha")
