"""The air-gapped side: once mirrored, `--mirror DIR` compiles and pulls with the index gone,
every file from inside the mirror, in sandboxes given no network at all; what the mirror lacks
is an error that names the package, the mirror, and how to add it, never a fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.index.config import IndexAccess
from ol_notebook.resolve import PackageNotFound, VersionNotFound
from tests.engine import make_service
from tests.localindex import IndexServer
from tests.mirror.helpers import mirror_locks, uv_lock


@pytest.fixture(scope="module")
def offline_mirror(tmp_path_factory, local_index) -> Path:
    """A mirror made from a lock of an index that is shut down once the mirror is built."""
    work = tmp_path_factory.mktemp("offline")
    with IndexServer(local_index.files_dir) as gone:
        lock = uv_lock(gone.url, work / "locks", "alpha==2.0", "gamma[fast]", "sdistonly")
        root = mirror_locks(work / "mirror", gone.url, lock).root
    return root


def test_compile_and_pull_from_the_mirror_with_the_index_gone_and_no_network(tmp_path, offline_mirror):
    mirror = IndexConfig.from_options(mirror=str(offline_mirror))
    assert mirror.sandbox_access() == IndexAccess()  # no egress, no loopback port: no network at all
    service = make_service(tmp_path / "store", mirror)
    closure = service.compile(["gamma[fast]", "sdistonly"])
    assert {pin.name: pin.version for pin in closure.pins} == {
        "alpha": "2.0", "beta": "1.5", "delta": "1.0", "gamma": "1.0", "sdistonly": "1.0"}
    packages = (offline_mirror / "web" / "packages").as_uri() + "/"
    assert all(artifact.url.startswith(packages) for pin in closure.pins for artifact in pin.artifacts)
    report = service.pull(closure)
    assert len(report.installed) == 5  # sdistonly built from its sdist, in a sandbox without network
    assert {entry.metadata.index for entry in report.entries.values()} == {mirror.label}


def test_a_package_the_mirror_lacks_names_it_the_mirror_and_how_to_add_it(tmp_path, offline_mirror):
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(offline_mirror)))
    with pytest.raises(PackageNotFound) as caught:
        service.compile(["toolpkg"])
    assert str(caught.value) == (
        f"package 'toolpkg' was not found on the mirror {offline_mirror} (a bandersnatch directory); there is no "
        f"fallback to PyPI; add it with `ol-notebook mirror {offline_mirror} --lock pylock.toml` on a machine that "
        "reaches an index, from a lock that has toolpkg (make one there with `uv pip compile --format pylock.toml` "
        "or `pip lock`), then copy the mirror here again")


def test_a_version_the_mirror_lacks_is_named_with_how_to_add_it(tmp_path, offline_mirror):
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(offline_mirror)))
    with pytest.raises(VersionNotFound, match=rf"alpha.*1\.0.*{offline_mirror}.*; add it with `ol-notebook mirror "
                       rf"{offline_mirror} --lock pylock.toml`"):
        service.compile(["alpha==1.0"])
