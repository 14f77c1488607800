"""Hostile wheels against the batched install (ol_notebook/wheel_batch.py): one uv run installs a
pull's wheels into a shared target, which is split into one entry per wheel by each RECORD.

A wheel in the same pull as honest ones tries to write their files, forge their .dist-info, escape
the target, or lie in its RECORD. Each time: it is refused naming it (or installed into its own
entry only), the honest entries hold exactly their own files, and no staging debris is left.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import stat
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.puller import PullError
from ol_notebook.sandbox import Limits
from ol_notebook.wheel_batch import BatchError, disjoint, install_paths, split_target
from tests.engine import make_service

HONEST = ("good-one", "good-two")


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def write_wheel(directory: Path, name: str, files: dict[str, bytes], *, unrecorded: tuple[str, ...] = (),
                wrong_hash: tuple[str, ...] = (), symlinks: dict[str, str] | None = None) -> Path:
    """A wheel of `name` 1.0 shipping `files` (paths as given, hostile ones included) and a RECORD
    that omits `unrecorded` and gives `wrong_hash` a wrong sha256."""
    stem = name.replace("-", "_")
    dist_info = f"{stem}-1.0.dist-info"
    members = dict(files)
    members[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
    members[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(_record_line(path, b"wrong" if path in wrong_hash else data)
                     for path, data in members.items() if path not in unrecorded)
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    path = directory / f"{stem}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        for member, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(member)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def honest_files(name: str) -> dict[str, bytes]:
    module = name.replace("-", "_")
    return {f"{module}/__init__.py": f"DIST = {name!r}\n".encode()}


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    root.mkdir()
    for name in HONEST:
        write_wheel(root, name, honest_files(name))
    return root


def pull_with(tmp_path: Path, mirror: Path, evil: dict[str, bytes], limits: Limits | None = None,
              **hostile) -> tuple[object, PullError | None]:
    """Pull the honest wheels and `evil` together. The closure is compiled with a plain `evil`, then
    its wheel is swapped for the hostile one: a closure is data a client may hand-make, and uv's
    resolver refuses some hostile wheels before any pull would see them."""
    write_wheel(mirror, "evil", {"evil/__init__.py": b""})
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(mirror)),
                           **({"install_limits": limits} if limits else {}))
    closure = service.compile([*HONEST, "evil"])
    wheel = write_wheel(mirror, "evil", evil, **hostile)
    data = wheel.read_bytes()
    swapped = [replace(pin, wheels=tuple(replace(artifact, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
                                         for artifact in pin.wheels)) if pin.name == "evil" else pin
               for pin in closure.pins]
    closure = replace(closure, pins=tuple(swapped))
    try:
        service.pull(closure)
    except PullError as error:
        return service, error
    return service, None


def assert_honest_intact(service) -> None:
    for name in HONEST:
        entry = service.store.get(f"{name}==1.0")
        assert entry is not None, name
        module = name.replace("-", "_")
        assert (entry.files / module / "__init__.py").read_bytes() == honest_files(name)[f"{module}/__init__.py"]
        listed = {path.relative_to(entry.files).parts[0] for path in entry.files.rglob("*") if path.is_file()}
        assert listed == {module, f"{module}-1.0.dist-info"}, listed
        assert service.store.get(f"{name}==1.0").metadata.name == name
    assert service.store.verify() == [] or all(c.key == "evil==1.0" for c in service.store.verify())
    assert list(service.store.staging_dir.iterdir()) == []


def assert_evil_refused(service, error: PullError | None) -> str:
    assert error is not None and list(error.failures) == ["evil==1.0"], error
    assert not service.store.has("evil==1.0")
    assert_honest_intact(service)
    message = str(error.failures["evil==1.0"])
    assert "evil" in message
    return message


def test_a_wheel_writing_another_wheels_file_gets_only_its_own_entry(tmp_path, mirror):
    service, error = pull_with(tmp_path, mirror, {"good_one/__init__.py": b"DIST = 'evil'\n"})
    assert error is None
    assert_honest_intact(service)
    evil = service.store.get("evil==1.0")
    assert (evil.files / "good_one" / "__init__.py").read_bytes() == b"DIST = 'evil'\n"


def test_a_forged_dist_info_of_another_package_is_refused(tmp_path, mirror):
    forged = {"good_one-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: good-one\nVersion: 1.0\n"
                                                 b"Requires-Dist: evil\n", "evil/__init__.py": b""}
    assert_evil_refused(*pull_with(tmp_path, mirror, forged))


def test_a_dist_info_smuggled_through_data_purelib_is_refused(tmp_path, mirror):
    forged = {"evil-1.0.data/purelib/good_two-1.0.dist-info/RECORD": b"", "evil/__init__.py": b""}
    assert_evil_refused(*pull_with(tmp_path, mirror, forged))


@pytest.mark.parametrize("name", ["../escaped_by_evil.py", "good_one/../../escaped_by_evil.py"])
def test_zip_slip_names_are_refused(tmp_path, mirror, name):
    service, error = pull_with(tmp_path, mirror, {name: b"ESCAPED = True\n", "evil/__init__.py": b""})
    assert "outside the install directory" in assert_evil_refused(service, error)
    assert not [path for path in service.store.root.rglob("escaped_by_evil.py")]


def test_an_absolute_name_is_refused(tmp_path, mirror):
    target = tmp_path / "absolute_by_evil.py"
    service, error = pull_with(tmp_path, mirror, {str(target): b"ESCAPED = True\n", "evil/__init__.py": b""})
    assert "outside the install directory" in assert_evil_refused(service, error)
    assert not target.exists()


def test_a_symlink_member_never_becomes_a_link_in_the_store(tmp_path, mirror):
    service, error = pull_with(tmp_path, mirror, {"evil/__init__.py": b""}, symlinks={"evil/passwd": "/etc/passwd"})
    assert "symbolic link" in assert_evil_refused(service, error)
    links = [path for path in service.store.packages_dir.rglob("*") if path.is_symlink()]
    assert links == []


def test_a_wrong_record_hash_is_refused(tmp_path, mirror):
    files = {"evil/__init__.py": b"", "evil/payload.py": b"X = 1\n"}
    message = assert_evil_refused(*pull_with(tmp_path, mirror, files, wrong_hash=("evil/payload.py",)))
    assert "payload.py" in message


def test_a_file_missing_from_record_is_refused(tmp_path, mirror):
    files = {"evil/__init__.py": b"", "evil/hidden.py": b"X = 1\n"}
    message = assert_evil_refused(*pull_with(tmp_path, mirror, files, unrecorded=("evil/hidden.py",)))
    assert "'evil/hidden.py' is not listed in its RECORD" in message


def test_a_zip_bomb_past_the_disk_limit_is_refused_naming_it(tmp_path, mirror):
    limits = Limits(timeout=20.0, memory=1 << 30, processes=256, disk=32 << 20)
    bomb = {"evil/__init__.py": b"", "evil/bomb.bin": bytes(80 << 20)}
    message = assert_evil_refused(*pull_with(tmp_path, mirror, bomb, limits=limits))
    assert "over the install disk limit" in message


# The splitter alone, on targets no honest uv run makes


def make_target(tmp_path: Path, records: dict[str, list[str]], files: list[str]) -> Path:
    target = tmp_path / "target"
    for path in files:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_bytes(path.encode())
    for dist_info, rows in records.items():
        (target / dist_info).mkdir(parents=True, exist_ok=True)
        (target / dist_info / "RECORD").write_text("".join(f"{row},,\n" for row in [*rows, f"{dist_info}/RECORD"]))
    return target


def split_refused(tmp_path: Path, target: Path, dist_infos: list[str]) -> str:
    before = sorted(str(path.relative_to(target)) for path in target.rglob("*"))
    stagings = {dist_info: tmp_path / f"staging-{dist_info}" for dist_info in dist_infos}
    with pytest.raises(BatchError) as caught:
        split_target(target, stagings)
    assert sorted(str(path.relative_to(target)) for path in target.rglob("*")) == before
    assert not any(path.exists() for path in stagings.values())
    return str(caught.value)


def test_split_refuses_a_file_claimed_by_two_records(tmp_path):
    target = make_target(tmp_path, {"a-1.dist-info": ["x.py"], "b-1.dist-info": ["x.py"]}, ["x.py"])
    assert "claimed by both" in split_refused(tmp_path, target, ["a-1.dist-info", "b-1.dist-info"])


def test_split_refuses_an_unclaimed_file(tmp_path):
    target = make_target(tmp_path, {"a-1.dist-info": ["a.py"]}, ["a.py", "stray.py"])
    assert "stray.py" in split_refused(tmp_path, target, ["a-1.dist-info"])


@pytest.mark.parametrize("row", ["../outside.py", "/etc/passwd", "a/../../outside.py"])
def test_split_refuses_a_record_row_outside_the_target(tmp_path, row):
    target = make_target(tmp_path, {"a-1.dist-info": ["a.py", row]}, ["a.py"])
    assert "outside the target" in split_refused(tmp_path, target, ["a-1.dist-info"])


def test_split_refuses_a_symlink_in_the_target(tmp_path):
    target = make_target(tmp_path, {"a-1.dist-info": ["a.py", "link"]}, ["a.py"])
    os.symlink("/etc/passwd", target / "link")
    assert "not a regular file" in split_refused(tmp_path, target, ["a-1.dist-info"])


def test_unusual_archives_are_never_batched(tmp_path):
    for files in ({"../x.py": b""}, {"/abs.py": b""}, {"a/./b.py": b""}, {"x-1.0.dist-info/METADATA": b""},
                  {"evil-1.0.data/headers/h.h": b""}, {"evil-1.0.data/purelib/o-1.0.dist-info/RECORD": b""},
                  {"other-1.0.data/purelib/x.py": b""}):
        wheel = write_wheel(tmp_path, "evil", files)
        assert install_paths(wheel) is None, files
        wheel.unlink()
    wheel = write_wheel(tmp_path, "evil", {"evil-1.0.data/scripts/tool": b"", "evil/__init__.py": b""})
    dist_info, paths = install_paths(wheel)
    assert dist_info == "evil-1.0.dist-info" and {"bin/tool", "evil/__init__.py"} <= paths
    assert (tmp_path / "not-a-zip.whl").write_bytes(io.BytesIO(b"junk").read()) and \
        install_paths(tmp_path / "not-a-zip.whl") is None


def test_overlapping_wheels_are_not_batched_together():
    assert disjoint([frozenset({"a/x.py"}), frozenset({"b/x.py"})])
    assert not disjoint([frozenset({"a/x.py"}), frozenset({"a/x.py"})])
    assert not disjoint([frozenset({"a"}), frozenset({"a/x.py"})])  # a file where the other makes a directory
    assert not disjoint([frozenset({"a/x.py"}), frozenset({"a"})])


def test_a_shipped_pyc_where_another_wheels_bytecode_lands_is_not_batched_with_it(tmp_path):
    source = write_wheel(tmp_path, "good-one", {"mod.py": b"X = 1\n"})
    _, source_paths = install_paths(source)
    source.unlink()
    shipped = write_wheel(tmp_path, "evil", {"__pycache__/mod.cpython-311.pyc": b"not bytecode"})
    _, shipped_paths = install_paths(shipped)
    assert not disjoint([source_paths, shipped_paths])


def test_a_pyc_shipped_where_another_wheel_compiles_is_not_batched(tmp_path, mirror):
    """good-one's bytecode would land on evil's shipped .pyc in a shared target: installed apart."""
    write_wheel(mirror, "good-one", {**honest_files("good-one"), "good_top.py": b"X = 1\n"})
    service, error = pull_with(tmp_path, mirror, {"evil/__init__.py": b"",
                                                  "__pycache__/good_top.cpython-311.pyc": b"junk"})
    assert error is None, error
    good = service.store.get("good-one==1.0")
    assert good is not None and service.store.verify(["good-one==1.0"]) == []
    compiled = good.files / "__pycache__" / f"good_top.{sys.implementation.cache_tag}.pyc"
    assert compiled.read_bytes()[:4] == importlib.util.MAGIC_NUMBER  # its own bytecode, in its own entry
    assert list(service.store.staging_dir.iterdir()) == []
