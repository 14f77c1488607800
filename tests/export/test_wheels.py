"""Wheels for a foreign target from the platform index (real uv, bwrap and HTTP; never PyPI):
resolved for the target's machine, glibc and Python, downloaded or built from sdists, cached, and
every package that cannot be had named."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ol_notebook.export.model import ExportCaches, MissingPackages, TargetWheel
from ol_notebook.export.target import Target, aws_target
from ol_notebook.export.wheels import wheels_for_target
from ol_notebook.index import IndexConfig
from ol_notebook.puller import PullEvent
from ol_notebook.resolve import Closure
from ol_notebook.sandbox import Limits, Sandbox

LIMITS = Limits(timeout=60.0, memory=2 << 30, processes=256, disk=1 << 30)
Export = Callable[..., tuple[Closure, tuple[TargetWheel, ...], list[PullEvent]]]


def caches_in(root: Path) -> ExportCaches:
    """Caches under `root`, none of which exists yet: an export makes what it needs."""
    return ExportCaches(downloads=root / "downloads", resolve=root / "resolve", built=root / "built")


def run_export(index: IndexConfig | str, sandbox: Sandbox, caches: ExportCaches, requirements: list[str],
               target: Target, limits: Limits = LIMITS) -> tuple[Closure, tuple[TargetWheel, ...], list[PullEvent]]:
    """wheels_for_target on `index` (or the index at that URL), test limits by default; also returns
    the events."""
    events: list[PullEvent] = []
    if isinstance(index, str):
        index = IndexConfig.from_options(index_url=index)
    closure, wheels = wheels_for_target(requirements, target, index=index,
                                        sandbox=sandbox, caches=caches, limits=limits, on_event=events.append)
    return closure, wheels, events


@pytest.fixture(scope="module")
def module_sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def export(platform_index, module_sandbox: Sandbox, tmp_path: Path) -> Export:
    """run_export on the platform index, with caches under this test's tmp_path unless given."""

    def run(requirements: list[str], target: Target, caches: ExportCaches | None = None):
        return run_export(platform_index.url, module_sandbox, caches or caches_in(tmp_path / "caches"),
                          requirements, target)

    return run


def names(wheels: tuple[TargetWheel, ...]) -> dict[str, str]:
    return {wheel.name: wheel.wheel.name for wheel in wheels}


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_platform_wheels_for_each_machine_and_python(export: Export, arch: str, python: str) -> None:
    target = aws_target(arch, python)
    closure, wheels, _ = export(["fastmath", "abimath", "plainpy"], target)
    machine, cp = target.machine, "cp" + python.replace(".", "")
    assert names(wheels) == {
        "fastmath": f"fastmath-1.0-{cp}-{cp}-manylinux_2_17_{machine}.manylinux2014_{machine}.whl",
        "abimath": f"abimath-1.0-cp38-abi3-manylinux_2_17_{machine}.manylinux2014_{machine}.whl",
        "plainpy": "plainpy-1.0-py3-none-any.whl",
    }
    assert closure.runtime_id == target.key and closure.python_version == target.python
    for wheel in wheels:
        assert wheel.built is None and wheel.source.filename == wheel.wheel.name and wheel.wheel.is_file()
        assert wheel.index == closure.index
        assert target.wheel_rank(wheel.wheel.name) is not None


def test_a_real_extension_for_this_host_is_there_to_run(export: Export) -> None:
    _, wheels, _ = export(["fastmath"], aws_target("x86_64", "3.11"))
    with zipfile.ZipFile(wheels[0].wheel) as archive:
        so = archive.read("fastmath.cpython-311-x86_64-linux-gnu.so")
    assert so[:4] == b"\x7fELF" and so[4] == 2 and int.from_bytes(so[18:20], "little") == 62


def test_markers_are_evaluated_for_the_target_not_the_host(export: Export) -> None:
    """This host is x86_64: built for arm64, the aarch64-only dependency is there, and only there."""
    _, arm, _ = export(["armdep"], aws_target("arm64", "3.12"))
    _, x86, _ = export(["armdep"], aws_target("x86_64", "3.12"))
    assert set(names(arm)) == {"armdep", "armonly", "plainpy"}
    assert set(names(x86)) == {"armdep", "plainpy"}


