"""Freezing: a deployed version keeps its lock beside its closure, `freeze` gives the exact lock a
version runs (built from its closure for a version that has none), and what cannot be locked truly
is a LockError naming the package and why, never a weaker lock."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace

import pytest

from ol_notebook.lock import LockError, frozen_packages, lock_from_dict
from ol_notebook.lock.freeze import simple_url
from ol_notebook.registry import LOCK, RegistryError
from ol_notebook.resolve import Closure
from ol_notebook.settings import Settings
from ol_notebook.store import EntryMetadata
from ol_notebook.worker import Worker
from tests.engine import run_scenario as run

CODE = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


@pytest.fixture
def worker(tmp_path, http_index) -> Worker:
    return Worker(Settings(store_dir=tmp_path / "store", registry_dir=tmp_path / "lambdas", index=http_index))


def packages(text: str) -> dict[str, str]:
    lock = lock_from_dict(tomllib.loads(text), "test")
    return {package.name: str(package.version) for package in lock.packages}


def test_a_deploy_stores_its_lock_and_freeze_gives_each_kept_version_s_own(worker) -> None:
    async def scenario(w: Worker):
        first = await w.deploy("show", CODE, "alpha==1.0")
        await w.deploy("show", CODE, "alpha==2.0")
        return first, await w.freeze("show"), await w.freeze("show", 1), w.registry.current("show")

    first, current, old, version = run(worker, scenario)
    assert packages(current) == {"alpha": "2.0", "beta": "1.5"} and current == version.lock
    assert packages(old) == {"alpha": "1.0"} and old == (first.version.path / LOCK).read_text()
    assert tomllib.loads(current)["tool"]["ol-notebook"]["requirements"] == ["alpha==2.0"]
    assert "uv-version" in tomllib.loads(current)["tool"]["ol-notebook"]


def test_a_version_deployed_before_locks_is_frozen_from_its_closure(worker) -> None:
    async def scenario(w: Worker):
        deployed = await w.deploy("show", CODE, "alpha==2.0")
        stored = deployed.version.lock
        (deployed.version.path / LOCK).unlink()  # as a version deployed by an ol-notebook without locks
        return stored, await w.freeze("show")

    stored, rebuilt = run(worker, scenario)
    # The same lock, but for the uv version, which such a version did not record.
    assert "uv-version" not in tomllib.loads(rebuilt)["tool"]["ol-notebook"]
    stored_data = tomllib.loads(stored)
    del stored_data["tool"]["ol-notebook"]["uv-version"]
    assert tomllib.loads(rebuilt) == stored_data


def test_freeze_of_an_unknown_lambda_or_version_names_it(worker) -> None:
    async def scenario(w: Worker):
        await w.deploy("show", CODE, "alpha==1.0")
        with pytest.raises(RegistryError, match=r"lambda 'show' has no version 7 \(kept: 1\)"):
            await w.freeze("show", 7)
        with pytest.raises(RegistryError, match="there is no lambda named 'nope'"):
            await w.freeze("nope")

    run(worker, scenario)


def test_a_direct_reference_cannot_be_locked(worker, local_index) -> None:
    url = f"{local_index.server.base_url}files/alpha-1.0-py3-none-any.whl"

    async def scenario(w: Worker):
        with pytest.raises(LockError, match=r"alpha cannot be locked: alpha @ http:.* is a direct reference"):
            await w.lock(f"alpha @ {url}")

    run(worker, scenario)


def test_lock_of_requirements_pulls_them_and_names_their_import_names(worker) -> None:
    async def scenario(w: Worker):
        return await w.lock("py-widget\nalpha<2\n"), [entry.key for entry in w.package_entries()]

    text, stored = run(worker, scenario)
    assert packages(text) == {"alpha": "1.1", "py-widget": "1.0"} and stored == ["alpha==1.1", "py-widget==1.0"]
    assert tomllib.loads(text)["packages"][1]["tool"]["ol-notebook"]["import-names"] == ["widget_helpers", "widgetlib"]


# Each way a closure and the store can disagree, on made-up pins (no index needed).
WHEEL = {"filename": "alpha-1.0-py3-none-any.whl", "url": "http://127.0.0.1:9/files/alpha-1.0-py3-none-any.whl",
         "sha256": "aa" * 32, "size": 10}


def closure(**pin) -> Closure:
    data = {"name": "alpha", "version": "1.0", "index": "http://127.0.0.1:9/simple/", "wheels": [WHEEL],
            "sdist": None, **pin}
    return Closure.from_json(json.dumps({"requirements": ["alpha"], "pins": [data], "runtime_id": "x",
                                         "python_version": "3.11.7", "index": data["index"]}))


def entry(**changes) -> EntryMetadata:
    base = EntryMetadata(name="alpha", version="1.0", filename=WHEEL["filename"], url=WHEEL["url"],
                         sha256=WHEEL["sha256"], index="http://127.0.0.1:9/simple/")
    return replace(base, **changes)


@pytest.mark.parametrize(("pin", "stored", "says"), [
    ({}, None, "alpha 1.0 cannot be locked: it is not in the store"),
    ({"wheels": []}, entry(), "alpha 1.0 cannot be locked: it is a direct reference"),
    ({}, entry(sha256="bb" * 32, filename="alpha-1.0-py3-none-any.whl"),
     r"the store installed it from alpha-1.0-py3-none-any.whl \(sha256 bbbb.*\), which is not a file its closure"),
])
def test_what_the_store_does_not_back_cannot_be_locked(pin, stored, says) -> None:
    with pytest.raises(LockError, match=says):
        frozen_packages(closure(**pin), lambda key: stored)


def test_a_package_built_here_from_an_sdist_outside_its_index_cannot_be_locked() -> None:
    sdist = {"filename": "alpha-1.0.tar.gz", "url": "file:///home/me/alpha-1.0.tar.gz", "sha256": "cc" * 32,
             "size": 10}
    built = entry(filename="alpha-1.0.tar.gz", url=sdist["url"], sha256=sdist["sha256"],
                  built_wheel="alpha-1.0-py3-none-any.whl")
    with pytest.raises(LockError, match=r"alpha 1.0 cannot be locked: it was built here from alpha-1.0.tar.gz, "
                                        r"and that sdist comes from file:///home/me/alpha-1.0.tar.gz, which is not"):
        frozen_packages(closure(wheels=[], sdist=sdist), lambda key: built)


def test_a_lambda_without_requirements_has_a_lock_of_no_packages(worker) -> None:
    async def scenario(w: Worker):
        await w.deploy("plain", "def f(event):\n    return event\n")
        return await w.freeze("plain")

    data = tomllib.loads(run(worker, scenario))
    assert data["packages"] == [] and data["tool"]["ol-notebook"]["requirements"] == []


def test_a_flat_mirror_s_files_lock_and_a_file_beside_it_does_not() -> None:
    flat = {"index": "file:///srv/wheels"}
    inside = {**WHEEL, "url": "file:///srv/wheels/alpha-1.0-py3-none-any.whl"}
    (frozen,) = frozen_packages(closure(**flat, wheels=[inside]), lambda key: entry())
    assert frozen.index is None and frozen.artifact.url == inside["url"]
    beside = {**WHEEL, "url": "file:///srv/other/alpha-1.0-py3-none-any.whl"}
    with pytest.raises(LockError, match=r"comes from file:///srv/other/.*not a file of the index it was resolved"):
        frozen_packages(closure(**flat, wheels=[beside]), lambda key: entry())


@pytest.mark.parametrize(("label", "index"), [
    ("PyPI", "https://pypi.org/simple/"),
    ("https://my.mirror/simple/", "https://my.mirror/simple/"),
    ("file:///srv/mirror/web/simple", "file:///srv/mirror/web/simple"),
    ("file:///srv/wheels", None),
])
def test_each_source_is_recorded_by_its_simple_api_url(label, index) -> None:
    assert simple_url(label) == index
