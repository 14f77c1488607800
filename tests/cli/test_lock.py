"""`ol-notebook lock` and `ol-notebook freeze`, run as a user would, on the local index."""

from __future__ import annotations

import tomllib

from ol_notebook.lock import read_lock

HANDLER = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


def names(text: str) -> dict[str, str]:
    return {package["name"]: package["version"] for package in tomllib.loads(text)["packages"]}


def test_lock_prints_the_lock_of_requirements_and_files(run, tmp_path, local_index):
    (tmp_path / "requirements.in").write_text("py-widget  # the widget\n")
    result = run("lock", "alpha==2.0", "-r", "requirements.in")
    data = tomllib.loads(result.stdout)
    assert names(result.stdout) == {"alpha": "2.0", "beta": "1.5", "py-widget": "1.0"}
    assert data["tool"]["ol-notebook"]["requirements"] == ["alpha==2.0", "py-widget"]
    assert {package["index"] for package in data["packages"]} == {local_index.url}
    assert "ok     alpha==2.0" in result.stderr  # the pull's progress, on stderr


def test_lock_writes_a_pep_751_named_file_whole(run, tmp_path):
    result = run("lock", "alpha==1.0", "-o", "pylock.dev.toml")
    assert result.stdout == "" and "wrote the lock of 1 package to pylock.dev.toml" in result.stderr
    lock = read_lock(tmp_path / "pylock.dev.toml")
    assert [(package.name, str(package.version)) for package in lock.packages] == [("alpha", "1.0")]
    assert sorted(path.name for path in tmp_path.glob("*pylock*")) == ["pylock.dev.toml"]


def test_lock_to_a_file_not_named_like_pep_751_is_refused_before_any_work(run, tmp_path):
    failed = run("lock", "alpha==1.0", "-o", "requirements.lock", ok=False)
    assert "error: cannot write the lock to requirements.lock: PEP 751 names lock files pylock.toml" in failed.stderr
    assert not (tmp_path / "requirements.lock").exists() and not list(run.store.glob("runtimes/*/packages/*"))


def test_lock_of_what_cannot_be_locked_or_resolved_says_what(run):
    failed = run("lock", "alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl", ok=False)
    assert "error: alpha cannot be locked: alpha@ https://example.invalid" in failed.stderr.replace(" @ ", "@ ")
    assert "was not found" in run("lock", "no-such-package", ok=False).stderr
    assert "error: no requirements" in run("lock", ok=False).stderr


def test_freeze_gives_the_lock_each_kept_version_runs(run, tmp_path):
    (tmp_path / "handler.py").write_text(HANDLER)
    run("deploy", "show", "handler.py", "--requirements", "alpha==1.0")
    run("deploy", "show", "handler.py", "--requirements", "alpha==2.0")
    assert names(run("freeze", "show").stdout) == {"alpha": "2.0", "beta": "1.5"}
    assert names(run("freeze", "show", "--version", "1").stdout) == {"alpha": "1.0"}
    run("freeze", "show", "-o", "pylock.show.toml")
    assert names((tmp_path / "pylock.show.toml").read_text()) == {"alpha": "2.0", "beta": "1.5"}
    assert "error: lambda 'show' has no version 9 (kept: 1, 2)" in run("freeze", "show", "--version", "9",
                                                                        ok=False).stderr
    assert "error: there is no lambda named 'nope'" in run("freeze", "nope", ok=False).stderr
