"""The lock an export carries: valid PEP 751 per packaging.pylock, exactly its wheels, exactly its
target; selecting it for the target gives back those files and nothing else."""

from __future__ import annotations

import hashlib
import tomllib

import pytest
from packaging.pylock import PackageSdist, PackageWheel, Pylock, PylockSelectError

from ol_notebook.export.lock import target_lock
from ol_notebook.export.target import aws_target
from ol_notebook.sandbox import Sandbox
from tests.export.test_wheels import caches_in, run_export

REQUIREMENTS = ["fastmath", "puresdist", "speedups", "armdep"]


@pytest.fixture(scope="module")
def exported(platform_index, tmp_path_factory):
    target = aws_target("x86_64", "3.11")
    caches = caches_in(tmp_path_factory.mktemp("export-lock"))
    _, wheels, _ = run_export(platform_index.url, Sandbox(), caches, REQUIREMENTS, target)
    text = target_lock(target, REQUIREMENTS, wheels)
    return target, wheels, text


def test_selecting_the_lock_for_its_target_gives_exactly_the_wheels(exported) -> None:
    target, wheels, text = exported
    lock = Pylock.from_dict(tomllib.loads(text))
    selected = {package.name: chosen for package, chosen in lock.select(environment=target.environment,
                                                                         tags=target.tags)}
    assert set(selected) == {wheel.name for wheel in wheels} == {"fastmath", "puresdist", "speedups", "armdep",
                                                                 "plainpy"}
    for wheel in wheels:
        chosen = selected[wheel.name]
        assert isinstance(chosen, PackageSdist if wheel.built else PackageWheel)
        assert (chosen.name, chosen.url, chosen.hashes["sha256"]) == (
            wheel.source.filename, wheel.source.url, wheel.source.sha256)


def test_the_lock_records_target_names_sizes_and_what_was_built(exported) -> None:
    target, wheels, text = exported
    data = tomllib.loads(text)
    assert data["requires-python"] == "==3.11.13"
    assert data["tool"]["ol-notebook"]["requirements"] == REQUIREMENTS
    assert data["tool"]["ol-notebook"]["target"] == target.label
    packages = {package["name"]: package for package in data["packages"]}
    assert [package["name"] for package in data["packages"]] == sorted(packages)
    fastmath = packages["fastmath"]["tool"]["ol-notebook"]
    assert fastmath["import-names"] == ["fastmath"] and fastmath["unpacked-size"] > 1000
    assert "built" not in fastmath and "sdist" not in packages["fastmath"]
    speedups = packages["speedups"]
    built = next(wheel for wheel in wheels if wheel.name == "speedups")
    assert speedups["tool"]["ol-notebook"]["built"] == "sdist, no C compiler"
    assert speedups["tool"]["ol-notebook"]["built-wheel"] == {
        "name": built.wheel.name, "sha256": hashlib.sha256(built.wheel.read_bytes()).hexdigest()}
    assert speedups["sdist"]["name"] == "speedups-1.0.tar.gz" and "wheels" not in speedups
    assert all(package["index"] == wheels[0].index for package in packages.values())


def test_another_target_is_refused_by_the_lock(exported) -> None:
    _, _, text = exported
    lock = Pylock.from_dict(tomllib.loads(text))
    other = aws_target("arm64", "3.11")
    with pytest.raises(PylockSelectError):
        list(lock.select(environment=other.environment, tags=other.tags))


def test_an_empty_lock_is_valid_for_a_function_zip_whose_packages_are_in_a_layer() -> None:
    target = aws_target("arm64", "3.12")
    data = tomllib.loads(target_lock(target, ["fastmath"], []))
    assert data["packages"] == [] and Pylock.from_dict(data).environments
    assert list(Pylock.from_dict(data).select(environment=target.environment, tags=target.tags)) == []
