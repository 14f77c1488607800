import hashlib
from pathlib import Path

import pytest

from ol_notebook.index import DownloadError, download


def _served(local_index, name: str) -> tuple[str, str]:
    path = next(local_index.files_dir.glob(name))
    return local_index.server.files_url + path.name, hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_over_http_is_cached_by_hash(local_index, tmp_path: Path):
    url, digest = _served(local_index, "alpha-1.0-*.whl")
    seen: list[int] = []
    first = download(url, digest, "alpha-1.0-py3-none-any.whl", tmp_path, seen.append)
    assert hashlib.sha256(first.read_bytes()).hexdigest() == digest and seen
    requests_before = len(local_index.server.requests)
    again = download(url, digest, "alpha-1.0-py3-none-any.whl", tmp_path)
    assert again == first and len(local_index.server.requests) == requests_before


def test_hash_mismatch_is_refused_and_leaves_nothing(local_index, tmp_path: Path):
    url, _ = _served(local_index, "alpha-1.0-*.whl")
    with pytest.raises(DownloadError, match="the index promised 0000"):
        download(url, "0" * 64, "alpha-1.0-py3-none-any.whl", tmp_path)
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_missing_file_names_the_url(local_index, tmp_path: Path):
    url = local_index.server.files_url + "nope-1.0-py3-none-any.whl"
    with pytest.raises(DownloadError, match=r"nope-1.0-py3-none-any.whl failed: HTTP 404"):
        download(url, "0" * 64, "nope-1.0-py3-none-any.whl", tmp_path)


def test_local_file_url(local_index, tmp_path: Path):
    path = next(local_index.files_dir.glob("beta-1.0-*.whl"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert download(path.as_uri(), digest, path.name, tmp_path).read_bytes() == path.read_bytes()
