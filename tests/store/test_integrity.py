"""Published entries are frozen, their bytecode is recorded, and a change is found by verify and check_entries."""

from __future__ import annotations

import compileall
import dataclasses
import os
from pathlib import Path

import packaging
import pytest

import ol_notebook
from ol_notebook.sandbox import PYTHON, Bind, Limits, Sandbox, SandboxSpec
from ol_notebook.store import EntryMetadata, Store, StoreError, entry_key
from ol_notebook.store.distinfo import RecordRow
from ol_notebook.store.integrity import INTEGRITY_FILE, Integrity, departures, survey
from ol_notebook.store.verified import VerifiedFiles
from tests.localindex.backend import dist_info_dir, record_hash
from tests.store.tampering import rewrite_keeping_mtime_and_size


def publish(store: Store, name: str = "pkg", version: str = "1.0", extra: dict[str, str] | None = None) -> Path:
    """Publish a hand-made install (sources, RECORD, bytecode compiled as the installer does); return its files."""
    key = entry_key(name, version)
    with store.install_lock(key):
        staging = store.new_staging(key)
        files = staging / "files"
        contents = {f"{name}/__init__.py": "from .mod import X\n", f"{name}/mod.py": "X = 1\n", **(extra or {})}
        info = dist_info_dir(name, version)
        contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        for path, text in contents.items():
            (files / path).parent.mkdir(parents=True, exist_ok=True)
            (files / path).write_text(text)
        rows = [f"{path},{record_hash(text.encode())},{len(text)}" for path, text in contents.items()]
        (files / info / "RECORD").write_text("\n".join([*rows, f"{info}/RECORD,,", ""]))
        compileall.compile_dir(files, quiet=1)
        store.publish(key, staging, EntryMetadata(name, version, "f.whl", "file:///f.whl", "0" * 64, "test"))
    return store.files_dir(key)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store", "cp311-cp311-linux_x86_64")


def bytecode_of(files: Path) -> Path:
    (pyc,) = (files / "pkg" / "__pycache__").glob("mod.*.pyc")
    return pyc


def test_installer_bytecode_is_recorded_and_anything_else_unlisted_is_a_problem(tmp_path):
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"recompiled")
    (tmp_path / "pkg" / "__pycache__" / "orphan.cpython-311.pyc").write_bytes(b"no source")
    (tmp_path / "pkg" / "stray.txt").write_text("not in RECORD\n")
    record = [
        RecordRow("pkg/mod.py", "sha256", "7dyI-Y3l4dT7_Qcn5B7N7N2r6Hdbc5gWjCqLS3s38f0", 6),
        RecordRow("pkg/__pycache__/mod.cpython-311.pyc", "sha256", "shipped-by-the-wheel", 10),
        RecordRow("pkg/__pycache__/orphan.cpython-311.pyc", "sha256", "shipped-by-the-wheel", 9),
        RecordRow("pkg/gone.py", "sha256", "abc", 3),
    ]
    bytecode, problems, verified, *_ = survey(tmp_path, record)
    assert list(bytecode) == ["pkg/__pycache__/mod.cpython-311.pyc"]  # rewritten by the installer: recorded
    assert verified == {}  # no file there is a hard link of a cache
    assert problems == [
        "pkg/__pycache__/orphan.cpython-311.pyc does not match its sha256 in RECORD",
        "pkg/mod.py does not match its sha256 in RECORD",
        "pkg/stray.txt is not in RECORD",
        "pkg/gone.py is missing",
    ]


def test_published_entry_has_no_write_bits_and_records_its_bytecode(store):
    files = publish(store)
    entry = files.parent
    paths = [entry, *entry.rglob("*")]
    assert {path.name for path in paths} >= {"meta.json", INTEGRITY_FILE, "mod.py", bytecode_of(files).name}
    writable = [str(path) for path in paths if os.lstat(path).st_mode & 0o222]
    assert writable == []
    recorded = Integrity.read(entry / INTEGRITY_FILE)
    assert list(recorded.bytecode) == [f"pkg/__pycache__/{name}" for name in
                                       sorted(p.name for p in (files / "pkg" / "__pycache__").iterdir())]
    assert store.verify() == []
    store.check_entries(["pkg==1.0"])


