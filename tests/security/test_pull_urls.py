"""A closure is data a client may hand-make: its URLs must be the configured index's (issue 8, smaller item).

Downloads run in the server process, outside any sandbox, so `file:///etc/passwd` in a closure read
host files (the error quoted the secret's sha256) and `http://127.0.0.1:<port>/` reached any loopback
service. Only the index's or mirror's URLs are fetched; a server that does not speak HTTP is a clear
error, and nothing is left in the staging directory.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig, Runtime
from ol_notebook.index.origins import artifact_url_problem
from ol_notebook.puller import InstallError, PullError
from ol_notebook.resolve import Artifact, Closure, Pin
from tests.engine import make_service


def closure_with(url: str, name: str = "leaky", index: str = "PyPI") -> Closure:
    """A hand-made closure whose one wheel is at `url`."""
    runtime = Runtime.current()
    wheel = Artifact(filename=f"{name}-1.0-py3-none-any.whl", url=url, sha256="0" * 64, size=10)
    return Closure(("leaky",), (Pin(name, "1.0", index, wheels=(wheel,)),), runtime.id, runtime.version, index)


def staging_debris(store_dir: Path) -> list[Path]:
    return [path for staging in (store_dir / "work" / "staging").glob("*") for path in staging.iterdir()]


@pytest.fixture
def secret_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "secret.whl"
    path.write_bytes(secrets.token_bytes(64))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_rest_pull_of_a_file_url_is_refused_without_reading_it(server_api, secret_file, jupyter_server_url):
    path, digest = secret_file
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    for url in (path.as_uri(), "file:///etc/passwd", f"http://127.0.0.1:{server_api._port}/api/status"):
        status, body = server_api.call("POST", "pull", {"closure": json.loads(closure_with(url).to_json())})
        assert status == 422, body
        message = body["error"]["message"]
        assert "leaky 1.0" in message and url in message and "refusing to download" in message
        assert digest not in str(body) and passwd not in str(body)
    assert staging_debris(jupyter_server_url.store_dir) == []


def test_only_the_configured_sources_urls_are_fetched(local_index, tmp_path):
    pypi = IndexConfig()
    assert artifact_url_problem(pypi, "https://files.pythonhosted.org/packages/ab/six-1.16.0-py3-none-any.whl") is None
    for url in ("file:///etc/passwd", "http://files.pythonhosted.org/x.whl", "https://evil.example/x.whl",
                "https://files.pythonhosted.org:8443/x.whl", "data:,hello", "/etc/passwd"):
        assert "only files served by https://pypi.org:443 and https://files.pythonhosted.org:443" in (
            artifact_url_problem(pypi, url) or ""), url

    served = IndexConfig.from_options(index_url=local_index.url)
    host, port = local_index.server.address
    assert artifact_url_problem(served, f"http://{host}:{port}/files/alpha-1.0-py3-none-any.whl") is None
    assert artifact_url_problem(served, f"http://{host}:{port + 1}/files/x.whl") is not None
    assert artifact_url_problem(served, f"https://{host}:{port}/files/x.whl") is not None
    explicit_pypi = IndexConfig.from_options(index_url="https://pypi.org/simple/")
    assert artifact_url_problem(explicit_pypi, "https://files.pythonhosted.org/packages/x.whl") is None

    flat = IndexConfig.from_options(mirror=str(local_index.files_dir))
    inside = (local_index.files_dir / "alpha-1.0-py3-none-any.whl").resolve()
    assert artifact_url_problem(flat, inside.as_uri()) is None
    for url in (f"file://{inside.parent}/../secret.whl", "file:///etc/passwd", f"http://{host}:{port}/files/x.whl",
                f"file://otherhost{inside}"):
        assert f"only file:// paths inside {inside.parent}" in (artifact_url_problem(flat, url) or ""), url
    mirror = IndexConfig.from_options(mirror=str(local_index.mirror_dir))
    (wheel,) = (local_index.mirror_dir / "web" / "packages").rglob("alpha-1.0-*.whl")
    assert artifact_url_problem(mirror, wheel.resolve().as_uri()) is None


def test_a_closure_from_another_index_is_refused_before_any_download(tmp_path, local_index, secret_file):
    service = make_service(tmp_path / "store", IndexConfig.from_options(index_url=local_index.url))
    path, digest = secret_file
    served_before = len(local_index.server.requests)
    with pytest.raises(InstallError, match=r"leaky 1\.0: refusing to download file://") as caught:
        service.pull(closure_with(path.as_uri()))
    assert digest not in str(caught.value)
    assert len(local_index.server.requests) == served_before
    assert list(service.store.downloads_dir.rglob("*.whl")) == [] and staging_debris(tmp_path / "store") == []


@pytest.fixture
def garbage_server() -> Iterator[tuple[str, int]]:
    """A loopback listener that answers every connection with bytes that are not HTTP, then closes it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        for _ in range(200):  # bounded: at most 40 s, and stopped by the test far earlier
            if stop.is_set():
                return
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(4096)
                connection.sendall(b"SSH-2.0-not-http " + b"x" * 500 + b"\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()
    stop.set()
    thread.join()
    listener.close()


def test_a_server_answering_garbage_is_a_clear_error_and_leaves_no_staging(tmp_path, garbage_server):
    host, port = garbage_server
    index = IndexConfig.from_options(index_url=f"http://{host}:{port}/simple/")
    service = make_service(tmp_path / "store", index)
    url = f"http://{host}:{port}/files/leaky-1.0-py3-none-any.whl"
    with pytest.raises(PullError) as caught:
        service.pull(closure_with(url, index=index.label))
    message = str(caught.value.failures["leaky==1.0"])
    assert f"downloading {url} failed: the server did not answer as an HTTP server does (BadStatusLine" in message
    assert len(message) < 400
    assert staging_debris(tmp_path / "store") == []
