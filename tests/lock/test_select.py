"""Selecting a lock's packages for the store's runtime: no resolution, one file per package, and each
lock that cannot serve here refused naming why (the marker and its value, the package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.lock import LockError, lock_from_dict, select_for_runtime
from tests.lock.makers import load, package, uv_lock

SHA = "ab" * 32
INDEX = IndexConfig.from_options(index_url="http://127.0.0.1:9/simple/")


def wheel(name: str, version: str, tag: str = "py3-none-any") -> dict:
    filename = f"{name}-{version}-{tag}.whl"
    return {"name": filename, "url": f"http://127.0.0.1:9/files/{filename}", "size": 10, "hashes": {"sha256": SHA}}


def lock(*packages: dict, **top) -> dict:
    return {"lock-version": "1.0", "created-by": "hand", **top, "packages": list(packages)}


def select(data: dict):
    return select_for_runtime(lock_from_dict(data, "pylock.toml"), "pylock.toml", Runtime.current(), INDEX)


def test_a_universal_uv_lock_gets_this_machines_wheel_and_only_this_platforms_packages(local_index, tmp_path):
    path = uv_lock(local_index.url, ["platpkg", "epsilon"], tmp_path, "--universal")
    data = load(path)
    assert len(package(data, "platpkg")["wheels"]) == 4  # every platform's wheel is in the lock
    closure = select_for_runtime(lock_from_dict(data, str(path)), str(path), Runtime.current(), INDEX)
    runtime = Runtime.current()
    assert closure.requirements == tuple(f"{pin.name}=={pin.version}" for pin in closure.pins)
    assert {pin.name for pin in closure.pins} == {"platpkg", "epsilon", "eta"}  # theta is win32's, zeta < 3.8's
    (platpkg,) = [pin for pin in closure.pins if pin.name == "platpkg"]
    (chosen,) = platpkg.wheels
    assert runtime.wheel_rank(chosen.filename) is not None and "manylinux" in chosen.filename
    assert closure.runtime_id == runtime.id and platpkg.index == INDEX.label


def test_an_sdist_only_package_is_selected_as_its_sdist():
    sdist = {"url": "http://127.0.0.1:9/files/sdistonly-1.0.tar.gz", "size": 10, "hashes": {"sha256": SHA}}
    (pin,) = select(lock({"name": "sdistonly", "version": "1.0", "sdist": sdist})).pins
    assert pin.wheels == () and pin.sdist is not None and pin.sdist.filename == "sdistonly-1.0.tar.gz"


def test_a_package_index_named_by_the_lock_is_kept():
    entry = {"name": "alpha", "version": "1.0", "index": "http://127.0.0.1:9/simple/",
             "wheels": [wheel("alpha", "1.0")]}
    (pin,) = select(lock(entry)).pins
    assert pin.index == "http://127.0.0.1:9/simple/" and pin.wheels[0].size == 10


def test_environments_that_exclude_the_runtime_name_the_marker_and_the_value_here():
    runtime = Runtime.current()
    data = lock({"name": "alpha", "version": "1.0", "wheels": [wheel("alpha", "1.0")]},
                environments=['sys_platform == "win32"',
                              'platform_machine == "arm64" and python_version >= "3.11"'])
    with pytest.raises(LockError) as refused:
        select(data)
    message = str(refused.value)
    assert "pylock.toml was made for other environments than " + runtime.id in message
    assert f"sys_platform is {runtime.environment['sys_platform']!r} here" in message
    assert f"platform_machine is {runtime.environment['platform_machine']!r} here" in message
    assert "python_version is" not in message  # the clause that holds is not blamed


def test_environments_that_include_the_runtime_are_accepted():
    data = lock({"name": "alpha", "version": "1.0", "wheels": [wheel("alpha", "1.0")]},
                environments=['sys_platform == "win32"', 'sys_platform == "linux"'])
    assert [pin.name for pin in select(data).pins] == ["alpha"]


@pytest.mark.parametrize(("entry", "says"), [
    ({"name": "winonly", "version": "1.0", "wheels": [wheel("winonly", "1.0", "cp311-cp311-win_amd64")]},
     "No wheel found matching the provided tags for package 'winonly'"),
    ({"name": "vcspkg", "version": "1.0", "vcs": {"type": "git", "url": "https://example.org/x.git",
                                                 "commit-id": "0" * 40}},
     "names vcspkg 1.0 as a vcs source"),
    ({"name": "dirpkg", "directory": {"path": "/srv/dirpkg"}}, "names dirpkg as a directory source"),
    ({"name": "pathpkg", "version": "1.0", "wheels": [{"path": "dist/pathpkg-1.0-py3-none-any.whl",
                                                       "hashes": {"sha256": SHA}}]},
     "names pathpkg 1.0 by the local path 'dist/pathpkg-1.0-py3-none-any.whl', not a URL"),
    ({"name": "md5pkg", "version": "1.0", "wheels": [{**wheel("md5pkg", "1.0"), "hashes": {"md5": "00"}}]},
     r"gives md5pkg 1.0 \(md5pkg-1.0-py3-none-any.whl\) no valid sha256 hash \(it has md5\)"),
    ({"name": "oldpy", "version": "1.0", "requires-python": "<3", "wheels": [wheel("oldpy", "1.0")]},
     "does not satisfy the Python version requirement '<3' for package 'oldpy'"),
])
def test_a_package_that_cannot_be_installed_here_is_named(entry: dict, says: str):
    with pytest.raises(LockError, match=says) as refused:
        select(lock(entry))
    assert "pylock.toml" in str(refused.value)


def test_select_does_not_read_the_files(tmp_path: Path):
    """Selection is data only: the URLs (port 9, nothing listens) are not touched."""
    closure = select(lock({"name": "alpha", "version": "1.0", "wheels": [wheel("alpha", "1.0")]}))
    assert closure.pins[0].wheels[0].url == "http://127.0.0.1:9/files/alpha-1.0-py3-none-any.whl"
