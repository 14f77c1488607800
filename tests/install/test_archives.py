"""ArchiveMemo: what read_wheel finds in a wheel, remembered by the wheel's sha256, equal to reading it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from ol_notebook.install import ArchiveMemo
from ol_notebook.wheel_archive import read_wheel

TOOLPKG = "toolpkg-1.0-py3-none-any.whl"  # a console script: the memo must keep its `bin/` path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_remembered_wheel_reads_as_the_wheel_itself_without_opening_it(local_index, tmp_path):
    wheel = tmp_path / TOOLPKG
    wheel.write_bytes((local_index.files_dir / TOOLPKG).read_bytes())
    memo = ArchiveMemo(tmp_path / "archives")
    first = memo.read(wheel, sha256_of(wheel))
    assert first == read_wheel(wheel) and first.problem is None and "bin/toolpkg" in first.target_paths
    wheel.write_bytes(b"")  # no zip any more: only the memo can answer now
    again = memo.read(wheel, sha256_of(local_index.files_dir / TOOLPKG))
    assert again == first and again.target_paths == first.target_paths
    assert [path.name for path in memo.directory.iterdir()] == [f"{sha256_of(local_index.files_dir / TOOLPKG)}.json"]


def test_an_unfit_wheel_is_never_remembered(tmp_path):
    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("../escaped.py", b"")
    memo = ArchiveMemo(tmp_path / "archives")
    assert "outside the install directory" in (memo.read(wheel, sha256_of(wheel)).problem or "")
    assert not memo.directory.exists()


def test_no_memo_without_a_well_formed_sha256(local_index, tmp_path):
    wheel = local_index.files_dir / TOOLPKG
    memo = ArchiveMemo(tmp_path / "archives")
    assert memo.read(wheel, None) == read_wheel(wheel)
    assert memo.read(wheel, "../../escape") == read_wheel(wheel)
    assert not memo.directory.exists() and not (tmp_path / "escape.json").exists()


def test_an_unreadable_memo_counts_as_absent_and_is_written_again(local_index, tmp_path):
    wheel = local_index.files_dir / TOOLPKG
    memo = ArchiveMemo(tmp_path / "archives")
    memo.read(wheel, sha256_of(wheel))
    remembered = memo.directory / f"{sha256_of(wheel)}.json"
    valid = json.loads(remembered.read_text())
    for garbage in ("{not json", '{"format": 1, "record": [[1]]}', '{"format": 99}', "[]",
                    json.dumps({**valid, "members": "abc"})):
        remembered.write_text(garbage)
        assert memo.read(wheel, sha256_of(wheel)) == read_wheel(wheel)
        assert remembered.read_text() != garbage
