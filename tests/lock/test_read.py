"""Reading locks: a valid one reads, and each kind of bad lock is refused naming the file and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from ol_notebook.lock import LockError, read_lock

VALID = """lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "alpha"
version = "1.0"
[[packages.wheels]]
url = "http://127.0.0.1:1/alpha-1.0-py3-none-any.whl"
hashes = {sha256 = "00"}
"""


def write(tmp_path: Path, text: str, name: str = "pylock.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_lock_reads(tmp_path: Path) -> None:
    lock = read_lock(write(tmp_path, VALID, "pylock.dev.toml"))
    assert [(package.name, str(package.version)) for package in lock.packages] == [("alpha", "1.0")]


@pytest.mark.parametrize(("name", "text", "says"), [
    ("requirements.toml", VALID, "is not named like a PEP 751 lock"),
    ("pylock.toml", "lock-version = ", "is not valid TOML"),
    ("pylock.toml", VALID.replace('"1.0"\ncreated', '"9.0"\ncreated'), "lock-version this ol-notebook cannot read"),
    ("pylock.toml", VALID.replace('name = "alpha"\n', ""), "is not a valid PEP 751 lock"),
])
def test_a_bad_lock_is_refused_naming_the_file_and_why(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = write(tmp_path, text, name)
    with pytest.raises(LockError, match=says) as refused:
        read_lock(path)
    assert str(path) in str(refused.value)


def test_a_missing_lock_says_so(tmp_path: Path) -> None:
    with pytest.raises(LockError, match=r"cannot read the lock .*pylock.toml: No such file"):
        read_lock(tmp_path / "pylock.toml")
