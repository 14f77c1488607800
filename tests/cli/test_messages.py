"""Messages that name where packages come from read right ("not found on the default index (PyPI)",
never "on the the ..."), and `packages` stays narrow for a distribution made of namespace directories."""

import socket

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.resolve import PackageNotFound
from ol_notebook.resolve.compile import classify_failure
from tests.engine import make_service
from tests.localindex.wheelbuilder import Package, write_package
from tests.store.test_distinfo import recorded_paths


def test_not_found_on_the_local_index_reads_right_through_the_cli(run, local_index):
    err = run("pull", "nope-nope", ok=False).stderr
    assert err == f"error: package 'nope-nope' was not found on the index {local_index.url}; there is no fallback " \
                  "to PyPI\n"


@pytest.mark.parametrize("shape", ["bandersnatch", "flat"])
def test_not_found_on_a_mirror_reads_right_through_the_engine(tmp_path, local_index, shape):
    mirror = local_index.mirror_dir if shape == "bandersnatch" else local_index.files_dir
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(mirror)))
    kind = "a bandersnatch directory" if shape == "bandersnatch" else "a flat directory of wheels and sdists"
    with pytest.raises(PackageNotFound) as caught:
        service.compile(["requests"])
    how = (f"add it with `ol-notebook mirror {mirror.resolve()} --lock pylock.toml` on a machine that reaches an "
           "index, from a lock that has requests (make one there with `uv pip compile --format pylock.toml` or "
           "`pip lock`), then copy the mirror here again") if shape == "bandersnatch" else \
        f"copy a wheel or sdist of requests into {mirror.resolve()}"
    assert str(caught.value) == (f"package 'requests' was not found on the mirror {mirror.resolve()} ({kind}); "
                                 f"there is no fallback to PyPI; {how}")


def test_not_found_on_the_index_reads_right_through_the_engine(tmp_path, local_index):
    service = make_service(tmp_path / "store", IndexConfig.from_options(index_url=local_index.url))
    with pytest.raises(PackageNotFound, match=f"^package 'nope' was not found on the index {local_index.url};"):
        service.compile(["nope"])


def test_the_default_index_is_named_once():
    """What uv says when PyPI has no such package (the tests never reach PyPI itself)."""
    stderr = ("  \u00d7 No solution found when resolving dependencies:\n"
              "  \u2570\u2500\u25b6 Because nope-nope was not found in the package registry and you require "
              "nope-nope, we can conclude that your requirements are unsatisfiable.\n")
    assert str(classify_failure(stderr, IndexConfig())) == (
        "package 'nope-nope' was not found on the default index (PyPI)")


def test_the_default_index_unreachable_reads_right_through_the_cli(run):
    """PyPI behind a proxy that refuses connections: a port bound on the loopback but not listening."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
        variables = {"OL_NOTEBOOK_INDEX_URL": "", "HTTPS_PROXY": proxy, "https_proxy": proxy}
        err = run("compile", "nope-nope", env=variables, ok=False).stderr
    assert err.startswith("error: cannot reach the default index (PyPI):\n")


def test_packages_stays_narrow_for_namespace_distributions(run, tmp_path):
    """A wheel shaped like googleapis-common-protos 1.66.0 (its real paths), pulled from a flat mirror."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    files = {path: "" for path in recorded_paths("googleapis_common_protos-1.66.0") if ".dist-info/" not in path}
    write_package(Package("googleapis-common-protos", "1.66.0", files), mirror)
    run("pull", "googleapis-common-protos", "--mirror", str(mirror), env={"OL_NOTEBOOK_INDEX_URL": ""})
    table = run("packages").stdout.splitlines()
    row = next(line for line in table if line.startswith("googleapis-common-protos"))
    assert ("google.api, google.cloud, google.gapic.metadata, google.logging.type, google.longrunning, google.rpc, "
            "google.type") in row
    assert max(len(line) for line in table) < 250 and "_pb2" not in row
