"""A handle never replaces a variable or a builtin unnoticed, and %ol_rm deletes only that lambda's handle."""

import builtins

from ol_notebook.magics.handle import LambdaHandle
from tests.magics.cells import cell, line

ONE = "def f(event):\n    return 1\n"


def deploy(ipython, name: str):
    return cell(ipython, "ol_lambda", f"{name} --requirements ''", ONE)


def test_a_deploy_over_a_plain_variable_binds_and_warns_naming_what_it_held(ipython):
    ipython.user_ns["df"] = [1, 2, 3]
    ran = deploy(ipython, "df")
    assert ipython.user_ns["df"] is ran.value
    assert ran.stderr == ("warning: the handle of lambda 'df' replaced the variable df, which held a list (name "
                          'the lambda otherwise to keep both; ol_notebook.lambdas["df"] gets a handle without a '
                          "variable)\n")
    assert deploy(ipython, "df").stderr == ""  # its own handle is replaced silently


def test_a_deploy_named_like_a_builtin_warns_that_it_shadows_it(ipython):
    ran = deploy(ipython, "print")
    try:
        assert ipython.user_ns["print"] is ran.value
        assert ran.stderr == ("warning: the handle of lambda 'print' now shadows the builtin print (del print brings "
                              'the builtin back; ol_notebook.lambdas["print"] gets a handle without a variable)\n')
    finally:
        del ipython.user_ns["print"]
    assert builtins.print is print
    ran = line(ipython, "ol_lambdas", "--bind")
    assert "print" not in ipython.user_ns
    assert ('warning: print not bound: it would replace the builtin print; the handle: ol_notebook.lambdas["print"]'
            in ran.stderr.splitlines())


def test_ol_handle_over_a_variable_warns_and_bind_leaves_it(ipython):
    deploy(ipython, "report")
    ipython.user_ns["report"] = {"rows": 3}
    assert "which held a dict" in line(ipython, "ol_handle", "report").stderr
    assert isinstance(ipython.user_ns["report"], LambdaHandle)
    ipython.user_ns["report"] = 42
    ran = line(ipython, "ol_lambdas", "--bind")
    assert ipython.user_ns["report"] == 42
    assert "warning: report not bound: it would replace the variable report, which held an int; " in ran.stderr


def test_rm_deletes_the_variable_only_while_it_holds_that_lambdas_handle(ipython):
    deploy(ipython, "df")
    ipython.user_ns["df"] = [1, 2, 3]  # rebound by the user since
    assert line(ipython, "ol_rm", "df").stdout == (
        "removed lambda df; the variable df stays (it holds a list, not this lambda's handle); its packages stay "
        "in the store until a gc\n")
    assert ipython.user_ns["df"] == [1, 2, 3]

    deploy(ipython, "new-one")  # its variable is new_one
    ran = deploy(ipython, "new_one")  # the same variable: now the handle of lambda new_one
    assert "replaced the variable new_one, which held the handle of lambda 'new-one'" in ran.stderr
    assert line(ipython, "ol_rm", "new-one").stdout.startswith(
        "removed lambda new-one; the variable new_one stays (it holds the handle of lambda 'new_one', not this "
        "lambda's handle)")
    assert ipython.user_ns["new_one"].name == "new_one"
    assert line(ipython, "ol_rm", "new_one").stdout.startswith(
        "removed lambda new_one and the variable new_one (its handle);")
    assert "new_one" not in ipython.user_ns

    deploy(ipython, "gone")
    del ipython.user_ns["gone"]
    assert line(ipython, "ol_rm", "gone").stdout == "removed lambda gone; its packages stay in the store until a gc\n"