def test_a_version_with_a_wheel_for_the_targets_glibc_beats_a_newer_sdist(export: Export) -> None:
    """numpyish 2.0 has only manylinux_2_28 wheels (and an sdist); Amazon Linux 2 has glibc 2.26."""
    _, old, _ = export(["numpyish"], aws_target("x86_64", "3.11"))
    _, new, _ = export(["numpyish"], aws_target("arm64", "3.12"))
    assert names(old) == {"numpyish": "numpyish-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"}
    assert names(new) == {"numpyish": "numpyish-2.0-cp312-cp312-manylinux_2_28_aarch64.whl"}


def test_a_pure_sdist_is_built_to_a_pure_wheel(export: Export) -> None:
    _, wheels, events = export(["puresdist"], aws_target("arm64", "3.13"))
    (wheel,) = wheels
    assert (wheel.wheel.name, wheel.built, wheel.source.filename) == (
        "puresdist-1.0-py3-none-any.whl", "sdist", "puresdist-1.0.tar.gz")
    assert [event.message for event in events if event.kind == "building"] == ["sdist"]


def test_an_optional_c_extension_is_rebuilt_without_the_compiler(export: Export) -> None:
    _, wheels, events = export(["speedups"], aws_target("arm64", "3.12"))
    (wheel,) = wheels
    assert (wheel.wheel.name, wheel.built) == ("speedups-1.0-py3-none-any.whl", "sdist, no C compiler")
    with zipfile.ZipFile(wheel.wheel) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".so")]
    assert [event.message for event in events if event.kind == "building"] == ["sdist", "sdist, no C compiler"]


def test_every_package_that_cannot_be_had_is_named_with_why_and_what_to_do(export: Export) -> None:
    target = aws_target("arm64", "3.10")  # fastmath has no cp310 wheel and no sdist
    with pytest.raises(MissingPackages) as caught:
        export(["needscc", "fastmath", "plainpy"], target)
    missing = {item.name: item for item in caught.value.missing}
    assert set(missing) == {"needscc", "fastmath"}
    assert "not py3-none-any" in missing["needscc"].reason and "needs a C compiler" in missing["needscc"].reason
    assert "manylinux_2_26_aarch64" in missing["needscc"].hint and "mirror" in missing["needscc"].hint
    assert "no sdist" in missing["fastmath"].reason and "cp310" in missing["fastmath"].hint
    assert target.label in str(caught.value) and "needscc 1.0" in str(caught.value)


def test_a_warm_export_downloads_and_builds_nothing(export: Export, tmp_path: Path) -> None:
    caches = caches_in(tmp_path / "shared")
    requirements = ["fastmath", "puresdist", "speedups", "armdep"]
    target = aws_target("arm64", "3.12")
    _, cold, cold_events = export(requirements, target, caches)
    assert {event.kind for event in cold_events} >= {"resolving", "downloading", "building", "done"}
    def files_of(root: Path) -> list[Path]:
        return sorted(path for path in root.rglob("*") if path.is_file() and "resolve" not in path.parts)

    files = files_of(tmp_path / "shared")
    stamps = {path: path.stat().st_mtime_ns for path in files}
    _, warm, warm_events = export(requirements, target, caches)
    assert [event.kind for event in warm_events if event.kind in ("downloading", "building")] == []
    assert warm == cold
    assert files_of(tmp_path / "shared") == files
    assert {path: path.stat().st_mtime_ns for path in files} == stamps


def test_a_pinned_version_without_a_wheel_for_the_target_is_tried_from_its_sdist_then_named(export: Export) -> None:
    """numpyish==2.0 has no manylinux_2_26 wheel: its sdist is the only way, and it needs a compiler."""
    with pytest.raises(MissingPackages) as caught:
        export(["numpyish==2.0"], aws_target("x86_64", "3.11"))
    (item,) = caught.value.missing
    assert (item.name, item.version) == ("numpyish", "2.0")
    assert "not py3-none-any" in item.reason and "manylinux_2_26_x86_64" in item.hint
