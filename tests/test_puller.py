"""The puller for real: uv installs in bubblewrap sandboxes from the local index over HTTP."""

import dataclasses
import importlib.util
import platform
import sys

import pytest

from ol_notebook.puller import InstallError, PullError
from ol_notebook.resolve import ClosureError


def _load(entry, module: str):
    """Import a module from an entry's files dir without touching sys.modules."""
    files = entry.files
    path = files / module / "__init__.py" if (files / module).is_dir() else files / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"_probe_{module}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_pull_installs_each_package_alone_with_full_metadata(service, local_index):
    closure = service.compile(["alpha==2.0"])
    events = []
    report = service.pull(closure, on_event=events.append)
    assert sorted(report.installed) == ["alpha==2.0", "beta==1.5"] and report.hits == []
    alpha = report.entries["alpha==2.0"]
    assert alpha.path == service.store.root / "runtimes" / service.runtime.id / "packages" / "alpha==2.0"
    assert sorted(p.name for p in alpha.files.iterdir()) == ["alpha", "alpha-2.0.dist-info"]
    assert not (alpha.files / "beta").exists()  # --no-deps: each entry holds one distribution
    meta = alpha.metadata
    wheel = closure.pin("alpha").wheels[0]
    assert (meta.filename, meta.url, meta.sha256) == (wheel.filename, wheel.url, wheel.sha256)
    assert meta.index == local_index.url
    assert meta.requires_dist == ("beta>=1.0,<2",)
    assert meta.import_names == ("alpha",) and meta.size > 0 and meta.installed_at
    assert list((alpha.files / "alpha" / "__pycache__").glob("__init__.*.pyc")), "bytecode is precompiled"
    assert _load(alpha, "alpha").__version__ == "2.0"
    kinds = [(event.kind, event.key) for event in events if event.key == "alpha==2.0"]
    assert kinds[0] == ("queued", "alpha==2.0") and kinds[-1] == ("done", "alpha==2.0")
    assert ("installing", "alpha==2.0") in kinds and ("downloading", "alpha==2.0") in kinds


def test_second_pull_is_a_store_hit_with_no_install(service):
    closure = service.compile(["alpha==2.0"])
    service.pull(closure)
    events = []
    report = service.pull(closure, on_event=events.append)
    assert report.installed == [] and sorted(report.hits) == ["alpha==2.0", "beta==1.5"] and events == []


def test_import_names_come_from_record(service):
    report = service.pull(service.compile(["nsp-one", "nsp-two", "py-widget"]))
    names = {key: entry.metadata.import_names for key, entry in report.entries.items()}
    assert names == {"nsp-one==1.0": ("nsp.one",), "nsp-two==1.0": ("nsp.two",),
                     "py-widget==1.0": ("widget_helpers", "widgetlib")}


def test_platform_wheel_matches_this_machine(service):
    entry = service.pull(service.compile(["platpkg"])).entries["platpkg==1.0"]
    assert entry.metadata.filename.endswith(f"{platform.machine()}.whl")
    assert platform.machine() == _load(entry, "platpkg").PLATFORM


def test_console_script_is_installed_and_recorded(service):
    entry = service.pull(service.compile(["toolpkg"])).entries["toolpkg==1.0"]
    assert (entry.files / "bin" / "toolpkg").is_file()
    assert service.verify() == []


@pytest.mark.parametrize("mirror", [False, True])
def test_sdists_are_built_in_the_sandbox(tmp_path, local_index, mirror):
    from ol_notebook.index import IndexConfig
    from tests.engine import make_service

    index = IndexConfig.from_options(mirror=str(local_index.mirror_dir)) if mirror else None
    service = make_service(tmp_path / "store", index or IndexConfig.from_options(index_url=local_index.url))
    report = service.pull(service.compile(["sdistonly", "needsbuild"]))  # needsbuild fetches its backend from the index
    sdistonly = report.entries["sdistonly==1.0"]
    assert sdistonly.metadata.filename == "sdistonly-1.0.tar.gz" and sdistonly.metadata.built_wheel.endswith(".whl")
    assert _load(sdistonly, "sdistonly").BUILT_FROM_SDIST is True
    entry = report.entries["needsbuild==1.0"].path
    assert sorted(p.name for p in entry.iterdir()) == ["files", "integrity.json", "meta.json"]


