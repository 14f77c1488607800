"""What the magics look like: progress that gives way to the result, bars only for active work, headings
above tables, key/value tables without a header, a lambda's state said plainly, the errors a notebook
catches importable from `ol_notebook` with their own class; and a clone that running the quickstart leaves clean."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.utils.capture import capture_output
from jupyter_server.services.contents.filemanager import FileContentsManager

import ol_notebook
from ol_notebook.magics.progress import LiveProgress, ProgressView
from ol_notebook.magics.views import Table, declared_table, lambda_table
from ol_notebook.puller import PullEvent
from ol_notebook.runtime import errors
from tests.magics.cells import cell, line, run_cell

SUMMARY = {"name": "x", "version": 2, "pins": [], "created_at": "today", "state": "warm", "instances": 0,
           "settings": {"timeout": 30.0, "memory": 512 << 20, "network": True, "instances": 4}}


def shown(block) -> list[dict]:
    """The displays (and their updates) of running `block(progress)` in a LiveProgress."""
    with capture_output() as captured, LiveProgress("Deploying x") as progress:
        block(progress)
    return [output.data for output in captured.outputs]


def test_on_success_progress_gives_way_to_the_result_keeping_warnings(shell):  # displays need a shell
    def deploy(progress):
        progress(PullEvent("queued", "alpha==1.0"))
        progress(PullEvent("done", "alpha==1.0", bytes_done=10))
        progress.finish("version 1 deployed")

    *during, final = shown(deploy)
    assert any("alpha==1.0" in data["text/plain"] for data in during)
    assert final == {"text/html": ""}  # nothing left: the result below is the cell's output

    def warned(progress):
        progress(PullEvent("warning", "x", message="lambda 'x' shares the host's network"))
        progress.finish("version 1 deployed")

    assert shown(warned)[-1]["text/plain"] == "warning: lambda 'x' shares the host's network"
    kept = shown(lambda progress: progress.finish("unchanged, still version 3", keep=True))[-1]
    assert kept["text/plain"] == "Deploying x: unchanged, still version 3"
    assert "Deploying x: unchanged, still version 3" in kept["text/html"]

    with capture_output() as captured, pytest.raises(ValueError), LiveProgress("Deploying x") as progress:
        progress(PullEvent("failed", "alpha==1.0", message="build failed"))
        raise ValueError("no")
    assert captured.outputs[-1].data["text/plain"].startswith("Deploying x: failed (ValueError) (1/1 packages)")


def test_only_active_packages_have_a_moving_bar():
    view = ProgressView("Pulling")
    for kind in ("queued", "building", "installing", "failed"):
        view.add(PullEvent(kind, f"{kind}==1.0"))
    rows = {row.split("</code>")[0]: row for row in view._repr_html_().split("<tr><td><code>")[1:]}
    assert "<progress" not in rows["queued==1.0"] and "<progress" not in rows["failed==1.0"]
    assert "<progress></progress>" in rows["building==1.0"] and "<progress></progress>" in rows["installing==1.0"]


def test_captions_are_headings_above_the_table_and_key_value_tables_have_no_header():
    html = Table("a caption longer than its one narrow column", ("n",), [("1",)])._repr_html_()
    assert "<caption" not in html and html.index("<h4") < html.index("<table>")
    assert "a caption longer than its one narrow column</h4>" in html

    handle = lambda_table(SUMMARY)
    assert "<thead>" not in handle._repr_html_() and "<th" not in handle._repr_html_()
    assert repr(handle).splitlines()[:2] == ["lambda x", "version   2"]


@pytest.mark.parametrize(("state", "workers", "said"), [
    ("warm", 0, "warm: handler imported, no worker running"),
    ("warm", 1, "warm, 1 worker running"),
    ("warm", 2, "warm, 2 workers running"),
    ("cold", 0, "cold: starts on the next call"),
])
def test_a_handles_state_says_what_runs(state, workers, said):
    table = lambda_table({**SUMMARY, "state": state, "instances": workers})
    assert dict(table.rows)["state"] == said


def test_no_requirements_shows_the_sentence_alone(ipython):
    shown = line(ipython, "ol_requirements", "--show").value
    assert repr(shown) == "the notebook declares no requirements yet"
    assert "<table" not in shown._repr_html_() and "the notebook declares no requirements yet" in shown._repr_html_()
    assert "<table" in declared_table(["alpha==1.0"])._repr_html_()


def test_the_errors_of_a_call_are_importable_and_keep_their_own_class(ipython):
    cell(ipython, "ol_lambda", "slow --requirements '' --timeout 0.5",
         "import time\n\ndef f(event):\n    if event == 'raise':\n        raise ValueError(event)\n"
         "    time.sleep(5)\n")
    slow = ipython.user_ns["slow"]
    with pytest.raises(ol_notebook.LambdaError) as raised:
        slow("raise")
    with pytest.raises(ol_notebook.LambdaTimeout) as timed_out:
        slow("sleep")
    for error, cls in ((raised.value, errors.LambdaError), (timed_out.value, errors.LambdaTimeout)):
        assert type(error) is cls and type(error).__mro__.count(cls) == 1
        assert isinstance(error, ol_notebook.LambdaRuntimeError)
    assert raised.value._render_traceback_()[-1] == "ValueError: raise"
    shown = run_cell(ipython, "slow('raise')")
    assert "Traceback in lambda 'slow'" in shown.stdout and "ol_notebook" not in shown.stdout
    assert ol_notebook.LambdaCrashed is errors.LambdaCrashed
    if hasattr(errors, "LambdaCancelled"):  # added with cancellation
        assert ol_notebook.LambdaCancelled is errors.LambdaCancelled


def test_import_ol_notebook_and_its_errors_do_not_import_ipython():
    script = ("import sys, ol_notebook\nfrom ol_notebook import LambdaError, LambdaTimeout\n"
              "print(LambdaError.__module__, 'IPython' in sys.modules)\n"
              "try:\n    ol_notebook.nothing\nexcept AttributeError as error:\n    print(error)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["ol_notebook.runtime.errors False",
                                        "module 'ol_notebook' has no attribute 'nothing'"], done.stderr


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_running_the_quickstart_in_jupyter_leaves_the_clone_clean():
    """Jupyter's own contents manager saves a checkpoint beside the notebook, as when a user runs it."""
    notebooks = REPO / "notebooks"
    checkpoints = notebooks / ".ipynb_checkpoints"
    existed = checkpoints.exists()
    FileContentsManager(root_dir=str(REPO)).create_checkpoint("notebooks/quickstart.ipynb")
    try:
        assert any(checkpoints.iterdir())
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", str(notebooks)],
                                cwd=REPO, capture_output=True, text=True, check=True)
        assert status.stdout == ""
    finally:
        if not existed:
            shutil.rmtree(checkpoints)
