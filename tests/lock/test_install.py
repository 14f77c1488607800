"""Installing from locks written by others (real uv and pip, against the local index): no resolution,
the same sandboxed puller and store entries; a dead URL falls back to the package's index; with a
mirror directory the mirror is the only source."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.lock import MissingFromMirror, read_lock
from ol_notebook.packages import PackageService
from ol_notebook.puller import PullEvent
from ol_notebook.resolve import ClosureError
from tests.engine import make_service
from tests.lock.makers import load, package, pip_lock, save, uv_lock


def install(service: PackageService, path: Path, events: list[PullEvent] | None = None):
    sink = events.append if events is not None else None
    closure = service.closure_from_lock(read_lock(path), str(path), sink)
    return closure, service.pull(closure, sink)


def file_requests(local_index) -> list[str]:
    return [path for path in local_index.server.requests if path.startswith("/files/")]


@pytest.mark.parametrize("maker", [uv_lock, pip_lock], ids=["uv", "pip"])
def test_a_lock_made_by_uv_or_pip_installs_into_the_same_entries(maker, service, local_index, tmp_path):
    path = maker(local_index.url, ["gamma[fast]", "py-widget"], tmp_path / "lock")
    closure, report = install(service, path)
    assert sorted(report.installed) == ["alpha==2.0", "beta==1.5", "delta==1.0", "gamma==1.0", "py-widget==1.0"]
    assert sorted(closure.requirements) == sorted(report.installed)
    widget = report.entries["py-widget==1.0"].metadata
    assert list(widget.import_names) == ["widget_helpers", "widgetlib"]
    assert widget.url == package(load(path), "py-widget")["wheels"][0]["url"]
    # The same entries a compiled pull uses: pulling the requirements again installs nothing.
    again = service.pull(service.compile(["gamma[fast]", "py-widget"]))
    assert again.installed == [] and len(again.hits) == 5


def test_a_second_install_of_a_lock_downloads_nothing(service, local_index, tmp_path):
    path = uv_lock(local_index.url, ["alpha==1.0"], tmp_path / "lock")
    install(service, path)
    before = len(file_requests(local_index))
    _, report = install(service, path)
    assert report.hits == ["alpha==1.0"] and len(file_requests(local_index)) == before


def test_an_sdist_in_a_lock_is_built_in_the_sandbox(service, local_index, tmp_path):
    path = uv_lock(local_index.url, ["sdistonly"], tmp_path / "lock")
    assert "sdist" in package(load(path), "sdistonly")
    _, report = install(service, path)
    entry = report.entries["sdistonly==1.0"]
    assert entry.metadata.built_wheel and entry.metadata.filename == "sdistonly-1.0.tar.gz"


def test_a_dead_url_is_fetched_by_name_and_hash_from_the_packages_index(service, local_index, tmp_path):
    data = load(uv_lock(local_index.url, ["alpha==1.0"], tmp_path / "lock"))
    alpha = package(data, "alpha")
    alpha["index"] = local_index.url
    dead = alpha["wheels"][0]["url"].replace("/files/", "/files/moved/")
    alpha["wheels"][0]["url"] = dead
    events: list[PullEvent] = []
    _, report = install(service, save(data, tmp_path / "dead" / "pylock.toml"), events)
    metadata = report.entries["alpha==1.0"].metadata
    assert metadata.url == local_index.server.files_url + "alpha-1.0-py3-none-any.whl"
    (warning,) = [event for event in events if event.kind == "warning"]
    assert warning.key == "alpha==1.0" and f"{dead} is dead (downloading {dead} failed: HTTP 404" in warning.message
    assert f"from {metadata.url} instead" in warning.message


@pytest.mark.parametrize("layout", ["bandersnatch", "flat"])
def test_with_a_mirror_directory_the_lock_urls_are_never_used(layout, local_index, tmp_path):
    path = uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock")
    mirror = local_index.mirror_dir if layout == "bandersnatch" else local_index.files_dir
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(mirror)))
    before = len(file_requests(local_index))
    _, report = install(service, path)
    assert sorted(report.installed) == ["alpha==2.0", "beta==1.5"]
    assert len(file_requests(local_index)) == before  # not one file from the lock's URLs
    metadata = report.entries["alpha==2.0"].metadata
    assert metadata.url.startswith(Path(mirror).resolve().as_uri())
    assert metadata.url.endswith("/alpha-2.0-py3-none-any.whl") and metadata.index == service.settings.index.label


def test_a_file_missing_from_the_mirror_names_package_mirror_and_lock(local_index, tmp_path):
    data = load(uv_lock(local_index.url, ["alpha==1.0"], tmp_path / "lock"))
    data["packages"].append({"name": "notmirrored", "version": "1.0", "wheels": [{
        "url": "https://files.pythonhosted.org/packages/notmirrored-1.0-py3-none-any.whl", "size": 5,
        "hashes": {"sha256": "cd" * 32}}]})
    path = save(data, tmp_path / "more" / "pylock.toml")
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(local_index.mirror_dir)))
    with pytest.raises(MissingFromMirror) as missing:
        install(service, path)
    message = str(missing.value)
    assert "notmirrored 1.0 (notmirrored-1.0-py3-none-any.whl, sha256 " + "cd" * 32 in message
    assert str(local_index.mirror_dir.resolve()) in message and str(path) in message
    assert "there is no page file://" in message and "no other source is used (not the lock's URL, not PyPI)" in message
    assert service.store.entries() == []  # alpha was fetched, but nothing is installed before every file is here


def test_a_mirror_file_of_another_hash_is_not_the_locks_file(local_index, tmp_path):
    data = load(uv_lock(local_index.url, ["alpha==1.0"], tmp_path / "lock"))
    package(data, "alpha")["wheels"][0]["hashes"]["sha256"] = "ef" * 32
    path = save(data, tmp_path / "other" / "pylock.toml")
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(local_index.mirror_dir)))
    with pytest.raises(MissingFromMirror, match=r"/alpha/ lists alpha-1.0-py3-none-any.whl with another sha256"):
        install(service, path)
    assert service.store.entries() == []


def test_downloads_of_a_lock_are_told_as_they_go(tmp_path):
    """A 3 MiB file (not installed: only fetched) in a flat mirror; progress comes once per MiB."""
    content = bytes(range(256)) * (3 * 4096)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "big-1.0-py3-none-any.whl").write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    path = save({"lock-version": "1.0", "created-by": "hand", "packages": [{"name": "big", "version": "1.0", "wheels": [
        {"url": "https://files.pythonhosted.org/big-1.0-py3-none-any.whl", "size": len(content),
         "hashes": {"sha256": digest}}]}]}, tmp_path / "lock" / "pylock.toml")
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(flat)))
    events: list[PullEvent] = []
    closure = service.closure_from_lock(read_lock(path), str(path), events.append)
    assert closure.pins[0].wheels[0].url == (flat / "big-1.0-py3-none-any.whl").resolve().as_uri()
    assert [(event.kind, event.key, event.bytes_done, event.bytes_total) for event in events] == [
        ("downloading", "big==1.0", done << 20, len(content)) for done in (1, 2, 3)]


def test_a_lock_missing_a_dependency_is_not_a_true_lock(service, local_index, tmp_path):
    data = load(uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock"))
    data["packages"] = [package(data, "alpha")]  # beta, which alpha 2.0 requires, left out
    with pytest.raises(ClosureError, match=r"alpha 2\.0 requires beta<2,>=1\.0, but beta is not in the closure"):
        install(service, save(data, tmp_path / "partial" / "pylock.toml"))
