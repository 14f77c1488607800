"""The store against hostile package code and tampering (issue 8, breaks 2 and 7).

`evil-tamper` (tests/localindex/hostile.py) appends to every file it can open anywhere but its own
source tree, after giving itself the write bit: in the resolve sandbox (its metadata hooks, as the
resolver builds its metadata) and in the build sandbox (its wheel build). Store files are hard
links into uv's install cache, so a sandbox that ran package code with that cache writable could
rewrite every lambda's packages. Then: tampered bytecode and sources, which a deploy must refuse.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import marshal
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.settings import Settings
from ol_notebook.store import Store, StoreError
from ol_notebook.worker import Worker
from tests.engine import run_scenario as run  # a new Worker per scenario, as after a server restart
from tests.store.tampering import rewrite_keeping_mtime_and_size

MARKER = b"# tampered by evil-tamper\n"
VICTIM = "six==1.16.0"
SHOW_SIX = """import hashlib
import six

def f(event):
    with open(six.__file__, "rb") as source:
        return {"dist": six.DIST, "sha256": hashlib.sha256(source.read()).hexdigest()}
"""


def new_worker(root: Path, local_index) -> Worker:
    index = IndexConfig.from_options(index_url=local_index.url)
    return Worker(Settings(store_dir=root / "store", registry_dir=root / "lambdas", index=index))


def contents(root: Path) -> dict[str, str]:
    """sha256 of every regular file below `root`."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and not path.is_symlink()}


def store_contents(store: Store) -> dict[str, str]:
    """sha256 of every file of the published entries and of uv's install cache (which shares their inodes)."""
    return {**{f"packages/{k}": v for k, v in contents(store.packages_dir).items()},
            **{f"uv-cache/{k}": v for k, v in contents(store.uv_cache_dir).items()}}


@dataclass
class Attacked:
    worker: Worker  # closed: for its store; `run` a new one
    root: Path
    before: dict[str, str]  # published entries and the install cache, before the attack
    six_sha256: str
    build_report: dict[str, Any]  # what evil-tamper's wheel build says it appended to


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, local_index) -> Attacked:
    """A lambda pinned to six deployed; then evil-tamper resolved (its metadata hooks run) and pulled
    (its build runs)."""
    worker = new_worker(tmp_path_factory.mktemp("attacked"), local_index)
    store = worker.packages.store
    run(worker, lambda w: w.deploy("victim", SHOW_SIX, VICTIM))
    before = store_contents(store)
    assert any(name.startswith("uv-cache/") and name.endswith("six/__init__.py") for name in before)

    closure = worker.packages.compile(["evil-tamper"])
    report = worker.packages.pull(closure)
    built = (report.entries["evil-tamper==1.0"].files / "evil_tamper" / "__init__.py").read_text()
    six_sha256 = before[f"packages/{VICTIM}/files/six/__init__.py"]
    return Attacked(worker, worker.settings.store_dir.parent, before, six_sha256,
                    ast.literal_eval(built.split("TAMPER = ", 1)[1].strip()))


def test_the_attack_ran_in_the_resolve_and_the_build_sandbox(attacked):
    """Both hooks really ran and wrote what they could: the resolve cache, and the build's own scratch."""
    resolve_cache = attacked.worker.packages.store.resolve_cache_dir
    assert any(path.read_bytes().endswith(MARKER) for path in resolve_cache.rglob("*") if path.is_file())
    assert attacked.build_report["stage"] == "build_wheel" and attacked.build_report["appended"]


def test_no_store_file_changed_and_verify_is_clean(attacked):
    store = attacked.worker.packages.store
    after = store_contents(store)
    changed = [name for name, digest in attacked.before.items() if after.get(name) != digest]
    assert changed == []
    assert store.verify() == []
    store_paths = (str(store.packages_dir), str(store.uv_cache_dir))
    assert [path for path in attacked.build_report["appended"] if path.startswith(store_paths)] == []


def test_a_lambda_pinned_to_the_victim_still_sees_the_original(attacked, local_index):
    result = run(new_worker(attacked.root, local_index), lambda w: w.invoke("victim", {}))
    assert result.value == {"dist": "six", "sha256": attacked.six_sha256}


