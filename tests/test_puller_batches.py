"""Wheels ready together are installed by one uv run in one sandbox, and each is still its own entry:
wheels that would write one path are kept apart, and a wheel uv refuses fails alone, named."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.packages import PackageService
from ol_notebook.puller import PullError
from ol_notebook.store.integrity import INTEGRITY_FILE, Integrity, stat_signature
from tests.engine import make_service
from tests.localindex.backend import wheel_file_text, write_wheel
from tests.localindex.server import IndexServer

PLAIN = [f"plain{i}" for i in range(6)]


def _wheel(directory: Path, name: str, files: dict[str, str], **dist_info: str) -> None:
    write_wheel(str(directory), name, "1.0", {path: text.encode() for path, text in files.items()},
                f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", dist_info_extra=dist_info)


@pytest.fixture(scope="module")
def batch_index(tmp_path_factory) -> Iterator[IndexConfig]:
    files = tmp_path_factory.mktemp("batch-index")
    for name in PLAIN:
        _wheel(files, name, {f"{name}/__init__.py": f"NAME = {name!r}\n"})
    for side in ("a", "b"):  # one module path, and one console script, written by both
        _wheel(files, f"clash-{side}", {"clash/data.py": f"SIDE = {side!r}\n", f"clash_{side}/__init__.py": ""})
        _wheel(files, f"tool-{side}", {f"tool_{side}/__init__.py": "def main():\n    pass\n"},
               **{"entry_points.txt": f"[console_scripts]\nsame-tool = tool_{side}:main\n"})
    _wheel(files, "refused", {"refused/__init__.py": ""},
           WHEEL=wheel_file_text("py3-none-any").replace("Wheel-Version: 1.0", "Wheel-Version: 9.0"))
    with IndexServer(files) as server:
        yield IndexConfig.from_options(index_url=server.url)


def counting_runs(service: PackageService) -> list[list[str]]:
    """The argv of every sandbox the service runs from now on (the real sandbox still runs them)."""
    runs: list[list[str]] = []
    run = service.sandbox.run

    def counted(spec, *args, **kwargs):
        runs.append(list(spec.argv))
        return run(spec, *args, **kwargs)

    service.sandbox.run = counted  # type: ignore[method-assign]
    return runs


def wheels_installed(runs: list[list[str]]) -> list[list[str]]:
    return [sorted(Path(arg).name.split("-")[0] for arg in argv if arg.endswith(".whl")) for argv in runs]


def test_a_warm_pull_installs_every_wheel_in_one_sandbox(tmp_path, batch_index):
    service = make_service(tmp_path / "store", batch_index)
    closure = service.compile(PLAIN)
    service.pull(closure)  # cold: downloads fill the cache
    for entry in service.packages():  # files chmodded at publish: their lstat was taken again
        assert Integrity.read(entry.path / INTEGRITY_FILE).signature == stat_signature(entry.path / "files").digest
    for key in [pin.key for pin in closure.pins]:
        service.store.remove(key)
    runs = counting_runs(service)
    report = service.pull(closure)
    assert wheels_installed(runs) == [sorted(PLAIN)]
    assert sorted(report.installed) == sorted(pin.key for pin in closure.pins)
    assert service.verify() == [] and list(service.store.staging_dir.iterdir()) == []
    for name in PLAIN:  # each entry holds its own package and nothing of the others
        files = service.store.files_dir(f"{name}==1.0")
        assert sorted(path.name for path in files.iterdir()) == [name, f"{name}-1.0.dist-info"]
        # the signature publish recorded from its survey's lstats is the entry's as it stands, so
        # a deploy's check is one lstat per file and no re-hash
        assert Integrity.read(files.parent / INTEGRITY_FILE).signature == stat_signature(files).digest


def test_wheels_that_write_one_path_are_never_installed_together(tmp_path, batch_index):
    service = make_service(tmp_path / "store", batch_index)
    runs = counting_runs(service)
    service.pull(service.compile(["clash-a", "clash-b", "tool-a", "tool-b", *PLAIN]))
    for batch in wheels_installed(runs):
        assert not {"clash_a", "clash_b"} <= set(batch) and not {"tool_a", "tool_b"} <= set(batch), batch
    assert service.verify() == []
    for side in ("a", "b"):
        assert (service.store.files_dir(f"clash-{side}==1.0") / "clash" / "data.py").read_text() == f"SIDE = {side!r}\n"
        assert f"tool_{side}" in (service.store.files_dir(f"tool-{side}==1.0") / "bin" / "same-tool").read_text()


def test_a_wheel_uv_refuses_fails_alone_and_named(tmp_path, batch_index):
    service = make_service(tmp_path / "store", batch_index)
    closure = service.compile(["refused", *PLAIN])
    with pytest.raises(PullError):
        service.pull(closure)  # cold: fills the download cache
    for entry in service.packages():
        service.store.remove(entry.key)
    runs = counting_runs(service)
    with pytest.raises(PullError) as caught:
        service.pull(closure)  # warm: all seven are ready at once
    assert list(caught.value.failures) == ["refused==1.0"]
    assert "installing refused 1.0 failed" in str(caught.value.failures["refused==1.0"])
    assert sorted(entry.key for entry in service.packages()) == sorted(f"{name}==1.0" for name in PLAIN)
    assert service.verify() == [] and list(service.store.staging_dir.iterdir()) == []
    batches = wheels_installed(runs)  # the batch uv refused, then each of its wheels alone
    assert batches[0] == sorted(["refused", *PLAIN]) and sorted(batches[1:]) == [[name] for name in sorted(batches[0])]


def test_publishes_take_turns(tmp_path, batch_index, monkeypatch):
    """At most PUBLISHERS publishes run at once (a warm publish holds the GIL between lstats: many
    at once only hand it around). Each publish here lingers, so unthrottled ones would overlap."""
    monkeypatch.setattr("ol_notebook.puller.PUBLISHERS", 1)
    service = make_service(tmp_path / "store", batch_index)
    publish, turn = service.store.publish, threading.Lock()
    overlapped = []

    def lingering(*args, **kwargs):
        if not turn.acquire(blocking=False):
            overlapped.append(args[0])
            return publish(*args, **kwargs)
        try:
            time.sleep(0.05)
            return publish(*args, **kwargs)
        finally:
            turn.release()

    service.store.publish = lingering  # type: ignore[method-assign]
    report = service.pull(service.compile(PLAIN))
    assert sorted(report.installed) == [f"{name}==1.0" for name in PLAIN] and overlapped == []
