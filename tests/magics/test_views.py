"""What the magics show, and PEP 723 blocks, without an engine: escaping, alignment, parsing."""

import pytest
from packaging.specifiers import SpecifierSet

from ol_notebook.magics.errors import MagicError, in_cell_lines
from ol_notebook.magics.progress import ProgressView
from ol_notebook.magics.script import ScriptMetadata, check_python, read_script_metadata
from ol_notebook.magics.views import Table, logs_table
from ol_notebook.puller import PullEvent

HOSTILE = "<script>alert('x')</script>"


def test_tables_escape_everything_they_show_in_html():
    table = Table(f"caption {HOSTILE}", ("name", f"<b>{HOSTILE}"), [("a&b", HOSTILE)])
    html = table._repr_html_()
    assert "<script>" not in html and "<b><script>" not in html
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") == 3 and "a&amp;b" in html


def test_plain_text_aligns_columns_and_indents_further_lines_of_a_cell():
    logs = [{"at": 0.0, "version": 2, "duration": 0.0123, "cold": True, "ok": True, "error": None,
             "stdout": "one\ntwo\n", "stderr": ""}]
    lines = repr(logs_table("scraper", logs)).splitlines()
    assert lines[0] == "last 1 invocation of scraper, newest last (%ol_logs scraper --full N shows invocation #N whole)"
    assert lines[1].split() == ["#", "time", "version", "latency", "start", "outcome", "output"]
    assert lines[2].split()[:1] + lines[2].split()[3:] == ["#1", "2", "12.3", "ms", "cold", "ok", "one"]
    assert lines[3] == "    | two"
    assert lines[1].index("version") == lines[2].index("2 ")


def test_progress_shows_each_package_and_escapes_messages():
    view = ProgressView("Deploying scraper")
    view.add(PullEvent("resolving", "scraper"))
    view.add(PullEvent("queued", "alpha==1.0", bytes_total=2048))
    view.add(PullEvent("downloading", "alpha==1.0", bytes_done=1024, bytes_total=2048))
    view.add(PullEvent("failed", "beta==1.0", message=f"build failed: {HOSTILE}"))
    assert repr(view).splitlines()[0] == "Deploying scraper: pulling (1/2 packages)"
    assert "1.0 KB / 2.0 KB" in repr(view)
    html = view._repr_html_()
    assert '<progress value="1024" max="2048">' in html and "<script>" not in html and "&lt;script&gt;" in html
    view.add(PullEvent("starting", "scraper", message="version 3"))
    assert view.headline == "Deploying scraper: starting version 3 (1/2 packages)"


def test_a_lambdas_traceback_is_shown_in_the_lines_of_its_cell():
    trace = 'Traceback (most recent call last):\n  File "/handler/handler.py", line 7, in f\n' \
            '  File "/packages/alpha==1.0/files/alpha/__init__.py", line 3, in g\nValueError: 1\n'
    shown = in_cell_lines(trace, "scraper", 1)
    assert '  File "%%ol_lambda scraper", line 8, in f' in shown
    assert 'alpha/__init__.py", line 3, in g' in shown  # other files keep their own lines
    assert in_cell_lines(trace, "scraper", None) == trace


def test_the_script_block_is_read_as_pep_723_says():
    code = ('import os\n# /// script\n# requires-python = ">=3.11"\n# dependencies = [\n#   "alpha==1.0",\n'
            '#   "beta<2",\n# ]\n#\n# [tool.other]\n# x = 1\n# ///\n\n# /// other\n# ignored = true\n# ///\n')
    assert read_script_metadata(code, "x") == ScriptMetadata(("alpha==1.0", "beta<2"), SpecifierSet(">=3.11"))
    assert read_script_metadata("def f(event):\n    return 1\n", "x") is None
    assert read_script_metadata('# /// script\n# requires-python = ">=3.8"\n# ///\n', "x").dependencies is None


@pytest.mark.parametrize(("block", "message"), [
    ('# /// script\n# dependencies = "alpha"\n# ///\n', "dependencies must be a list of strings"),
    ("# /// script\n# dependencies = [\n# ///\n", "is not valid TOML"),
    ('# /// script\n# requires-python = "three"\n# ///\n', "requires-python 'three' is not a version specifier"),
    ("# /// script\n# dependencies = []\n# ///\nimport os\n# /// script\n# dependencies = []\n# ///\n",
     "has 2 `# /// script` blocks; PEP 723 allows one"),
])
def test_a_bad_script_block_is_named(block, message):
    with pytest.raises(MagicError, match=message):
        read_script_metadata(block, "scraper")


def test_requires_python_is_checked_against_the_runtime():
    metadata = ScriptMetadata(None, SpecifierSet(">=3.12"))
    check_python(metadata, "3.12.1", "new")
    with pytest.raises(MagicError, match=r"lambda 'new' requires Python >=3.12 .*run on Python 3.11.7"):
        check_python(metadata, "3.11.7", "new")
