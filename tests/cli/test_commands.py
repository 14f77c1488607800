"""The `ol-notebook` console script, run as a user would (a real subprocess)."""

import json
import shutil
import subprocess

from tests.cli.conftest import CLI


def test_help_explains_the_options():
    out = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    for word in ("compile", "pull", "packages", "verify", "gc", "--index-url", "--mirror", "--store", "bandersnatch"):
        assert word in out


def test_compile_prints_a_hashed_requirements_txt(run, tmp_path):
    (tmp_path / "requirements.in").write_text("alpha==2.0\n")
    out = run("compile", "-r", "requirements.in").stdout
    assert "alpha==2.0 \\\n    --hash=sha256:" in out and "beta==1.5 \\\n    --hash=sha256:" in out
    run("compile", "alpha==2.0", "-o", "closure.json")
    assert [pin["name"] for pin in json.loads((tmp_path / "closure.json").read_text())["pins"]] == ["alpha", "beta"]


def test_pull_then_packages_table(run):
    err = run("pull", "py-widget", "alpha==2.0").stderr
    assert "ok     py-widget==1.0" in err and "3 packages ready" in err and "3 installed" in err
    table = run("packages").stdout.splitlines()
    assert table[0].split() == ["NAME", "VERSION", "SIZE", "IMPORT", "NAMES", "INDEX"]
    widget = next(line for line in table if line.startswith("py-widget"))
    assert "widget_helpers, widgetlib" in widget and widget.rstrip().endswith("/simple/")
    assert "0 installed, 3 already there" in run("pull", "py-widget", "alpha==2.0").stderr


def test_errors_are_one_clear_line_and_exit_1(run):
    assert "error: package 'nope-nope' was not found on the index" in run("pull", "nope-nope", ok=False).stderr
    assert "line 1: invalid requirement 'alpha>=1 !'" in run("compile", "alpha>=1 !", ok=False).stderr
    assert "is not a size like 500M" in run("pull", "--disk", "lots", "alpha", ok=False).stderr


def test_verify_and_gc(run, tmp_path):
    run("pull", "alpha==2.0")
    run("compile", "alpha==2.0", "-o", "keep.txt")
    run("pull", "delta")
    assert "verified 3 packages: 0 corrupt" in run("verify").stdout
    assert "would remove 1 packages" in run("gc", "--keep-lock", "keep.txt").stdout
    assert "removed delta==1.0" in run("gc", "--keep-lock", "keep.txt", "--delete").stdout
    run("pull", "zeta", "--root", "notebook-1")
    assert "would remove 0 packages" in run("gc", "--keep-lock", "keep.txt").stdout
    assert "there is no root named 'nope' (roots: notebook-1)" in run("gc", "--forget-root", "nope", ok=False).stderr
    assert "removed zeta==1.0" in run("gc", "--keep-lock", "keep.txt", "--forget-root", "notebook-1", "--delete").stdout
    shutil.rmtree(next(run.store.glob("runtimes/*/packages/alpha==2.0/files/alpha")))
    out = run("verify", ok=False).stdout
    assert "CORRUPT alpha==2.0: alpha/__init__.py is missing" in out


def test_lambda_commands(run, tmp_path):
    (tmp_path / "handler.py").write_text("import alpha\n\ndef f(event):\n    print('got', event)\n"
                                         "    return {'alpha': alpha.__version__, 'x': event['x']}\n")
    env = {"OL_NOTEBOOK_LAMBDAS": str(tmp_path / "lambdas")}
    assert "lambda scraper version 1 deployed (alpha==1.1)" in run("deploy", "scraper", "handler.py", "--requirements",
                                                             "alpha==1.1", env=env).stdout
    invoked = run("invoke", "scraper", '{"x": 5}', env=env)
    assert json.loads(invoked.stdout) == {"alpha": "1.1", "x": 5} and "got {'x': 5}" in invoked.stderr
    assert "error: there is no lambda named 'nope'" in run("invoke", "nope", env=env, ok=False).stderr
    assert "KeyError" in run("invoke", "scraper", "{}", env=env, ok=False).stderr
    listed = run("lambdas", env=env).stdout.splitlines()
    assert listed[0].split() == ["NAME", "VERSION", "DEPLOYED", "PINS"] and listed[1].startswith("scraper ")
    assert listed[1].split()[1] == "1" and listed[1].endswith("alpha==1.1")
    logs = run("logs", "scraper", env=env).stdout
    assert "ok" in logs and "| got {'x': 5}" in logs and "ERROR" in logs
    assert "removed scraper" in run("rm", "scraper", env=env).stdout
    assert "0 lambdas" in run("lambdas", env=env).stderr


def test_host_network_is_an_explicit_opt_in_that_warns_on_every_deploy(run, tmp_path):
    (tmp_path / "handler.py").write_text("def f(event):\n    return 1\n")
    for _ in range(2):
        deployed = run("deploy", "shared", "handler.py", "--host-network")
        assert deployed.stderr.count("WARNING:") == 1 and "shares the host's network" in deployed.stderr
    assert json.loads(run("lambdas", "--json").stdout)[0]["settings"]["network"] == "host"
    quiet = run("deploy", "shared", "handler.py")
    assert "WARNING" not in quiet.stderr
    assert "not allowed with argument" in run("deploy", "x", "handler.py", "--no-network", "--host-network",
                                              ok=False).stderr