def test_published_files_and_directories_have_no_write_bits(attacked):
    packages = attacked.worker.packages.store.packages_dir
    entries = sorted(packages.iterdir())
    assert [entry.name for entry in entries] == ["evil-tamper==1.0", VICTIM]
    writable = [str(path) for entry in entries for path in (entry, *entry.rglob("*"))
                if not stat.S_ISLNK(os.lstat(path).st_mode) and os.lstat(path).st_mode & 0o222]
    assert writable == []


# Tampering after publish
def six_files(worker: Worker) -> Path:
    return worker.packages.store.files_dir(VICTIM)


def tampered_bytecode(pyc: Path) -> bytes:
    """Bytecode with the original header (so Python takes it for its source's) running other code,
    padded to the original size (marshal ignores trailing bytes)."""
    original = pyc.read_bytes()
    code = marshal.dumps(compile('DIST = "tampered"\n', "six/__init__.py", "exec"))
    assert 16 + len(code) <= len(original)
    return (original[:16] + code).ljust(len(original), b"\0")


def imported_dist(files: Path) -> str:
    """What the host's Python imports from these files: proof that the tampered .pyc is what runs."""
    code = f"import sys; sys.path.insert(0, {str(files)!r}); import six; print(six.DIST)"
    return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def deployed(tmp_path, local_index) -> Worker:
    worker = new_worker(tmp_path, local_index)
    run(worker, lambda w: w.deploy("first", SHOW_SIX, VICTIM))
    return worker


def test_bytecode_tampered_with_its_mtime_and_size_is_reported_and_refused(deployed, tmp_path, local_index):
    files = six_files(deployed)
    (pyc,) = (files / "six" / "__pycache__").glob("__init__.*.pyc")
    assert pyc.read_bytes()[:4] == importlib.util.MAGIC_NUMBER
    rewrite_keeping_mtime_and_size(pyc, tampered_bytecode(pyc))
    assert imported_dist(files) == "tampered"
    relative = pyc.relative_to(files).as_posix()

    (corruption,) = deployed.packages.verify()
    assert corruption.key == VICTIM and corruption.problems == (
        f"{relative} does not match the sha256 recorded when it was installed",)
    with pytest.raises(StoreError, match=rf"{VICTIM}: {relative} does not match"):
        run(deployed, lambda w: w.deploy("second", SHOW_SIX, VICTIM))
    restarted = new_worker(tmp_path, local_index)  # the first call after a server restart
    with pytest.raises(StoreError, match=rf"{VICTIM}: {relative} does not match"):
        run(restarted, lambda w: w.invoke("first", {}))


def test_tampered_source_is_refused_at_deploy(deployed):
    source = six_files(deployed) / "six" / "__init__.py"
    original = source.read_bytes()
    rewrite_keeping_mtime_and_size(source, original.replace(b'DIST = "six"', b'DIST = "evi"'))
    with pytest.raises(StoreError, match=rf"{VICTIM}: six/__init__.py does not match its sha256 in RECORD"):
        run(deployed, lambda w: w.deploy("second", SHOW_SIX, VICTIM))


def test_untouched_entries_deploy_and_rollback_as_before(deployed, tmp_path, local_index):
    async def scenario(w: Worker) -> Any:
        await w.deploy("first", SHOW_SIX.replace("six.DIST", "six.DIST + '!'"), VICTIM)
        changed = (await w.invoke("first", {})).value["dist"]
        await w.rollback("first", 1)
        return changed, (await w.invoke("first", {})).value["dist"]

    assert run(new_worker(tmp_path, local_index), scenario) == ("six!", "six")


def test_over_rest_a_tampered_package_is_409_naming_it(server_api):
    server = server_api.server
    status, _ = server_api.call("PUT", "lambdas/tamper-rest", {"code": SHOW_SIX, "requirements": VICTIM})
    assert status == 200
    entry = next((server.store_dir / "runtimes").glob(f"*/packages/{VICTIM}/files"))
    source = entry / "six" / "__init__.py"
    original = source.read_bytes()
    rewrite_keeping_mtime_and_size(source, original.replace(b'DIST = "six"', b'DIST = "evi"'))
    try:
        redeploy = {"code": SHOW_SIX + "\n", "requirements": VICTIM}
        status, answer = server_api.call("PUT", "lambdas/tamper-rest", redeploy)
        assert status == 409
        assert answer["error"]["type"] == "StoreError" and VICTIM in answer["error"]["message"]
    finally:
        rewrite_keeping_mtime_and_size(source, original)
        server_api.call("DELETE", "lambdas/tamper-rest")