def test_closure_check_names_the_missing_requirement(service):
    closure = service.compile(["alpha==2.0"])
    broken = dataclasses.replace(closure, pins=tuple(p for p in closure.pins if p.name != "beta"))
    with pytest.raises(ClosureError, match=r"alpha 2.0 requires beta<2,>=1.0, but beta is not in the closure"):
        service.pull(broken)


def test_no_compatible_artifact_is_named(service):
    closure = service.compile(["platpkg"])
    (wheel,) = closure.pins[0].wheels
    windows = dataclasses.replace(wheel, filename="platpkg-1.0-cp311-cp311-win_amd64.whl")
    foreign = dataclasses.replace(closure.pins[0], wheels=(windows,))
    expected = r"platpkg 1.0 has no wheel for cp3.*offered: platpkg-1.0-cp311-cp311-win_amd64"
    with pytest.raises(InstallError, match=expected):
        service.pull(dataclasses.replace(closure, pins=(foreign,)))


def test_closure_for_another_runtime_is_refused(service):
    closure = dataclasses.replace(service.compile(["alpha==1.0"]), runtime_id="cp312-cp312-linux_x86_64")
    with pytest.raises(InstallError, match="compiled for cp312-cp312-linux_x86_64, but the store serves"):
        service.pull(closure)


def test_verify_finds_altered_missing_and_extra_files(service):
    report = service.pull(service.compile(["alpha==2.0", "gamma"]))
    assert service.verify() == []
    (report.entries["alpha==2.0"].files / "alpha" / "__init__.py").write_text("tampered = True\n")
    (report.entries["beta==1.5"].files / "beta" / "__init__.py").unlink()
    (report.entries["gamma==1.0"].files / "gamma" / "sneaky.py").write_text("x = 1\n")
    found = {item.key: item.problems for item in service.verify()}
    assert found == {
        "alpha==2.0": ("alpha/__init__.py does not match its sha256 in RECORD",),
        "beta==1.5": ("beta/__init__.py is missing",),
        "gamma==1.0": ("gamma/sneaky.py is not in RECORD",),
    }


def test_gc_keeps_rooted_entries_and_is_a_dry_run_by_default(service):
    service.pull(service.compile(["alpha==2.0"]), root="lambda-a")
    service.pull(service.compile(["delta", "zeta"]))
    dry = service.gc()
    assert dry.dry_run and sorted(dry.removed) == ["delta==1.0", "zeta==1.0"] and service.store.has("delta==1.0")
    done = service.gc(keep={"zeta==1.0"}, delete=True)
    assert done.removed == ["delta==1.0"] and done.freed_bytes > 0
    assert [e.key for e in service.packages()] == ["alpha==2.0", "beta==1.5", "zeta==1.0"]


def test_failed_install_leaves_no_entry_and_no_debris(service):
    closure = service.compile(["alpha==1.0"])
    bad = dataclasses.replace(
        closure.pins[0], wheels=(dataclasses.replace(closure.pins[0].wheels[0], sha256="0" * 64),)
    )
    with pytest.raises(PullError, match=r"alpha==1.0: .*the index promised 0000"):
        service.pull(dataclasses.replace(closure, pins=(bad,)))
    assert not service.store.has("alpha==1.0") and list(service.store.staging_dir.iterdir()) == []


def test_interpreter_sees_no_host_site_packages_in_the_store(service):
    entry = service.pull(service.compile(["alpha==1.0"])).entries["alpha==1.0"]
    assert not any("site-packages" in str(path) for path in entry.files.rglob("*")), sys.prefix
