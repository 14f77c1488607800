"""The command line as a user watches it: a call's prints appear while it runs, Ctrl-C cancels
it, an unchanged deploy says so and creates nothing, --force deploys anyway."""

from __future__ import annotations

import os
import signal
import subprocess

from tests.cli.conftest import CLI

TICKS = "import time\n\ndef f(event):\n    print('first line', flush=True)\n    time.sleep(60)\n    return 1\n"


def _sigint_handled() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_invoke_prints_the_lambdas_output_while_it_runs(run, tmp_path):
    (tmp_path / "handler.py").write_text(TICKS)
    run("deploy", "ticks", "handler.py", "--timeout", "90")
    env = {**os.environ, "OL_NOTEBOOK_STORE": str(run.store), "OL_NOTEBOOK_LAMBDAS": str(tmp_path / "lambdas")}
    # As from a terminal: Ctrl-C's SIGINT handled. A test run started in the background by a shell
    # (`pytest &`) has SIGINT ignored, and an ignored SIGINT stays ignored across exec.
    with subprocess.Popen([CLI, "invoke", "ticks"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env=env, cwd=tmp_path, preexec_fn=_sigint_handled) as process:
        try:
            assert process.stderr.readline() == "first line\n"  # blocks until it is printed: no timing
            assert process.poll() is None  # while the call still runs
            process.send_signal(signal.SIGINT)  # Ctrl-C: the call is cancelled, the sandbox stopped
            assert process.wait(timeout=60) == 130
            assert "interrupted: lambda 'ticks' was cancelled" in process.stderr.read()
        finally:
            process.kill()
        assert "LambdaCancelled" in run("logs", "ticks").stdout


def test_an_unchanged_deploy_creates_no_version_and_force_does(run, tmp_path):
    (tmp_path / "handler.py").write_text("def f(event):\n    return 1\n")
    assert run("deploy", "same", "handler.py").stdout == "lambda same version 1 deployed (no packages)\n"
    assert run("deploy", "same", "handler.py").stdout == "lambda same unchanged, still version 1 (no packages)\n"
    assert run("deploy", "same", "handler.py", "--force").stdout == "lambda same version 2 deployed (no packages)\n"
    assert run("deploy", "same", "handler.py", "--timeout", "5").stdout.startswith("lambda same version 3 deployed")
