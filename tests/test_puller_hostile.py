"""Hostile sdists from the local index: each is contained by the install sandbox and named in the error."""

import secrets
from dataclasses import replace
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.puller import DEFAULT_LIMITS, PullError
from ol_notebook.sandbox import (
    Limits,
    SandboxDiskExceeded,
    SandboxMemoryExceeded,
    SandboxProcessLimitExceeded,
    SandboxTimeout,
)
from tests.engine import make_service
from tests.test_puller import _load

SMALL = Limits(timeout=15.0, memory=512 << 20, processes=64, disk=64 << 20)


@pytest.fixture
def strict(tmp_path, http_index):
    return make_service(tmp_path / "store", http_index, install_limits=SMALL)


def _fails_with(service, name: str, cause: type | tuple[type, ...]) -> str:
    closure = service.compile([name])
    with pytest.raises(PullError) as caught:
        service.pull(closure)
    (key,) = caught.value.failures
    error = caught.value.failures[key]
    assert isinstance(error.__cause__, cause), repr(error.__cause__)
    assert f"{name} 1.0 was stopped" in str(error)
    assert not service.store.has(key) and list(service.store.staging_dir.iterdir()) == []
    return str(error)


def test_endless_build_hits_the_timeout(tmp_path, http_index):
    service = make_service(tmp_path / "store", http_index, install_limits=replace(SMALL, timeout=3.0))
    assert "3" in _fails_with(service, "evil-hang", SandboxTimeout)


def test_endless_allocation_hits_the_memory_limit(strict):
    _fails_with(strict, "evil-alloc", SandboxMemoryExceeded)


def test_fork_bomb_hits_the_process_limit(strict):
    _fails_with(strict, "evil-forkbomb", SandboxProcessLimitExceeded)


def test_disk_filler_is_stopped_by_a_limit_not_the_clock(strict):
    """It fills /tmp, a tmpfs of the disk limit, then keeps creating empty files that ENOSPC
    cannot refuse: their inodes are kernel memory charged to the sandbox, so the memory bound ends
    it. Either way a bound, never the timeout, and never a byte on the host's disk."""
    caught = _fails_with(strict, "evil-fill", (SandboxDiskExceeded, SandboxMemoryExceeded))
    assert "time limit" not in caught


def test_default_limits_stop_a_fork_bomb_and_a_memory_hog(service):
    assert DEFAULT_LIMITS.timeout and DEFAULT_LIMITS.disk and DEFAULT_LIMITS.memory and DEFAULT_LIMITS.processes
    _fails_with(service, "evil-forkbomb", SandboxProcessLimitExceeded)
    _fails_with(service, "evil-alloc", SandboxMemoryExceeded)


def test_build_cannot_write_outside_its_sandbox(service):
    markers = [Path.home() / "ol-escape-marker", Path("/root/ol-escape-marker"), Path("/ol-escape-marker"),
               Path("/var/tmp/ol-escape-marker"), Path("/work/ol-escape-marker"), Path("/home/ol-escape-marker")]
    markers += [parent / "ol-escape-marker" for parent in service.store.root.parents]
    for marker in markers:
        marker.unlink(missing_ok=True)
    entry = service.pull(service.compile(["evil-escape"])).entries["evil-escape==1.0"]
    escaped = [marker for marker in markers if marker.exists()]
    for marker in escaped:
        marker.unlink()
    assert escaped == []
    results = _load(entry, "evil_escape").RESULTS
    assert results, "the hostile build really ran"


def test_build_cannot_read_the_users_home(service):
    secret = Path.home() / ".ol-secret"
    token = secrets.token_hex(16)
    secret.write_text(token)
    try:
        entry = service.pull(service.compile(["evil-home"])).entries["evil-home==1.0"]
    finally:
        secret.unlink()
    assert all(token not in path.read_text(errors="replace") for path in entry.files.rglob("*") if path.is_file())
    assert _load(entry, "evil_home").STOLEN, "the hostile build really ran"


def test_build_from_a_mirror_directory_has_no_network(tmp_path, local_index, canary):
    service = make_service(tmp_path / "store", IndexConfig.from_options(mirror=str(local_index.mirror_dir)))
    before = canary.connections
    entry = service.pull(service.compile(["evil-net"])).entries["evil-net==1.0"]
    assert canary.connections == before
    assert _load(entry, "evil_net").NET, "the hostile build really ran"
