"""A mirror built from real locks (uv's and pip's) against the local index: the bandersnatch
layout, its pages, incremental runs that keep good files, and pip and uv installing from it
(as a file:// directory, and served over HTTP) with the index out of the picture."""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from uv import find_uv_bin

from ol_notebook.index import IndexConfig
from ol_notebook.lock import read_lock
from ol_notebook.mirror import MirrorError, build_mirror, wanted_from_lock, write_relocked
from ol_notebook.mirror.files import sha256_file
from tests.localindex.catalogue import PLATFORM_TAGS
from tests.mirror.helpers import PIP, mirror_locks, pip_lock, tool, uv_lock


def _page(root: Path, project: str) -> tuple[str, dict]:
    directory = root / "web" / "simple" / project
    return (directory / "index.html").read_text(), json.loads((directory / "index.v1_json").read_text())


def _locked_upload_time(lock: Path, name: str) -> str:
    """The upload time the lock gives the package's wheel, in PEP 700's form (UTC, "Z")."""
    (package,) = [package for package in tomllib.loads(lock.read_text())["packages"] if package["name"] == name]
    return package["wheels"][0]["upload-time"].isoformat().replace("+00:00", "Z")


def test_a_uv_lock_becomes_a_bandersnatch_mirror(tmp_path, local_index):
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0", "sdistonly", "modern==0.9")
    root = tmp_path / "mirror"
    report = mirror_locks(root, local_index.url, lock)
    assert sorted(file.filename for file in report.added) == [
        "alpha-2.0-py3-none-any.whl", "beta-1.5-py3-none-any.whl", "modern-0.9-py3-none-any.whl",
        "sdistonly-1.0.tar.gz"]
    for file in report.added:  # each under its own hash, as bandersnatch stores them
        path = root / "web" / "packages" / file.sha256[:2] / file.sha256[2:4] / file.sha256[4:] / file.filename
        assert sha256_file(path) == file.sha256
    html, data = _page(root, "modern")
    (modern,) = report_files = [file for file in report.added if file.project == "modern"]
    assert f'href="../../packages/{modern.sha256[:2]}/' in html and f"#sha256={modern.sha256}" in html
    assert 'data-requires-python="&gt;=3.8"' in html  # read from the wheel's own METADATA
    assert data["name"] == "modern" and data["versions"] == ["0.9"] and data["meta"]["api-version"] == "1.1"
    assert data["files"] == [{"filename": modern.filename, "url": f"../../packages/{modern.sha256[:2]}/"
                              f"{modern.sha256[2:4]}/{modern.sha256[4:]}/{modern.filename}",
                              "hashes": {"sha256": modern.sha256}, "size": modern.size,
                              "requires-python": ">=3.8", "upload-time": _locked_upload_time(lock, "modern")}]
    assert report_files
    root_json = json.loads((root / "web" / "simple" / "index.v1_json").read_text())
    assert [project["name"] for project in root_json["projects"]] == ["alpha", "beta", "modern", "sdistonly"]
    assert '<a href="sdistonly/">sdistonly</a>' in (root / "web" / "simple" / "index.html").read_text()
    assert (root / "web" / "simple" / "alpha" / "index.v1_html").read_text() == _page(root, "alpha")[0]
    assert IndexConfig.from_options(mirror=str(root)).kind == "bandersnatch"
    assert not list(root.glob(".incoming-*"))  # the staging directory is gone


def test_adding_a_lock_adds_files_and_never_rewrites_good_ones(tmp_path, local_index):
    root = tmp_path / "mirror"
    first = mirror_locks(root, local_index.url, uv_lock(local_index.url, tmp_path / "one", "alpha==1.0"))
    (alpha_10,) = first.added
    path = root / "web" / "packages" / alpha_10.sha256[:2] / alpha_10.sha256[2:4] / alpha_10.sha256[4:] / \
        alpha_10.filename
    before = path.stat()
    second = mirror_locks(root, local_index.url, uv_lock(local_index.url, tmp_path / "two", "alpha==2.0"),
                          uv_lock(local_index.url, tmp_path / "three", "alpha==1.0"))
    assert sorted(file.filename for file in second.added) == ["alpha-2.0-py3-none-any.whl",
                                                              "beta-1.5-py3-none-any.whl"]
    assert [file.filename for file in second.kept] == ["alpha-1.0-py3-none-any.whl"]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    html, data = _page(root, "alpha")
    assert data["versions"] == ["1.0", "2.0"] and html.count("<a href=") == 2


def test_a_pip_lock_is_mirrored_too(tmp_path, local_index):
    lock = pip_lock(local_index.url, tmp_path / "locks", "gamma[fast]", name="pylock.pip.toml")
    report = mirror_locks(tmp_path / "mirror", local_index.url, lock)
    assert sorted(file.project for file in report.added) == ["alpha", "beta", "delta", "gamma"]


def test_the_rewritten_lock_travels_with_the_mirror_and_uv_installs_it_offline(tmp_path, local_index):
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0", name="pylock.web.toml")
    root = tmp_path / "mirror"
    report = mirror_locks(root, local_index.url, lock)
    written = write_relocked(report.root, lock, tomllib.loads(lock.read_text()))
    assert written == root.resolve() / "pylock.web.toml"
    relocked = tomllib.loads(written.read_text())
    for package in relocked["packages"]:
        (wheel,) = package["wheels"]
        assert "url" not in wheel and wheel["path"].startswith("web/packages/") and (root / wheel["path"]).is_file()
    # Read as a file, each path is the file beside the lock (and only that).
    assert {wheel.url for package in read_lock(written).packages for wheel in package.wheels} == {
        (root.resolve() / wheel["path"]).as_uri() for package in relocked["packages"] for wheel in package["wheels"]}
    moved = tmp_path / "elsewhere" / "copy"  # as copied to an air-gapped machine, at another path
    shutil.copytree(root, moved)
    shutil.rmtree(root)
    target = tmp_path / "target"
    tool([os.fsdecode(find_uv_bin()), "pip", "install", "--no-config", "--offline", "--no-index", "--target",
          str(target), "--python", str(Path(PIP).with_name("python")), "-r", str(moved / "pylock.web.toml")],
         tmp_path / "home")
    assert (target / "alpha" / "__init__.py").is_file() and (target / "beta" / "__init__.py").is_file()