def test_bytecode_rewritten_with_its_mtime_and_size_is_found(store):
    files = publish(store)
    pyc = bytecode_of(files)
    original = pyc.read_bytes()
    rewrite_keeping_mtime_and_size(pyc, original[:-1] + bytes([original[-1] ^ 1]))
    relative = pyc.relative_to(files).as_posix()
    (corruption,) = store.verify()
    assert corruption.key == "pkg==1.0"
    assert corruption.problems == (f"{relative} does not match the sha256 recorded when it was installed",)
    with pytest.raises(StoreError, match=rf"pkg==1\.0: {relative} does not match") as caught:
        store.check_entries(["pkg==1.0"])
    assert "will not be run" in str(caught.value)


def test_source_rewritten_and_extra_file_are_found(store):
    files = publish(store)
    rewrite_keeping_mtime_and_size(files / "pkg" / "mod.py", b"X = 2\n")
    os.chmod(files / "pkg", 0o755)
    (files / "pkg" / "evil.py").write_text("import os\n")
    problems = store.verify()[0].problems
    assert problems == ("pkg/evil.py is not in RECORD", "pkg/mod.py does not match its sha256 in RECORD")
    with pytest.raises(StoreError, match=r"pkg/evil\.py is not in RECORD; pkg/mod\.py does not match"):
        store.check_entries(["pkg==1.0"])


def test_a_touch_costs_one_rehash_and_passes(store):
    files = publish(store)
    os.utime(files / "pkg" / "mod.py")  # content unchanged; mtime and ctime are new
    store.check_entries(["pkg==1.0"])
    assert "pkg==1.0" in store._checked  # the passing signature is remembered, the entry left as it is
    assert not os.lstat(files.parent).st_mode & 0o222
    store.check_entries(["pkg==1.0"])


def test_missing_and_legacy_entries_are_refused_with_the_reason(store):
    files = publish(store)
    os.chmod(files.parent, 0o755)
    (files.parent / INTEGRITY_FILE).unlink()
    with pytest.raises(StoreError, match=r"pkg==1\.0: integrity\.json is missing: it was installed by an older"):
        store.check_entries(["pkg==1.0"])
    with pytest.raises(StoreError, match=r"other==2\.0: it is not in the store"):
        store.check_entries(["other==2.0"])


def test_debris_of_one_version_never_matches_another_versions_staging(store):
    with store.install_lock("six==1.16.0.1"):
        staging = store.new_staging("six==1.16.0.1")
        with store.install_lock("six==1.16.0"):
            pass
        assert staging.is_dir()


def test_remove_and_gc_work_on_frozen_entries_without_privileges(store):
    """Root ignores permission bits, so run them in a sandbox: uid 0 there has no capability, so a
    directory without write bits stops it as it stops any owner."""
    publish(store, "pkg", "1.0")
    publish(store, "other", "2.0")
    code = f"""
import os
from ol_notebook.store import Store
store = Store({str(store.root)!r}, {store.runtime_id!r})
try:
    os.unlink(store.files_dir("pkg==1.0") / "pkg" / "mod.py")
except PermissionError:
    pass
else:
    raise SystemExit("a frozen entry's file could be unlinked: this sandbox proves nothing")
assert store.remove("pkg==1.0") > 0
assert store.gc(delete=True).removed == ["other==2.0"]
assert store.entries() == [] and list(store.staging_dir.iterdir()) == []
"""
    binds = [Bind(store.root, writable=True), Bind(Path(ol_notebook.__file__).parent, "/deps/ol_notebook"),
             Bind(Path(packaging.__file__).parent, "/deps/packaging")]
    result = Sandbox().run(SandboxSpec([PYTHON, "-c", code], binds=binds, python=True, env={"PYTHONPATH": "/deps"},
                                       limits=Limits(timeout=30)))
    assert result.returncode == 0, result.stderr.decode()


