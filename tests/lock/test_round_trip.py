"""The three halves of locking meet: a lock ol-notebook wrote is mirrored, and a store that sees only
that mirror (no index, no network) installs exactly its packages into the same entries."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ol_notebook.index import IndexConfig
from ol_notebook.lock import read_lock
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker
from tests.engine import make_service
from tests.mirror.helpers import mirror_locks


def test_our_lock_mirrors_and_installs_from_the_mirror_alone(local_index, tmp_path: Path) -> None:
    index = IndexConfig.from_options(index_url=local_index.url)
    connected = Worker(Settings(store_dir=tmp_path / "connected", registry_dir=tmp_path / "lambdas", index=index))
    lock = tmp_path / "pylock.toml"
    lock.write_text(asyncio.run(connected.lock("epsilon\nalpha==1.1")), encoding="utf-8")

    mirror_locks(tmp_path / "mirror", local_index.url, lock)
    local_index.server.requests.clear()
    offline = make_service(tmp_path / "offline", IndexConfig.from_options(mirror=str(tmp_path / "mirror")))
    closure = offline.closure_from_lock(read_lock(lock), str(lock), None)
    report = offline.pull(closure)

    assert sorted(report.installed) == sorted(entry.key for entry in connected.package_entries())
    assert not [path for path in local_index.server.requests if path.startswith("/files/")]  # only the mirror
