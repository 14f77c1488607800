"""Locks written by someone else are untrusted input: each bad one is refused with its own clear error,
before any install, with nothing published in the store (and nothing read from where it must not be).

Every lock here holds a good package first (alpha), so "nothing published" also means a bad file
anywhere in a lock stops the whole lock before the first install.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.lock import LockError, read_lock
from tests.engine import make_service
from tests.lock.makers import load, package, save, uv_lock
from tests.security.test_pull_urls import staging_debris


@pytest.fixture
def base(local_index, tmp_path) -> dict:
    """A real uv lock of alpha==1.0 and delta, from the local index."""
    return load(uv_lock(local_index.url, ["alpha==1.0", "delta"], tmp_path / "uv"))


@pytest.fixture
def attempt(tmp_path, http_index):
    """Install `data` as a lock into a fresh store on the local index; the LockError's message."""
    service = make_service(tmp_path / "store", http_index)

    def attempt(data: dict, index: IndexConfig | None = None) -> str:
        target = make_service(tmp_path / "store", index) if index else service
        path = save(data, tmp_path / "attack" / "pylock.toml")
        with pytest.raises(LockError) as refused:
            target.pull(target.closure_from_lock(read_lock(path), str(path)))
        assert str(path) in str(refused.value)
        assert target.store.entries() == [] and staging_debris(tmp_path / "store") == []
        return str(refused.value)

    attempt.service = service
    return attempt


def delta_wheel(data: dict) -> dict:
    return package(data, "delta")["wheels"][0]


def test_a_tampered_hash_is_a_hash_mismatch(base, attempt):
    delta_wheel(base)["hashes"]["sha256"] = "0" * 64
    message = attempt(base)
    assert "delta 1.0 of the lock" in message and "hash mismatch: delta-1.0-py3-none-any.whl from http://" in message
    assert "but the lock says " + "0" * 64 in message
    assert not list(attempt.service.store.downloads_dir.rglob("delta-*"))  # the bad file is not kept


@pytest.mark.parametrize("delta", [-1, 1, 10_000_000])
def test_a_wrong_size_is_its_own_error(base, attempt, delta):
    wheel = delta_wheel(base)
    wheel["size"] += delta
    message = attempt(base)
    assert "delta 1.0 of the lock" in message and "wrong size: delta-1.0-py3-none-any.whl" in message
    assert f"but {wheel['size']:,} were promised" in message


def test_a_dead_url_without_an_index_of_the_configured_source_fails_naming_package_url_and_why(base, attempt):
    wheel = delta_wheel(base)
    wheel["url"] = dead = wheel["url"].replace("/files/", "/vanished/")
    package(base, "delta")["index"] = "http://127.0.0.1:9/simple/"  # not the configured index
    message = attempt(base)
    assert "delta 1.0 of the lock" in message and f"downloading {dead} failed: HTTP 404" in message
    assert "http://127.0.0.1:9/simple/delta/ is not a page of the index" in message


def test_a_dead_url_whose_index_lacks_the_file_fails(base, attempt, local_index):
    wheel = delta_wheel(base)
    wheel["url"] = wheel["url"].replace("delta-1.0-", "delta-1.0-7-").replace("/files/", "/vanished/")
    wheel["name"] = "delta-1.0-7-py3-none-any.whl"  # a build the index never had
    package(base, "delta")["index"] = local_index.url
    message = attempt(base)
    assert f"{local_index.url}delta/ does not list delta-1.0-7-py3-none-any.whl" in message


def test_a_foreign_environment_is_refused_naming_the_marker(base, attempt):
    base["environments"] = ['sys_platform == "darwin" and platform_machine == "arm64"']
    message = attempt(base)
    assert "was made for other environments than" in message and "sys_platform is 'linux' here" in message


ELSEWHERE = ["file:///etc/passwd", "ftp://127.0.0.1/delta-1.0-py3-none-any.whl",
             "http://127.0.0.1:{port2}/files/delta-1.0-py3-none-any.whl",
             "https://127.0.0.1:{port}/files/delta-1.0-py3-none-any.whl",
             "http://example.org/files/delta-1.0-py3-none-any.whl"]


def elsewhere(template: str, local_index) -> str:
    _, port = local_index.server.address
    return template.format(port=port, port2=port + 1)


@pytest.mark.parametrize("url", ELSEWHERE)
def test_with_pypi_a_url_of_another_scheme_or_host_is_refused_without_fetching_it(base, attempt, local_index, url):
    url = elsewhere(url, local_index)
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    delta_wheel(base).update(url=url, name="delta-1.0-py3-none-any.whl")
    base["packages"] = [package(base, "delta")]
    served = len(local_index.server.requests)
    message = attempt(base, IndexConfig())
    assert "delta 1.0 of the lock" in message and f"refusing to download {url}" in message
    assert "only files served by https://pypi.org:443 and https://files.pythonhosted.org:443" in message
    assert passwd not in message and len(local_index.server.requests) == served


def test_with_pypi_every_url_is_checked_before_the_first_download(base, attempt, local_index):
    delta_wheel(base)["url"] = "https://files.pythonhosted.org/packages/delta-1.0-py3-none-any.whl"
    served = len(local_index.server.requests)
    assert "alpha 1.0 of the lock" in attempt(base, IndexConfig())  # alpha's URL is the local index's
    assert len(local_index.server.requests) == served


