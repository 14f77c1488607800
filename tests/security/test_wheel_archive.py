"""Hostile wheels in a pull beside honest ones (ol_notebook/wheel_archive.py, and publish's check).

A wheel tries to write an honest wheel's files, forge its .dist-info, escape the install directory
(zip-slip names, absolute names, a symlink), lie in its RECORD or omit a file from it, or unpack
past the disk limit. Each time it is refused naming it (or, for a shared path, installed into its
own entry only), the honest entries hold exactly their own files, and no staging debris is left.
"""

from __future__ import annotations

import base64
import hashlib
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.packages import PackageService
from ol_notebook.puller import PullError
from ol_notebook.resolve import Closure
from ol_notebook.sandbox import Limits
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
    """Pull the honest wheels and `evil` together (see `hostile_closure`)."""
    service, closure = hostile_closure(tmp_path, mirror, evil, limits, **hostile)
    return service, pull_error(service, closure)


def hostile_closure(tmp_path: Path, mirror: Path, evil: dict[str, bytes], limits: Limits | None = None,
                    **hostile) -> tuple[PackageService, Closure]:
    """The honest wheels and `evil`. The closure is compiled with a plain `evil`, then its wheel is
    swapped for the hostile one: a closure is data a client may hand-make, and uv's resolver refuses
    some hostile wheels before any pull would see them."""
    write_wheel(mirror, "evil", {"evil/__init__.py": b""})
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(mirror)),
                           **({"install_limits": limits} if limits else {}))
    closure = service.compile([*HONEST, "evil"])
    return service, swap_evil(closure, write_wheel(mirror, "evil", evil, **hostile))


def swap_evil(closure: Closure, wheel: Path) -> Closure:
    data = wheel.read_bytes()
    swapped = [replace(pin, wheels=tuple(replace(artifact, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
                                         for artifact in pin.wheels)) if pin.name == "evil" else pin
               for pin in closure.pins]
    return replace(closure, pins=tuple(swapped))


def pull_error(service: PackageService, closure: Closure) -> PullError | None:
    try:
        service.pull(closure)
    except PullError as error:
        return error
    return None


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


def test_a_refused_wheel_is_never_remembered_and_is_refused_again(tmp_path, mirror):
    """What read_wheel found is remembered per wheel sha256 (install/archives.py), but only for a
    wheel found fit: a refused one is read, and refused, on every pull."""
    service, closure = hostile_closure(tmp_path, mirror, {"evil/__init__.py": b""}, symlinks={"evil/passwd": "/x"})
    for _ in range(2):
        assert "symbolic link" in assert_evil_refused(service, pull_error(service, closure))
    evil_sha256 = closure.pin("evil").wheels[0].sha256
    remembered = {path.stem for path in service.store.archives_dir.iterdir()}
    assert evil_sha256 not in remembered and len(remembered) == len(HONEST)
    assert not service.store.archives_dir.is_relative_to(service.store.work_dir)  # no sandbox sees it


def test_what_was_remembered_of_a_fit_wheel_never_vouches_for_another(tmp_path, mirror):
    """`evil` 1.0 installs fine and is remembered; the index then serves a hostile file under the
    same name and version. The memo is the fit file's, by its sha256, so the new one is read, and refused."""
    service, fit = hostile_closure(tmp_path, mirror, {"evil/__init__.py": b""})
    assert pull_error(service, fit) is None and service.store.has("evil==1.0")
    service.store.remove("evil==1.0")
    hostile = swap_evil(fit, write_wheel(mirror, "evil", {"evil/__init__.py": b"", "evil/../../up.py": b""}))
    assert "outside the install directory" in assert_evil_refused(service, pull_error(service, hostile))
