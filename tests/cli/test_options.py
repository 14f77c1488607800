"""Global options before or after the command, as uv and pip take them; what --help says about them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ol_notebook.settings
from ol_notebook.cli import build_parser
from tests.cli.conftest import CLI

GLOBAL = ("--store", "--lambdas", "--index-url", "--mirror", "--bwrap", "--unsafe-no-sandbox")


@pytest.fixture
def bare(tmp_path, local_index):
    """The CLI with no OL_NOTEBOOK_* variables: what it uses comes from its options alone."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OL_NOTEBOOK_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # so nothing is written to ~/.local/share

    def bare(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert (result.returncode == 0) == ok, result.stdout + result.stderr
        return result

    return bare


def test_global_options_work_after_the_command(bare, tmp_path, local_index):
    store = tmp_path / "after"
    pulled = bare("pull", "--store", str(store), "alpha==2.0", "--index-url", local_index.url)
    assert "2 packages ready in " + str(store) in pulled.stderr
    listed = bare("packages", "--index-url", local_index.url, "--store", str(store)).stdout
    assert [line.split()[0] for line in listed.splitlines()] == ["NAME", "alpha", "beta"]
    before = bare("--store", str(store), "--index-url", local_index.url, "packages").stdout
    assert before == listed


def test_the_value_after_the_command_wins(bare, tmp_path, local_index):
    bare("--store", str(tmp_path / "a"), "pull", "--index-url", local_index.url, "--store", str(tmp_path / "b"),
         "delta")
    assert (tmp_path / "b" / "runtimes").is_dir() and not (tmp_path / "a").exists()


def test_index_and_mirror_on_either_side_are_still_refused_together(bare, local_index):
    refused = bare("--mirror", "/nonexistent", "compile", "--index-url", local_index.url, "alpha", ok=False)
    assert "choose one" in refused.stderr


def test_every_command_s_usage_lists_the_global_options():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"compile", "pull", "packages", "verify", "gc", "deploy", "invoke", "lambdas", "logs", "rm",
            "rollback"} <= set(commands)
    for name, command in commands.items():
        usage, text = command.format_usage(), command.format_help()
        assert all(option in usage for option in GLOBAL), (name, usage)
        assert "global options (before or after the command)" in text


def test_help_epilog_lists_every_variable_settings_reads_beside_its_option():
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    epilog = out[out.index("environment variables"):]
    read = set(re.findall(r"OL_NOTEBOOK_[A-Z_]+|XDG_DATA_HOME", Path(ol_notebook.settings.__file__).read_text()))
    assert read >= {"OL_NOTEBOOK_STORE", "OL_NOTEBOOK_LAMBDAS", "OL_NOTEBOOK_UNSAFE_NO_SANDBOX"}
    for variable in read:
        assert variable in epilog, variable
    assert "below" not in epilog and "overridden by the option beside it" in epilog
    lambdas_line = next(line for line in epilog.splitlines() if "OL_NOTEBOOK_LAMBDAS" in line)
    assert "--lambdas" in lambdas_line


def test_python_dash_m_runs_the_same_command_line():
    out = subprocess.run([sys.executable, "-m", "ol_notebook.cli", "rollback", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("usage: ol-notebook rollback") and "--store" in out