@pytest.mark.parametrize("url", ELSEWHERE)
def test_with_an_index_url_a_foreign_url_is_never_fetched_the_index_serves_the_same_file(
        base, local_index, tmp_path, http_index, url):
    url = elsewhere(url, local_index)
    delta_wheel(base).update(url=url, name="delta-1.0-py3-none-any.whl")
    path = save(base, tmp_path / "foreign" / "pylock.toml")
    service = make_service(tmp_path / "store", http_index)
    events: list = []
    closure = service.closure_from_lock(read_lock(path), str(path), events.append)
    report = service.pull(closure)
    assert report.entries["delta==1.0"].metadata.url == local_index.server.files_url + "delta-1.0-py3-none-any.whl"
    (warning,) = [event for event in events if event.kind == "warning"]
    assert f"{url} is not a file of the index {local_index.url}, the only source used" in warning.message


def test_with_an_index_url_a_foreign_file_the_index_lacks_is_an_error(base, attempt, local_index):
    delta_wheel(base).update(url="http://example.org/delta-1.0-py3-none-any.whl", name="delta-1.0-py3-none-any.whl")
    delta_wheel(base)["hashes"]["sha256"] = "2" * 64
    message = attempt(base)
    assert f"delta 1.0 (delta-1.0-py3-none-any.whl, sha256 {'2' * 64}) is not on the index {local_index.url}" in message
    assert "lists delta-1.0-py3-none-any.whl with another sha256" in message


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize("name", ["../../../delta-1.0", "..", "sub/delta-1.0", ".delta-1.0"])
def test_a_file_name_that_climbs_is_refused(base, attempt, kind, name):
    """packaging.pylock refuses each (a name must match its package); select.py checks again after it."""
    wheel = package(base, "delta").pop("wheels")[0]
    filename = name + ("-py3-none-any.whl" if kind == "wheel" else ".tar.gz") if name != ".." else name
    package(base, "delta")["wheels" if kind == "wheel" else "sdist"] = (
        [{**wheel, "name": filename}] if kind == "wheel" else {**wheel, "name": filename})
    message = attempt(base)
    assert "is not a valid PEP 751 lock" in message and repr(filename) in message


def test_a_mirror_is_the_only_source_even_for_a_lock_pointing_elsewhere(base, attempt, local_index):
    delta_wheel(base).update(url="file:///etc/passwd", name="delta-1.0-py3-none-any.whl")
    delta_wheel(base)["hashes"]["sha256"] = "1" * 64
    mirror = IndexConfig.from_options(mirror=str(local_index.mirror_dir))
    message = attempt(base, mirror)
    assert "delta 1.0 (delta-1.0-py3-none-any.whl, sha256 " + "1" * 64 in message
    assert "lists delta-1.0-py3-none-any.whl with another sha256" in message and "no other source is used" in message


def test_a_lock_sent_over_rest_never_reads_a_host_file(base, server_api, jupyter_server_url, tmp_path):
    """The lock names /etc/passwd with its true hash and size: were it read, it would pass every check."""
    passwd = Path("/etc/passwd").read_bytes()
    delta_wheel(base).update(url="file:///etc/passwd", name="delta-1.0-py3-none-any.whl", size=len(passwd),
                             hashes={"sha256": hashlib.sha256(passwd).hexdigest()})
    text = save(base, tmp_path / "rest" / "pylock.toml").read_text()
    for method, path, body in (("POST", "pull", {"lock": text}),
                               ("PUT", "lambdas/leaky", {"code": "def f(event):\n    return 1\n", "lock": text})):
        status, answer = server_api.call(method, path, body)
        assert status == 422, answer
        message = answer["error"]["message"]
        assert answer["error"]["type"] == "MissingFromMirror"
        assert "delta 1.0 (delta-1.0-py3-none-any.whl, sha256 " in message and "is not on the index" in message
        assert "lists delta-1.0-py3-none-any.whl with another sha256" in message
    assert staging_debris(jupyter_server_url.store_dir) == []
    assert server_api.call("GET", "lambdas/leaky")[0] == 404


@pytest.mark.parametrize("configured", ["index", "mirror"])
def test_a_relative_path_never_reads_a_host_file_outside_the_configured_source(base, attempt, local_index, configured):
    """A lock file's relative `path` climbs to a host file with its true hash and size: were it read,
    it would pass every check. It is a file:// URL outside the index (or the mirror), so it is never
    fetched; the same name and hash are looked up on the configured source, which lacks them."""
    passwd = Path("/etc/passwd").read_bytes()
    wheel = delta_wheel(base)
    del wheel["url"]
    wheel.update(path="../" * 20 + "etc/passwd", name="delta-1.0-py3-none-any.whl", size=len(passwd),
                 hashes={"sha256": hashlib.sha256(passwd).hexdigest()})
    mirror = IndexConfig.from_options(mirror=str(local_index.mirror_dir)) if configured == "mirror" else None
    message = attempt(base, mirror)
    assert "delta 1.0 (delta-1.0-py3-none-any.whl, sha256 " in message and "is not on the " in message
