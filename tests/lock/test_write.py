"""Writing locks: a pulled closure from the local index becomes a PEP 751 lock that names each
file's index, its import names and the exact target, reads back, and installs with real uv and pip."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import uv
from packaging.markers import Marker
from packaging.pylock import Pylock

from ol_notebook.index import IndexConfig
from ol_notebook.lock import (
    LockError,
    check_lock_path,
    lock_closure,
    lock_from_dict,
    lock_text,
    read_lock,
    write_lock_file,
)
from ol_notebook.packages import PackageService
from ol_notebook.resolve import Closure
from tests.engine import make_service

REQUIREMENTS = ("gamma[fast]", "nsp-one", "py-widget", "sdistonly", "platpkg")
TOOL = "ol-notebook"


def pulled(service: PackageService, requirements=REQUIREMENTS) -> Closure:
    closure = service.compile(list(requirements))
    service.pull(closure)
    return closure


def locked(service: PackageService, closure: Closure, uv_version: str | None = "0.13.9") -> str:
    def entry_of(key: str):
        entry = service.store.get(key)
        return entry.metadata if entry else None

    return lock_text(lock_closure(closure, entry_of, service.runtime, uv_version))


@pytest.fixture(scope="module")
def made(tmp_path_factory, local_index) -> tuple[PackageService, Closure, Path]:
    """One pull and its lock (written to pylock.toml) shared by the tests that only read them."""
    work = tmp_path_factory.mktemp("lock")
    service = make_service(work / "store", IndexConfig.from_options(index_url=local_index.url))
    closure = pulled(service)
    path = work / "pylock.toml"
    write_lock_file(path, locked(service, closure))
    return service, closure, path


def test_the_lock_names_index_files_import_names_and_the_exact_target(made, local_index) -> None:
    service, closure, path = made
    lock = read_lock(path)
    environment = service.runtime.environment
    assert lock.created_by == "ol-notebook" and str(lock.lock_version) == "1.0"
    assert str(lock.requires_python) == f"=={environment['python_full_version']}"
    assert lock.environments is not None and len(lock.environments) == 1
    assert lock.environments[0].evaluate(environment)
    assert not lock.environments[0].evaluate({**environment, "platform_machine": "aarch64"})
    assert lock.tool == {TOOL: {"requirements": list(REQUIREMENTS), "uv-version": "0.13.9"}}
    packages = {package.name: package for package in lock.packages}
    assert list(packages) == sorted(packages)
    assert set(packages) == {"alpha", "beta", "delta", "gamma", "nsp-one", "platpkg", "py-widget", "sdistonly"}
    for package in packages.values():
        assert package.index == local_index.url
        store_key = f"{package.name}=={package.version}"
        assert package.tool[TOOL]["store-key"] == store_key
        assert service.store.get(store_key).metadata.import_names == tuple(package.tool[TOOL]["import-names"])
    assert packages["nsp-one"].tool[TOOL]["import-names"] == ["nsp.one"]  # not top_level.txt's "nsp"
    assert packages["py-widget"].tool[TOOL]["import-names"] == ["widget_helpers", "widgetlib"]
    # Exactly the file installed: the one wheel for this runtime, with URL, size and sha256.
    (wheel,) = packages["platpkg"].wheels
    pin = closure.pin("platpkg")
    assert (wheel.filename, wheel.url, wheel.size, wheel.hashes) == (
        pin.wheels[0].filename, pin.wheels[0].url, pin.wheels[0].size, {"sha256": pin.wheels[0].sha256})
    assert service.runtime.wheel_rank(wheel.filename) is not None
    # When the index said when the file was uploaded (PEP 700), so does the lock.
    served = local_index.files_dir / wheel.filename
    assert wheel.upload_time is not None and wheel.upload_time.tzinfo is not None
    assert abs(wheel.upload_time.timestamp() - served.stat().st_mtime) < 1
    # An sdist where that is what was installed (built here), and no wheel.
    sdist = packages["sdistonly"].sdist
    assert packages["sdistonly"].wheels is None and sdist.filename == "sdistonly-1.0.tar.gz"
    assert sdist.hashes == {"sha256": closure.pin("sdistonly").sdist.sha256}


def test_the_same_closure_always_gives_the_same_bytes(made) -> None:
    service, closure, path = made
    shuffled = replace(closure, pins=tuple(reversed(closure.pins)))
    assert locked(service, shuffled) == path.read_text()


def test_the_environment_marker_is_one_a_marker_parser_reads(made) -> None:
    service, closure, _ = made
    text = locked(service, closure)
    lock_marker = read_lock_from_text(text).environments[0]
    assert Marker(str(lock_marker)) == lock_marker


def read_lock_from_text(text: str) -> Pylock:
    return lock_from_dict(tomllib.loads(text), "test")


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_the_lock_installs_with_real_uv_and_pip(made, local_index, tmp_path, installer) -> None:
    service, _, path = made
    target = tmp_path / "target"
    if installer == "uv":
        argv = [uv.find_uv_bin(), "pip", "install", "--no-config", "--python", sys.executable, "-r", str(path),
                "--target", str(target), "--default-index", local_index.url, "--cache-dir", str(tmp_path / "cache")]
    else:
        argv = [str(Path(sys.executable).with_name("pip")), "install", "--isolated", "--no-cache-dir",
                "--disable-pip-version-check", "--index-url", local_index.url, "-r", str(path),
                "--target", str(target)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    installed = sorted(path.name for path in target.glob("*.dist-info"))
    expected = sorted(f"{entry.key.replace('-', '_').replace('==', '-')}.dist-info" for entry in service.packages())
    assert installed == expected
    assert (target / "nsp" / "one" / "__init__.py").is_file() and (target / "sdistonly" / "__init__.py").is_file()


def test_a_closure_of_another_runtime_is_refused(made) -> None:
    service, closure, _ = made
    with pytest.raises(LockError, match="compiled for cp39-cp39-win_amd64, but the store serves"):
        locked(service, replace(closure, runtime_id="cp39-cp39-win_amd64"))


@pytest.mark.parametrize("name", ["requirements.toml", "pylock.txt", "my-pylock.toml", "pylock..toml"])
def test_a_lock_file_not_named_like_pep_751_is_refused_and_nothing_written(tmp_path, name) -> None:
    with pytest.raises(LockError, match=r"PEP 751 names lock files pylock.toml or pylock.NAME.toml"):
        write_lock_file(tmp_path / name, "x")
    assert list(tmp_path.iterdir()) == []
    assert check_lock_path(tmp_path / "pylock.dev.toml") == tmp_path / "pylock.dev.toml"


def test_a_lock_file_in_a_missing_directory_is_refused_before_any_work(tmp_path) -> None:
    with pytest.raises(LockError, match=f"the directory {tmp_path / 'nowhere'} does not exist"):
        check_lock_path(tmp_path / "nowhere" / "pylock.toml")


def test_a_lock_from_a_flat_mirror_names_its_files_and_no_index(tmp_path, local_index) -> None:
    """A flat directory of files is no simple API: its packages have no `index`, only their files."""
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(local_index.files_dir)))
    lock = read_lock_from_text(locked(service, pulled(service, ["alpha==1.0"])))
    (package,) = lock.packages
    assert package.index is None
    assert package.wheels[0].url == (local_index.files_dir / "alpha-1.0-py3-none-any.whl").as_uri()


def test_a_lock_from_a_bandersnatch_mirror_names_its_simple_root(tmp_path, local_index) -> None:
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(local_index.mirror_dir)))
    lock = read_lock_from_text(locked(service, pulled(service, ["alpha==1.0"])))
    assert [package.index for package in lock.packages] == [local_index.mirror_url]


def test_installing_the_lock_for_another_target_is_refused_not_built(made, tmp_path) -> None:
    """`environments` pins the exact target: uv refuses another platform instead of building sdists for it."""
    _, _, path = made
    argv = [uv.find_uv_bin(), "pip", "install", "--no-config", "--python", sys.executable, "-r", str(path),
            "--target", str(tmp_path / "target"), "--python-platform", "aarch64-unknown-linux-gnu"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "The target environment is not supported by the lockfile" in result.stderr
    assert not list((tmp_path / "target").glob("*.dist-info"))  # only uv's own .lock