@pytest.fixture
def mirror_root(tmp_path_factory, local_index) -> Path:
    work = tmp_path_factory.mktemp("mirrored")
    lock = uv_lock(local_index.url, work / "locks", "alpha==2.0", "gamma[fast]", "sdistonly")
    return mirror_locks(work / "mirror", local_index.url, lock).root


def test_pip_installs_from_the_mirror_directory(tmp_path, mirror_root):
    target = tmp_path / "target"
    tool([PIP, "install", "--isolated", "--no-cache-dir", "--index-url", (mirror_root / "web" / "simple").as_uri(),
          "--target", str(target), "alpha==2.0", "gamma[fast]"], tmp_path / "home")
    assert {"alpha", "beta", "gamma", "delta"} <= {path.name for path in target.iterdir()}


def test_uv_installs_from_the_mirror_directory(tmp_path, mirror_root):
    target = tmp_path / "target"
    tool([os.fsdecode(find_uv_bin()), "pip", "install", "--no-config", "--index-url", str(mirror_root / "web" /
          "simple"), "--target", str(target), "--python", str(Path(PIP).with_name("python")), "alpha==2.0",
          "sdistonly"], tmp_path / "home")
    assert {"alpha", "beta", "sdistonly"} <= {path.name for path in target.iterdir()}


@pytest.fixture
def served(mirror_root) -> Iterator[str]:
    """The mirror's web/ directory behind a plain static web server, as one would publish it."""
    handler = functools.partial(_QuietHandler, directory=str(mirror_root / "web"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def test_uv_installs_from_the_mirror_served_by_a_static_web_server(tmp_path, served):
    target = tmp_path / "target"
    result = subprocess.run(
        [os.fsdecode(find_uv_bin()), "pip", "install", "--no-config", "--no-cache", "--index-url", served,
         "--target", str(target), "--python", str(Path(PIP).with_name("python")), "alpha==2.0"],
        capture_output=True, text=True, timeout=120, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (target / "alpha" / "__init__.py").is_file()


def test_one_run_at_a_time_and_a_killed_runs_staging_is_cleared(tmp_path, local_index):
    root = tmp_path / "mirror"
    lock = uv_lock(local_index.url, tmp_path / "locks", "delta")
    mirror_locks(root, local_index.url, lock)
    (root / ".incoming-killed").mkdir()
    (root / ".incoming-killed" / "half.whl").write_bytes(b"half")
    handle = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a run in another process holds it
        with pytest.raises(MirrorError, match=f"another `ol-notebook mirror` is writing {root.resolve()}"):
            mirror_locks(root, local_index.url, lock)
    finally:
        os.close(handle)
    assert [file.filename for file in mirror_locks(root, local_index.url, lock).kept] == ["delta-1.0-py3-none-any.whl"]
    assert not list(root.glob(".incoming-*"))


def test_every_wheel_of_a_universal_lock_is_mirrored(tmp_path, local_index):
    """A mirror serves every environment its lock does: here Linux on two machines, Windows and macOS."""
    lock = uv_lock(local_index.url, tmp_path / "locks", "platpkg", "epsilon", universal=True)
    report = mirror_locks(tmp_path / "mirror", local_index.url, lock)
    platpkg = sorted(file.filename for file in report.added if file.project == "platpkg")
    assert platpkg == sorted(f"platpkg-1.0-{tag}.whl" for tag in PLATFORM_TAGS.values())
    assert {"eta", "theta"} <= {file.project for file in report.added}  # sys_platform linux and win32


def test_a_mirror_is_copied_into_another_from_its_rewritten_lock(tmp_path, local_index):
    """The rewritten lock names files inside its mirror, so with `--mirror DIR` as the source it
    fills a second mirror (a DMZ copy, say) with no index at all."""
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0")
    first = mirror_locks(tmp_path / "first", local_index.url, lock).root
    relocked = write_relocked(first, lock, tomllib.loads(lock.read_text()))
    source = IndexConfig.from_options(mirror=str(first))
    second = build_mirror(tmp_path / "second", wanted_from_lock(read_lock(relocked), relocked, source))
    assert sorted(file.filename for file in second.added) == ["alpha-2.0-py3-none-any.whl", "beta-1.5-py3-none-any.whl"]
    assert _page(second.root, "alpha") == _page(first, "alpha")


def test_a_page_without_its_json_is_not_overwritten(tmp_path, local_index):
    """A tree with HTML pages only (not ours, not bandersnatch's) would lose its other files."""
    root = tmp_path / "html-only"
    shutil.copytree(local_index.mirror_dir, root)
    before = (root / "web" / "simple" / "alpha" / "index.html").read_text()
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0")
    with pytest.raises(MirrorError, match=f"{root.resolve() / 'web' / 'simple' / 'alpha'} has an index.html but no "
                       "index.v1_json"):
        mirror_locks(root, local_index.url, lock)
    assert (root / "web" / "simple" / "alpha" / "index.html").read_text() == before
