"""A pull's wheels share one uv run (ol_notebook/wheel_batch.py); each entry must hold exactly what
installing its wheel alone puts there, bytecode included. Hostile wheels: tests/security/test_wheel_batch.py."""

import dataclasses
import hashlib
import importlib.util
from pathlib import Path

from ol_notebook.puller import PullEvent
from tests.engine import make_service

# Namespace portions sharing nsp/, a top-level module with its __pycache__ at the root, a console
# script in bin/, a package of 300 modules, extras and dependencies.
REQUIREMENTS = ["alpha==2.0", "gamma[fast]", "nsp-one", "nsp-two", "py-widget", "toolpkg", "bulky", "epsilon"]
# What uv writes differently on every run: its cache timestamp, and the wheel's path in the store.
VARYING = ("uv_cache.json", "direct_url.json")


def contents(files: Path) -> dict[str, str]:
    found = {}
    for path in sorted(files.rglob("*")):
        if path.is_file() and path.name not in VARYING:
            text = path.read_bytes()
            if path.name == "RECORD":
                text = b"".join(line for line in text.splitlines(True) if not line.split(b",")[0].endswith(
                    tuple(name.encode() for name in VARYING)))
            if path.suffix == ".pyc":  # it names the staging path it was compiled at: check it is current
                text = b"valid" if _pyc_is_current(path, text) else b"stale"
            found[str(path.relative_to(files))] = hashlib.sha256(text).hexdigest()
    return found


def _pyc_is_current(pyc: Path, data: bytes) -> bool:
    """Whether Python would use this .pyc for its source: the header's magic, mtime and size match."""
    source = pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")
    info = source.stat()
    return (data[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(data[8:12], "little") == int(info.st_mtime)
            and int.from_bytes(data[12:16], "little") == info.st_size)


def test_batched_entries_equal_entries_installed_alone(tmp_path, http_index):
    batched = make_service(tmp_path / "batched", http_index)
    closure = batched.compile(REQUIREMENTS)
    events: list[PullEvent] = []
    report = batched.pull(closure, on_event=events.append)
    assert sorted(report.installed) == sorted(pin.key for pin in closure.pins) and len(closure.pins) >= 8
    alone = make_service(tmp_path / "alone", http_index)
    for pin in closure.pins:  # a closure of one pin: no batch
        alone.puller.pull(dataclasses.replace(closure, pins=(pin,)), check=False)
    for pin in closure.pins:
        one, other = contents(batched.store.get(pin.key).files), contents(alone.store.get(pin.key).files)
        assert {k: v for k, v in one.items() if other.get(k) != v} == {}, pin.key
        assert one == other, pin.key
    assert any(name.endswith(".pyc") for name in contents(batched.store.get("bulky==1.0").files))
    assert batched.verify() == [] and list(batched.store.staging_dir.iterdir()) == []
    done = {event.key for event in events if event.kind == "done"}
    assert done == {pin.key for pin in closure.pins}


def test_batch_of_a_store_hit_and_new_wheels_installs_only_the_new(tmp_path, http_index):
    service = make_service(tmp_path / "store", http_index)
    service.pull(service.compile(["beta==1.0"]))
    report = service.pull(service.compile(["alpha==2.0", "beta==1.0", "delta"]))
    assert sorted(report.installed) == ["alpha==2.0", "delta==1.0"] and report.hits == ["beta==1.0"]
    assert service.verify() == []
