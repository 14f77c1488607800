"""The lambda commands as a user meets them: a failed invoke shows what the lambda printed and its
traceback; rollback goes back to what served before and says which; `lambdas` is a table."""

PRINTS_THEN_RAISES = '''import sys

def helper(event):
    print("working on", event)
    print("careful", file=sys.stderr)
    raise ValueError("bad event " + repr(event))

def f(event):
    return helper(event)
'''
RETURNS = "def f(event):\n    return {n}\n"


def test_invoke_of_a_lambda_that_raises_prints_its_output_and_traceback_then_exits_1(run, tmp_path):
    (tmp_path / "handler.py").write_text(PRINTS_THEN_RAISES)
    run("deploy", "boom", "handler.py")
    failed = run("invoke", "boom", '{"k": 1}', ok=False)
    assert failed.stdout == ""  # stdout carries only a result
    err = failed.stderr
    assert "working on {'k': 1}\n" in err and "careful\n" in err
    assert "Traceback (most recent call last)" in err and 'line 6, in helper' in err and "in f" in err
    assert err.rstrip().splitlines()[-1] == "error: lambda 'boom' raised ValueError: bad event {'k': 1}"
    assert err.index("working on") < err.index("Traceback") < err.index("error: lambda")


def test_invoke_of_a_lambda_that_times_out_prints_the_error_and_exits_1(run, tmp_path):
    (tmp_path / "handler.py").write_text("import time\n\ndef f(event):\n    print('started')\n    time.sleep(30)\n")
    run("deploy", "slow", "handler.py", "--timeout", "1")
    failed = run("invoke", "slow", ok=False)
    assert "ran longer than its timeout of 1 s" in failed.stderr.splitlines()[-1]
    assert failed.stderr.startswith("started\n")  # what it printed before the timeout is not lost


def test_rollback_goes_back_to_the_version_that_served_before_and_says_which(run, tmp_path):
    for n in (1, 2):
        (tmp_path / "handler.py").write_text(RETURNS.format(n=n))
        run("deploy", "hello", "handler.py")
    assert run("rollback", "hello", "1").stdout == "hello now serves version 1 (as asked, in place of version 2)\n"
    (tmp_path / "handler.py").write_text(RETURNS.format(n=3))
    assert "lambda hello version 3 deployed" in run("deploy", "hello", "handler.py").stdout
    rolled = run("rollback", "hello").stdout
    assert rolled == "hello now serves version 1 (the version current before version 3)\n"
    assert run("invoke", "hello").stdout == "1\n"
    assert "error: there is no lambda named 'nope'" in run("rollback", "nope", ok=False).stderr


def test_lambdas_prints_a_header_row_like_packages(run, tmp_path):
    (tmp_path / "handler.py").write_text(RETURNS.format(n=1))
    run("deploy", "a-long-lambda-name", "handler.py")
    run("deploy", "b", "handler.py", "--requirements", "alpha==1.1")
    lines = run("lambdas").stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "DEPLOYED", "PINS"]
    assert [line.split()[0] for line in lines[1:]] == ["a-long-lambda-name", "b"]
    assert lines[1].endswith("  -") and lines[2].endswith("  alpha==1.1")
    assert len({line.index(line.split()[1]) for line in lines}) == 1  # the VERSION column is aligned
