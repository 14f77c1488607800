from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig, IndexConfigError


def test_default_is_pypi_through_uv_default_with_no_flags():
    config = IndexConfig.from_options()
    assert config.kind == "default" and config.uv_args() == [] and config.is_remote


def test_index_url_becomes_the_only_index():
    config = IndexConfig.from_options(index_url="http://127.0.0.1:1/simple/")
    assert config.uv_args() == ["--default-index", "http://127.0.0.1:1/simple/"]
    assert config.label == "http://127.0.0.1:1/simple/"


def test_index_and_mirror_together_are_refused():
    with pytest.raises(IndexConfigError, match="choose one"):
        IndexConfig.from_options(index_url="http://a/simple", mirror="http://b/simple")


def test_bad_url_is_named():
    with pytest.raises(IndexConfigError, match="'ftp://x' is not an http"):
        IndexConfig.from_options(index_url="ftp://x")


def test_bandersnatch_directory(local_index):
    config = IndexConfig.from_options(mirror=str(local_index.mirror_dir))
    assert config.kind == "bandersnatch" and not config.is_remote
    assert config.uv_args() == ["--default-index", local_index.mirror_url]
    assert config.local_paths() == [local_index.mirror_dir.resolve()]


def test_flat_directory(local_index):
    config = IndexConfig.from_options(mirror=f"file://{local_index.files_dir}")
    assert config.kind == "flat"
    assert config.uv_args() == ["--no-index", "--find-links", str(local_index.files_dir.resolve())]


def test_missing_and_empty_mirror_directories_are_named(tmp_path: Path):
    with pytest.raises(IndexConfigError, match=f"mirror directory {tmp_path / 'nope'} does not exist"):
        IndexConfig.from_options(mirror=str(tmp_path / "nope"))
    with pytest.raises(IndexConfigError, match="neither a bandersnatch mirror"):
        IndexConfig.from_options(mirror=str(tmp_path))
