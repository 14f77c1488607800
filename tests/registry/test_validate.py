import pytest

from ol_notebook.registry import InvalidLambda, validate_code, validate_name


@pytest.mark.parametrize("name", ["../x", "a/b", "", "x" * 65, "-lead", "has space", "dot.ted"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(InvalidLambda, match="is not allowed"):
        validate_name(name)


@pytest.mark.parametrize("name", ["scraper", "_x", "a-b_9", "x" * 64])
def test_safe_names_pass(name):
    assert validate_name(name) == name


def test_syntax_error_names_line_and_column():
    expected = r"lambda 'bad' has a syntax error at line 3, column \d+: .*\n    return \(\s*$"
    with pytest.raises(InvalidLambda, match=expected):
        validate_code("import os\ndef f(event):\n    return (\n", "bad")


def test_no_f_is_refused():
    with pytest.raises(InvalidLambda, match=r"defines no function f\(event\)"):
        validate_code("def g(event):\n    return 1\n", "nof")


def test_f_bound_to_a_constant_is_refused_with_its_line():
    with pytest.raises(InvalidLambda, match="f is bound to a constant at line 2"):
        validate_code("def f(event): pass\nf = 3\n", "const")


def test_async_f_is_refused():
    with pytest.raises(InvalidLambda, match="f at line 1 is async"):
        validate_code("async def f(event): ...\n", "aio")


@pytest.mark.parametrize("code", ["def f(event):\n    return event\n",
                                  "from json import dumps as f\n", "f = lambda event: event\n"])
def test_callables_pass(code):
    validate_code(code, "ok")
