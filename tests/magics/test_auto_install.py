"""%%ol_lambda on both paths: unchanged cells keep their version, --force redeploys, missing
imports are named before the start, and --auto-install (or %ol_requirements --auto-install) adds them.

The REST path's server and store are shared by the session: once a test pulled pyyaml, the store
names the distribution of `yaml` as it spells it, so those names are compared without case."""

import pytest

from ol_notebook.runtime import LambdaStartError
from tests.magics.cells import capture, cell, line

YAML = "import yaml\n\ndef f(event):\n    return yaml.DIST\n"
ALPHA = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


def test_rerunning_an_unchanged_cell_keeps_its_version_and_force_redeploys(ipython):
    cell(ipython, "ol_lambda", "same --requirements alpha==1.1", ALPHA)
    again = cell(ipython, "ol_lambda", "same --requirements alpha==1.1", ALPHA)
    assert again.texts[-1] == "Deploying same: unchanged, still version 1 (alpha==1.1)"
    assert "Deploying same: starting version 2" not in again.texts
    assert again.value(None) == "1.1"
    forced = cell(ipython, "ol_lambda", "same --requirements alpha==1.1 --force", ALPHA)
    assert forced.value.describe()["version"] == 2 and not forced.texts[-1]  # the handle below says it
    assert [item["version"] for item in again.value.describe()["history"]] == [1, 2]


def test_a_missing_import_is_named_and_the_failed_start_says_what_to_add(ipython):
    with pytest.raises(LambdaStartError) as caught:
        cell(ipython, "ol_lambda", "reader --requirements alpha==1.1", YAML)
    headline = caught.value._render_traceback_()[0].splitlines()
    assert headline[0] == ("LambdaStartError: lambda 'reader' could not start: importing handler.py raised "
                           "ModuleNotFoundError: No module named 'yaml'")
    assert headline[1].lower() == (  # PyYAML from the table, or as the shared server's store spells it
        "hint: yaml is provided by none of its packages: add pyyaml to its requirements (e.g. "
        "%%ol_lambda reader --requirements 'alpha==1.1 pyyaml'), or deploy it with --auto-install")
    assert "reader" not in ipython.user_ns


def test_the_warning_is_shown_before_the_start(ipython):
    lazy = "def f(event):\n    import yaml\n    return 1\n"
    ran = cell(ipython, "ol_lambda", "later --requirements ''", lazy)
    warned = [text for text in ran.texts if "warning: lambda 'later' imports yaml (line 2)" in text]
    assert warned and "add pyyaml to its requirements" in warned[0].lower()
    assert ran.texts.index(warned[0]) < next(i for i, text in enumerate(ran.texts) if "starting version 1" in text)


def test_auto_install_adds_the_distribution_and_says_so(ipython):
    ran = cell(ipython, "ol_lambda", "reader --requirements alpha==1.1 --auto-install", YAML)
    assert ran.texts[-1].lower().startswith(
        "deploying reader: version 1 deployed with pyyaml added for its imports (alpha==1.1, pyyaml==6.0.1)")
    assert ran.value(None) == "pyyaml"
    described = ran.value.describe()
    assert described["requirements"].lower() == "alpha==1.1\npyyaml\n" and described["settings"]["auto_install"] is True


def test_the_notebooks_auto_install_applies_to_cells_deployed_afterwards(ipython):
    shown = line(ipython, "ol_requirements", "alpha==1.1 --auto-install")
    assert "auto-install is on" in shown.stdout
    ran = cell(ipython, "ol_lambda", "reader", YAML)
    assert ran.value(None) == "pyyaml" and ran.value.describe()["pins"] == ["alpha==1.1", "pyyaml==6.0.1"]


def test_a_call_time_import_is_added_once_and_the_call_says_so(ipython):
    lazy = "import lazyyaml\n\ndef f(event):\n    return lazyyaml.load(event)\n"
    deployed = cell(ipython, "ol_lambda", "later --requirements lazyyaml --auto-install", lazy)
    called = capture(deployed.value, "a: 1")
    assert called.value == "a: 1"  # the index's yaml stand-in echoes
    assert "lambda later: added" in called.stderr and "for an import of f, redeployed and called again" in called.stderr
    assert "pyyaml" in called.stderr.lower() and deployed.value.describe()["version"] == 2
