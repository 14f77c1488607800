"""Writing a lock from data someone else may have changed (a version's closure.json, its stored
pylock.toml, a hand-made closure): a lock that would send installers to a host file, another host,
or a path outside the index is refused naming the package and why, and no lock file is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ol_notebook.lock import LockError, frozen_packages
from ol_notebook.registry import LOCK
from ol_notebook.resolve import Closure
from ol_notebook.store import EntryMetadata

CLI = str(Path(sys.executable).with_name("ol-notebook"))
HANDLER = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


@pytest.fixture
def cli(tmp_path, local_index):
    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "OL_NOTEBOOK_STORE": str(tmp_path / "store"), "OL_NOTEBOOK_INDEX_URL": local_index.url,
               "OL_NOTEBOOK_LAMBDAS": str(tmp_path / "lambdas")}
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    (tmp_path / "handler.py").write_text(HANDLER)
    assert run("deploy", "show", "handler.py", "--requirements", "alpha==1.0").returncode == 0
    run.version = tmp_path / "lambdas" / "show" / "versions" / "1"
    return run


def tamper(version: Path, url: str = "", filename: str = "") -> None:
    """Point the version's closure at another URL or file name (same sha256), and drop its stored lock."""
    path = version / "closure.json"
    data = json.loads(path.read_text())
    wheel = data["pins"][0]["wheels"][0]
    wheel["url"] = url or wheel["url"]
    wheel["filename"] = filename or wheel["filename"]
    path.write_text(json.dumps(data))
    (version / LOCK).unlink()


@pytest.mark.parametrize(("url", "says"), [
    ("file:///etc/passwd", "comes from file:///etc/passwd, which is not a file of the index it was resolved from"),
    ("https://evil.example/files/alpha-1.0-py3-none-any.whl", "comes from https://evil.example/files/alpha-1.0"),
    ("http://127.0.0.1:1/files/alpha-1.0-py3-none-any.whl", "comes from http://127.0.0.1:1/"),
])
def test_a_closure_pointing_outside_its_index_is_not_frozen_and_nothing_is_written(cli, tmp_path, url, says):
    tamper(cli.version, url=url)
    failed = cli("freeze", "show", "-o", "pylock.toml")
    assert failed.returncode == 1 and not (tmp_path / "pylock.toml").exists()
    assert failed.stderr.startswith("error: alpha 1.0 cannot be locked: it ") and says in failed.stderr


def test_a_file_name_with_a_path_in_it_is_refused(cli, tmp_path):
    tamper(cli.version, filename="../../alpha-1.0-py3-none-any.whl")
    failed = cli("freeze", "show", "-o", "pylock.toml")
    assert failed.returncode == 1 and not (tmp_path / "pylock.toml").exists()
    assert "is not a valid PEP 751 lock" in failed.stderr and "../../alpha-1.0-py3-none-any.whl" in failed.stderr


def test_a_stored_lock_changed_into_an_invalid_one_is_refused_naming_it(cli, tmp_path):
    stored = cli.version / LOCK
    stored.write_text(stored.read_text().replace('lock-version = "1.0"', 'lock-version = "7.0"'))
    failed = cli("freeze", "show")
    assert failed.returncode == 1 and failed.stdout == ""
    assert f"error: the lock {stored} has a lock-version this ol-notebook cannot read" in failed.stderr


def test_a_store_entry_installed_from_another_file_is_not_passed_off_as_the_closure_s():
    """The store key is NAME==VERSION: an entry from another index's different build of it must not be
    locked under this closure's URL and hash."""
    closure = Closure.from_json(json.dumps({
        "requirements": ["alpha"], "runtime_id": "x", "python_version": "3.11.7", "index": "PyPI",
        "pins": [{"name": "alpha", "version": "1.0", "index": "PyPI", "sdist": None, "wheels": [{
            "filename": "alpha-1.0-py3-none-any.whl", "sha256": "aa" * 32, "size": 1,
            "url": "https://files.pythonhosted.org/packages/alpha-1.0-py3-none-any.whl"}]}]}))
    other = EntryMetadata(name="alpha", version="1.0", filename="alpha-1.0-py3-none-any.whl",
                          url="file:///srv/mirror/alpha-1.0-py3-none-any.whl", sha256="bb" * 32,
                          index="file:///srv/mirror")
    with pytest.raises(LockError, match=r"installed it from alpha-1.0-py3-none-any.whl \(sha256 bbbb"):
        frozen_packages(closure, lambda key: other)