def linked_source(tmp_path: Path, text: bytes) -> tuple[Path, RecordRow]:
    """`files/pkg/mod.py`, a hard link of a `cache/` file as a warm install makes it, and its RECORD row."""
    (tmp_path / "cache").mkdir()
    (tmp_path / "files" / "pkg").mkdir(parents=True)
    (tmp_path / "cache" / "mod.py").write_bytes(text)
    os.link(tmp_path / "cache" / "mod.py", tmp_path / "files" / "pkg" / "mod.py")
    digest = record_hash(text).split("=", 1)[1]
    return tmp_path / "files", RecordRow("pkg/mod.py", "sha256", digest, len(text))


def test_survey_remembers_hard_linked_files_and_skips_only_an_unchanged_signature(tmp_path):
    files, row = linked_source(tmp_path, b"X = 1\n")
    first = survey(files, [row])
    assert first.problems == [] and list(first.verified) == ["pkg/mod.py"]
    again = survey(files, [row], first.verified)
    assert (again.bytecode, again.problems, again.verified) == (first.bytecode, first.problems, first.verified)
    os.utime(files / "pkg" / "mod.py", ns=(0, 0))  # another mtime: hashed again, and still equal
    assert survey(files, [row], first.verified).verified != first.verified
    changed = dataclasses.replace(row, digest=record_hash(b"X = 2\n").split("=", 1)[1])
    assert survey(files, [changed], first.verified).problems == ["pkg/mod.py does not match its sha256 in RECORD"]
    (files / "pkg" / "mod.py").write_bytes(b"X = 2\n")  # the content moves, so does mtime
    assert survey(files, [row], first.verified).problems == ["pkg/mod.py does not match its sha256 in RECORD"]


def test_survey_calls_a_link_in_a_files_place_no_regular_file(tmp_path):
    files, row = linked_source(tmp_path, b"X = 1\n")
    (files / "pkg" / "mod.py").unlink()
    (files / "pkg" / "mod.py").symlink_to(tmp_path / "cache" / "mod.py")
    assert survey(files, [row]).problems == ["pkg/mod.py is not a regular file"]


def test_the_installed_record_must_agree_with_the_wheels_own():
    shipped = [RecordRow("pkg/a.py", "sha256", "A", 1), RecordRow("pkg-1.0.data/purelib/b.py", "sha256", "B", 1),
               RecordRow("pkg-1.0.data/scripts/tool", "sha256", "T", 1),
               RecordRow("pkg-1.0.dist-info/RECORD", "", "", None)]
    installed = [RecordRow("pkg/a.py", "sha256", "A", 1), RecordRow("b.py", "sha256", "B", 1),
                 RecordRow("bin/tool", "sha256", "rewritten shebang", 1),
                 RecordRow("pkg-1.0.dist-info/INSTALLER", "sha256", "I", 1)]
    assert departures(installed, shipped) == []
    tampered = [RecordRow("pkg/a.py", "sha256", "EVIL", 1), *installed[2:]]
    assert departures(tampered, shipped) == [
        "pkg/a.py is recorded with another sha256 than the wheel's RECORD gives it",
        "b.py is in the wheel's RECORD but was not installed",
    ]


def test_the_memo_is_ignored_when_unreadable_and_written_whole(tmp_path):
    memo = VerifiedFiles(tmp_path / "verified")
    sha256 = "a" * 64
    assert memo.load(sha256) == {} and memo.load("../escape") == {}
    memo.save(sha256, {"pkg/mod.py": (1, 2, 3, 4, "sha256=x")})
    assert memo.load(sha256) == {"pkg/mod.py": (1, 2, 3, 4, "sha256=x")}
    assert [path.name for path in memo.directory.iterdir()] == [f"{sha256}.json"]  # no temporary left
    memo.save("../escape", {"pkg/mod.py": (1, 2, 3, 4, "sha256=x")})
    assert not (tmp_path / "escape.json").exists()
    (memo.directory / f"{sha256}.json").write_text('{"format": 1, "files": {"pkg/mod.py": [1, 2]}}')
    assert memo.load(sha256) == {}
