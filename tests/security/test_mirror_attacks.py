"""Attacks on a mirror through the locks it is built from, and on the files once mirrored.

A lock comes from anyone and the mirror downloads in the host process: a file name with `../`
or `/`, a URL that is not the index's (file:///etc/passwd, another host, a service on the
loopback), a file of another project, a hash or size that does not match, a file name the mirror
already lists with other content: each is refused with an error naming it, and the mirror is
left exactly as it was (not created at all on a first run). A mirror file replaced after it was
mirrored is caught by the next mirror run (re-hashed, replaced) and by a pull (sha256).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig
from ol_notebook.mirror import MirrorError, verify_mirror, wanted_from_closure
from ol_notebook.mirror.files import sha256_file
from ol_notebook.resolve import Artifact, Closure, Pin, ResolveError
from tests.engine import make_service
from tests.mirror.helpers import edit_lock, mirror_locks, tree, uv_lock

# packaging.pylock refuses most such names when the lock is read; the mirror's own check is the
# second line (and the only one for a closure compiled from requirements).
NOT_A_PLAIN_NAME = (r"pylock.toml is not a valid PEP 751 lock: (Invalid wheel filename|Name in .* is not consistent)"
                    r"|is not a plain file name")


@pytest.fixture
def lock(tmp_path, local_index) -> Path:
    """A real lock of alpha 2.0 and beta 1.5 (in that order) from the local index."""
    return uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0")


def _wheel(data: dict, name: str) -> dict:
    (package,) = [package for package in data["packages"] if package["name"] == name]
    return package["wheels"][0]


def _refused(root: Path, index_url: str, lock: Path, message: str) -> None:
    before = tree(root)
    existed = root.exists()
    with pytest.raises(OLError, match=message):
        mirror_locks(root, index_url, lock)
    assert tree(root) == before and root.exists() == existed


@pytest.mark.parametrize("name", ["../../../alpha-2.0-py3-none-any.whl", "x/alpha-2.0-py3-none-any.whl",
                                  ".alpha-2.0-py3-none-any.whl", "alpha-2.0-py3-none-any.whl\\..\\x"])
def test_a_file_name_with_a_path_in_it_is_refused(tmp_path, local_index, lock, name):
    edit_lock(lock, lambda data: _wheel(data, "alpha").update(name=name))
    _refused(tmp_path / "mirror", local_index.url, lock, NOT_A_PLAIN_NAME)


def test_a_path_hidden_in_the_url_is_refused(tmp_path, local_index, lock):
    def change(data):
        wheel = _wheel(data, "alpha")
        wheel.pop("name", None)
        wheel["url"] = wheel["url"].rsplit("/", 1)[0] + "/..%2F..%2Falpha-2.0-py3-none-any.whl"
    edit_lock(lock, change)
    _refused(tmp_path / "mirror", local_index.url, lock, NOT_A_PLAIN_NAME)


def test_a_file_url_is_refused_without_reading_it(tmp_path, local_index, lock):
    edit_lock(lock, lambda data: _wheel(data, "alpha").update(name="alpha-2.0-py3-none-any.whl",
                                                               url="file:///etc/passwd"))
    _refused(tmp_path / "mirror", local_index.url, lock,
             r"has the URL file:///etc/passwd: only files served by http://127\.0\.0\.1:\d+ are downloaded")


def test_a_relative_path_out_of_the_lock_directory_is_refused(tmp_path, local_index, lock):
    def change(data):
        wheel = _wheel(data, "alpha")
        del wheel["url"]
        wheel["path"] = "../../../../../../etc/alpha-2.0-py3-none-any.whl"
    edit_lock(lock, change)
    _refused(tmp_path / "mirror", local_index.url, lock, r"has the URL file:///.*: only files served by")


@pytest.mark.parametrize("host", ["169.254.169.254", "canary", "example.org"])
def test_a_url_on_another_host_is_refused_without_connecting(tmp_path, local_index, lock, canary, host):
    address = "{}:{}".format(*canary.address) if host == "canary" else host
    before = canary.connections
    edit_lock(lock, lambda data: _wheel(data, "alpha").update(url=f"http://{address}/alpha-2.0-py3-none-any.whl"))
    _refused(tmp_path / "mirror", local_index.url, lock, f"has the URL http://{address}/.*: only files served by")
    assert canary.connections == before


def test_a_file_of_another_project_is_refused(tmp_path, local_index, lock):
    """It would be listed on alpha's page, so `pip install alpha` would get beta's code."""
    def change(data):
        beta = _wheel(data, "beta")
        _wheel(data, "alpha").update(url=beta["url"], name=beta.get("name", "beta-1.5-py3-none-any.whl"))
    edit_lock(lock, change)
    _refused(tmp_path / "mirror", local_index.url, lock,
             r"pylock.toml is not a valid PEP 751 lock: Name in 'beta-1\.5-py3-none-any\.whl' is not consistent "
             "with package name 'alpha'")


def test_a_hash_mismatch_publishes_nothing_not_even_the_good_files(tmp_path, local_index, lock):
    edit_lock(lock, lambda data: _wheel(data, "beta")["hashes"].update(sha256="0" * 64))
    _refused(tmp_path / "mirror", local_index.url, lock,
             r"beta-1\.5-py3-none-any\.whl \(beta 1\.5, from the lock .*\): .* has sha256 [0-9a-f]{64}, but .* "
             f"promised {'0' * 64}.*nothing was changed in the mirror")


def test_a_hash_mismatch_leaves_an_existing_mirror_as_it_was(tmp_path, local_index, lock):
    root = tmp_path / "mirror"
    mirror_locks(root, local_index.url, uv_lock(local_index.url, tmp_path / "first", "delta"))
    edit_lock(lock, lambda data: _wheel(data, "beta")["hashes"].update(sha256="0" * 64))
    _refused(root, local_index.url, lock, "nothing was changed in the mirror")


def test_a_wrong_size_is_refused(tmp_path, local_index, lock):
    edit_lock(lock, lambda data: _wheel(data, "alpha").update(size=12))
    _refused(tmp_path / "mirror", local_index.url, lock, r"alpha-2\.0-py3-none-any\.whl .* is [\d,]+ bytes, but "
             r"the lock .* says 12; nothing was changed")


def test_a_file_the_mirror_lists_with_other_content_is_refused(tmp_path, local_index, lock):
    root = tmp_path / "mirror"
    mirror_locks(root, local_index.url, lock)
    other = uv_lock(local_index.url, tmp_path / "other", "alpha==2.0")
    edit_lock(other, lambda data: _wheel(data, "alpha")["hashes"].update(sha256="1" * 64))
    _refused(root, local_index.url, other, "already lists alpha-2.0-py3-none-any.whl with sha256 [0-9a-f]{64}")


def test_a_file_replaced_after_mirroring_is_caught_by_pull_compile_and_the_next_run(tmp_path, local_index, lock):
    root = mirror_locks(tmp_path / "mirror", local_index.url, lock).root
    mirror = IndexConfig.from_options(mirror=str(root))
    service = make_service(tmp_path / "store", mirror)
    closure = service.compile(["alpha==2.0"])  # compiled while the mirror was whole, pulled after
    (wheel,) = (root / "web" / "packages").rglob("alpha-2.0-*.whl")
    good = sha256_file(wheel)
    wheel.write_bytes(b"not the wheel that was mirrored")
    with pytest.raises(OLError, match=f"alpha-2.0-py3-none-any.whl from .* has sha256 [0-9a-f]{{64}}, but the "
                       f"index promised {good}"):
        service.pull(closure)
    assert "alpha" not in {entry.metadata.name for entry in service.store.entries()}
    fresh = make_service(tmp_path / "fresh-store", mirror)
    with pytest.raises(ResolveError, match=rf"^a file of alpha==2\.0 on the mirror {root} .* is not a valid "
                       rf"distribution: .*`ol-notebook mirror {root} --lock pylock.toml` .* re-hashes and replaces"):
        fresh.compile(["alpha==2.0"])
    dead = uv_lock(local_index.url, tmp_path / "dead", "alpha==2.0")
    edit_lock(dead, lambda data: _wheel(data, "alpha").update(url=local_index.url + "gone/alpha-2.0-py3-none-any.whl"))
    _refused(root, local_index.url, dead, r"HTTP 404.*nothing was changed in the mirror \(and its copy in the mirror "
             r"changed since it was mirrored: sha256 [0-9a-f]{64}\)")
    report = mirror_locks(root, local_index.url, lock)
    (repaired, found), = report.repaired
    assert repaired.filename == "alpha-2.0-py3-none-any.whl" and found != good and sha256_file(wheel) == good
    assert [file.filename for file in report.kept] == ["beta-1.5-py3-none-any.whl"]


@pytest.mark.parametrize(("filename", "message"), [
    ("../alpha-2.0-py3-none-any.whl", "is not a plain file name"),
    ("beta-1.5-py3-none-any.whl", "belongs to the project beta, not to alpha"),
    ("alpha-1.0-py3-none-any.whl", "is of version 1.0, not 2.0"),
    ("alpha-2.0.exe", "is neither a wheel"),
])
def test_the_mirror_checks_names_itself_for_what_no_lock_reader_saw(local_index, filename, message):
    """`mirror REQ...` mirrors a closure, which packaging.pylock never validated."""
    index = IndexConfig.from_options(index_url=local_index.url)
    url = local_index.url.replace("/simple/", "/files/") + filename
    closure = Closure(requirements=("alpha==2.0",), pins=(Pin("alpha", "2.0", index.label, wheels=(
        Artifact(filename, url, "0" * 64),)),), runtime_id="x", python_version="3.11.7", index=index.label)
    with pytest.raises(MirrorError, match=message):
        wanted_from_closure(closure, index)


def test_verify_does_not_follow_a_page_link_out_of_the_mirror(tmp_path, local_index, lock):
    root = mirror_locks(tmp_path / "mirror", local_index.url, lock).root
    page = root / "web" / "simple" / "alpha" / "index.v1_json"
    data = json.loads(page.read_text())
    data["files"][0]["url"] = "../../../../../../etc/passwd"
    page.write_text(json.dumps(data))
    checked, damaged = verify_mirror(root)
    assert checked == 2 and [(d.filename, d.problem) for d in damaged] == [
        ("alpha-2.0-py3-none-any.whl", "its link ../../../../../../etc/passwd is not a file of this mirror")]
