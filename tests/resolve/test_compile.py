"""Real uv, in a real sandbox, against the local index over HTTP and as mirror directories."""

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.resolve import ConflictError, IndexUnreachable, PackageNotFound, VersionNotFound
from tests.engine import make_service


def _pins(closure) -> dict[str, str]:
    return {pin.name: pin.version for pin in closure.pins}


def test_full_closure_with_hashes_urls_and_index(service, local_index):
    closure = service.compile(["alpha==2.0"])
    assert _pins(closure) == {"alpha": "2.0", "beta": "1.5"}
    alpha = closure.pin("alpha")
    wheel = alpha.wheels[0]
    assert wheel.url.startswith(local_index.server.files_url) and len(wheel.sha256) == 64 and wheel.size
    assert alpha.index == local_index.url == closure.index
    assert closure.runtime_id == service.runtime.id and closure.python_version == service.runtime.version


def test_extras_markers_and_requires_python_follow_the_runtime(service):
    closure = service.compile(["gamma[fast]", "epsilon", "modern"])
    assert _pins(closure) == {
        "gamma": "1.0", "alpha": "2.0", "beta": "1.5", "delta": "1.0", "epsilon": "1.0", "eta": "1.0", "modern": "0.9",
    }


def test_hashed_requirements_txt_pins_the_runtimes_files(service):
    closure = service.compile(["platpkg", "sdistonly"])
    text = closure.to_requirements_txt()
    assert [w.filename for w in closure.pin("platpkg").wheels] == [
        "platpkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    ]
    assert closure.pin("sdistonly").sdist.filename == "sdistonly-1.0.tar.gz"
    for pin in closure.pins:
        assert all(f"--hash=sha256:{artifact.sha256}" in text for artifact in pin.artifacts)


def test_unknown_package(service, local_index):
    with pytest.raises(PackageNotFound, match=f"package 'no-such-thing' was not found on the index {local_index.url}"):
        service.compile(["no-such-thing"])


def test_unknown_version(service):
    with pytest.raises(VersionNotFound, match=r"no version of alpha==9\.9 exists"):
        service.compile(["alpha==9.9"])


def test_conflict_carries_uvs_explanation(service):
    with pytest.raises(ConflictError, match=r"(?s)the requirements conflict:.*alpha.*beta"):
        service.compile(["alpha==2.0", "beta==2.0"])


@pytest.mark.parametrize("shape", ["bandersnatch", "flat"])
def test_mirror_directory_has_no_fallback_to_pypi(tmp_path, local_index, shape):
    mirror = local_index.mirror_dir if shape == "bandersnatch" else local_index.files_dir
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(mirror)))
    assert _pins(service.compile(["alpha==2.0"])) == {"alpha": "2.0", "beta": "1.5"}
    expected = rf"'requests' was not found on the mirror .*{shape}.*no fallback to PyPI"
    with pytest.raises(PackageNotFound, match=expected):
        service.compile(["requests"])


def test_unreachable_index_is_named(tmp_path):
    service = make_service(tmp_path / "store", IndexConfig.from_options(index_url="http://127.0.0.1:9/simple/"))
    with pytest.raises(IndexUnreachable, match=r"cannot reach the index http://127.0.0.1:9/simple/"):
        service.compile(["alpha"])
