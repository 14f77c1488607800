"""%ol_logs shows a short tail of each invocation's output, numbered from the newest, and --full N one whole."""

import re

import pytest
from IPython.core.error import UsageError

from ol_notebook.magics.errors import MagicError
from ol_notebook.magics.views import TAIL_CHARACTERS
from ol_notebook.runtime import LambdaError
from tests.magics.cells import cell, line

CHATTY = """import sys

def f(event):
    for number in range(3000):
        print(f"line {number} of the chatty lambda")
    if event == "fail":
        print("about to fail", file=sys.stderr)
        raise ValueError("asked to")
    return "done"
"""


def test_a_lambda_printing_3000_lines_shows_its_last_lines_and_the_rest_on_demand(ipython):
    chatty = cell(ipython, "ol_lambda", "chatty --requirements ''", CHATTY).value
    chatty("ok")
    with pytest.raises(LambdaError):
        chatty("fail")
    table = line(ipython, "ol_logs", "chatty").value
    assert table.caption == ("last 2 invocations of chatty, newest last (%ol_logs chatty --full N shows invocation #N "
                             "whole)")
    assert [row[0] for row in table.rows] == ["#2", "#1"]

    first = table.rows[0][-1]
    mark, *shown = first.split("\n")
    assert re.fullmatch(r"\[\.\.\. \d+ more lines, and \d+\.\d KB before them not kept\]", mark), mark
    assert shown == [f"line {number} of the chatty lambda" for number in (2997, 2998, 2999)]
    last = table.rows[1][-1].split("\n")
    assert last[-2:] == ["line 2999 of the chatty lambda", "about to fail"]  # stdout, then stderr
    for row in table.rows:  # a few lines each, whatever the call printed
        assert len(row[-1]) <= TAIL_CHARACTERS + 80 and row[-1].count("\n") <= 3
    assert len(table._repr_html_()) < 3000

    whole = line(ipython, "ol_logs", "chatty --full 1").value
    text = repr(whole)
    assert text.startswith("invocation #1 of chatty (#1 is the newest): ")
    assert "--- error ---\nLambdaError: lambda 'chatty' raised ValueError: asked to\n" in text
    assert re.search(r"--- stdout \(its first \d+\.\d KB were not kept\) ---\n.*\n(line \d+ of the chatty lambda\n)+"
                     r"line 2999 of the chatty lambda\n--- stderr ---\nabout to fail$", text)
    assert text.count("\n") > 50  # all that the log kept, not a tail
    assert repr(chatty.logs().full(2)) == repr(line(ipython, "ol_logs", "chatty --full 2").value)
    assert "--- error ---" not in repr(chatty.logs().full(2))


def test_full_of_an_invocation_the_log_does_not_have_is_named(ipython):
    cell(ipython, "ol_lambda", "quiet --requirements ''", "def f(event):\n    return 1\n")
    with pytest.raises(MagicError, match="lambda 'quiet' has no logged invocations yet"):
        line(ipython, "ol_logs", "quiet --full 1")
    ipython.user_ns["quiet"](None)
    assert repr(line(ipython, "ol_logs", "quiet --full 1").value).endswith("ok\n(it printed nothing)")
    with pytest.raises(MagicError, match=r"lambda 'quiet' has no invocation #2 in its log: #1 \(the newest\) to #1 "):
        line(ipython, "ol_logs", "quiet --full 2")
    with pytest.raises(UsageError, match=r"--full takes an invocation's number, 1 \(the newest\) or more, not 0"):
        line(ipython, "ol_logs", "quiet --full 0")
