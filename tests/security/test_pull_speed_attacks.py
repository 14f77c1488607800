"""What a warm pull may skip, attacked: uv's install cache changed after publish hashed it.

A warm install hard-links every file from uv's cache, and publish skips hashing a file whose
inode it has hashed before against the same RECORD digest (store/verified.py). These tests
change the cache between a pull and the next pull of the same wheel, as a writer of that cache
would, and check what the next publish does: a content change (which moves mtime) and a change
made together with uv's cached copy of RECORD are refused, naming the file; an in-place rewrite
that puts mtime back is past the memo (only this user or root can do it, see verified.py) and
`verify`, which re-hashes everything, names it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ol_notebook.packages import PackageService
from ol_notebook.puller import PullError
from ol_notebook.resolve import Closure
from tests.localindex.backend import record_hash
from tests.store.tampering import rewrite_keeping_mtime_and_size

KEY = "six==1.16.0"
SOURCE = "six/__init__.py"


def cached_copy(service: PackageService, relative: str) -> Path:
    """The file of uv's cache that the entry's `relative` is a hard link of (found by inode, not by
    uv's cache layout)."""
    info = os.stat(service.store.files_dir(KEY) / relative)
    (found,) = [path for path in service.store.uv_cache_dir.rglob(Path(relative).name)
                if os.stat(path).st_ino == info.st_ino and os.stat(path).st_dev == info.st_dev]
    return found


def rewrite(path: Path, data: bytes) -> None:
    """Rewrite a frozen file in place, as a writer of the cache would (its mtime moves)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    os.chmod(path, 0o644)
    path.write_bytes(data)
    os.chmod(path, mode)


@pytest.fixture
def pulled(service) -> tuple[PackageService, Closure]:
    closure = service.compile([KEY])
    service.pull(closure)
    return service, closure


def refused(service: PackageService, closure: Closure) -> str:
    """Pull again after the entry was removed (so the install is warm); the error, nothing published."""
    service.store.remove(KEY)
    with pytest.raises(PullError) as caught:
        service.pull(closure)
    assert list(caught.value.failures) == [KEY]
    assert not service.store.has(KEY) and list(service.store.staging_dir.iterdir()) == []
    return str(caught.value.failures[KEY])


def test_the_memo_names_the_cache_inodes_and_lives_where_no_sandbox_writes(pulled):
    service, closure = pulled
    store = service.store
    memo = store.verified.load(closure.pin("six").wheels[0].sha256)
    cached = os.stat(cached_copy(service, SOURCE))
    assert memo[SOURCE][:2] == (cached.st_dev, cached.st_ino)
    assert store.verified.directory.is_relative_to(store.root)
    assert not store.verified.directory.is_relative_to(store.work_dir)  # the install sandbox's only writable bind


def test_a_cache_file_changed_after_it_was_verified_is_refused(pulled):
    service, closure = pulled
    cache = cached_copy(service, SOURCE)
    rewrite(cache, cache.read_bytes().replace(b'DIST = "six"', b'DIST = "evi"'))
    assert f"{SOURCE} does not match its sha256 in RECORD" in refused(service, closure)


def test_a_cache_file_changed_with_uvs_copy_of_its_record_is_refused(pulled):
    """uv writes the installed RECORD from its cached copy, so a consistent change of both used to
    pass publish; the wheel's own RECORD (its sha256 checked) does not agree."""
    service, closure = pulled
    cache = cached_copy(service, SOURCE)
    data = cache.read_bytes().replace(b'DIST = "six"', b'DIST = "evi"')
    rewrite(cache, data)
    (record,) = cache.parent.parent.glob("six-1.16.0.dist-info/RECORD")
    lines = [f"{SOURCE},{record_hash(data)},{len(data)}" if line.startswith(f"{SOURCE},") else line
             for line in record.read_text().splitlines()]
    rewrite(record, ("\n".join(lines) + "\n").encode())
    assert f"{SOURCE} is recorded with another sha256 than the wheel's RECORD gives it" in refused(service, closure)


def test_an_in_place_rewrite_with_mtime_put_back_is_past_the_memo_and_verify_names_it(pulled):
    """The memo's limit, by design (see store/verified.py): only this user or root can write the
    cache's inodes and then set mtime back, and they can as well rewrite any record."""
    service, closure = pulled
    cache = cached_copy(service, SOURCE)
    service.store.remove(KEY)
    rewrite_keeping_mtime_and_size(cache, cache.read_bytes().replace(b'DIST = "six"', b'DIST = "evi"'))
    service.pull(closure)
    (corruption,) = service.store.verify([KEY])
    assert corruption.problems == (f"{SOURCE} does not match its sha256 in RECORD",)


def test_an_unreadable_memo_is_ignored_and_every_file_hashed(pulled):
    service, closure = pulled
    sha256 = closure.pin("six").wheels[0].sha256
    memo = service.store.verified.directory / f"{sha256}.json"
    memo.write_text("{not json")
    assert service.store.verified.load(sha256) == {}
    cache = cached_copy(service, SOURCE)
    rewrite(cache, cache.read_bytes().replace(b'DIST = "six"', b'DIST = "evi"'))
    assert f"{SOURCE} does not match its sha256 in RECORD" in refused(service, closure)
