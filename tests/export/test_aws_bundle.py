"""AWS Lambda bundles (aws.py) from the platform index's real wheels: layout, lock, determinism,
layer, the checks before writing, and the bundle's handler really answering on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from ol_notebook.export.aws import entry_point, export_aws
from ol_notebook.export.model import ExportError
from ol_notebook.export.summary import summary_of_archive
from ol_notebook.export.target import aws_target
from ol_notebook.index import IndexConfig
from tests.export.test_wheels import LIMITS, caches_in
from tests.runtime.conftest import sandbox  # noqa: F401  (the fixture)

CODE = "import fastmath\n\n\ndef f(event):\n    return {'sum': fastmath.add(event['a'], event['b'])}\n"


@pytest.fixture
def export(platform_index, sandbox, tmp_path):  # noqa: F811 (the imported fixture)
    """export_aws against the platform index with caches under tmp_path (shared by one test's calls)."""
    caches = caches_in(tmp_path / "caches")
    events = []

    def run(requirements, target, out="out", name="adder", code=CODE, **options):
        options.setdefault("layer", False)
        return export_aws(name, code, requirements, target, out_dir=tmp_path / out,
                          index=IndexConfig("url", platform_index.url), sandbox=sandbox, caches=caches,
                          limits=LIMITS, on_event=events.append, **options)

    run.events = events
    return run


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _lock(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return tomllib.loads(archive.read("pylock.toml").decode())


def test_a_function_zip_holds_the_handler_the_code_every_package_and_its_lock(export, tmp_path):
    target = aws_target("x86_64", "3.12")
    result = export(["fastmath", "armdep"], target)
    zip_path = tmp_path / "out" / "adder.zip"
    assert result.files == (zip_path,) and result.warnings == ()
    assert result.target == target.label
    assert [(package.name, package.version) for package in result.packages] == \
        [("armdep", "1.0"), ("fastmath", "1.0"), ("plainpy", "1.0")]  # armonly: only on aarch64
    fastmath = next(package for package in result.packages if package.name == "fastmath")
    assert fastmath.tags == "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64" and fastmath.size > 0
    names = _names(zip_path)
    assert names == sorted(names)
    assert {"lambda_function.py", "_ol_notebook_lambda.py", "pylock.toml", "fastmath-1.0.dist-info/RECORD",
            "armdep/__init__.py", "plainpy/__init__.py"} <= set(names)
    assert not any(name.startswith(("armonly", "python/")) for name in names)
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.read("lambda_function.py").decode() == entry_point("adder")
        assert archive.read("_ol_notebook_lambda.py").decode() == CODE
    lock = Pylock.from_dict(_lock(zip_path))
    assert sorted(package.name for package in lock.packages) == ["armdep", "fastmath", "plainpy"]
    assert summary_of_archive(zip_path) == result.packages
    assert not list((tmp_path / "out").glob(".*")), "no scratch left behind"


def test_the_bundle_answers_through_lambda_handler_on_this_machine(export, tmp_path):
    """Python 3.11 x86_64 is this host: unzip the bundle and call the handler with only it on sys.path."""
    result = export(["fastmath"], aws_target("x86_64", "3.11"))
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(result.files[0]) as archive:
        archive.extractall(unpacked)
    call = ("import json, sys; sys.path[:0] = [sys.argv[1]]; import lambda_function; "
            "print(json.dumps(lambda_function.lambda_handler({'a': 2, 'b': 40}, None)))")
    answer = subprocess.run([sys.executable, "-I", "-S", "-c", call, str(unpacked)], capture_output=True, text=True,
                            check=True)
    assert json.loads(answer.stdout) == {"sum": 42}


def test_the_same_lambda_and_target_export_byte_identical(export, tmp_path):
    target = aws_target("arm64", "3.12")
    first = export(["fastmath", "armdep", "abimath"], target, out="one")
    second = export(["fastmath", "armdep", "abimath"], target, out="two")
    assert first.files[0].read_bytes() == second.files[0].read_bytes()
    assert first.packages == second.packages


def test_a_layer_holds_the_packages_under_python_and_the_function_zip_only_the_lambda(export, tmp_path):
    result = export(["fastmath", "armdep"], aws_target("arm64", "3.12"), layer=True)
    function, layer = result.files
    assert (function.name, layer.name) == ("adder.zip", "adder-layer.zip")
    assert _names(function) == ["_ol_notebook_lambda.py", "lambda_function.py", "pylock.toml"]
    layer_names = _names(layer)
    assert "pylock.toml" in layer_names
    assert all(name.startswith("python/") for name in layer_names if name != "pylock.toml")
    assert "python/armonly/__init__.py" in layer_names  # the marker holds on aarch64
    assert _lock(function).get("packages", []) == [] and summary_of_archive(function) == ()
    assert [package.name for package in summary_of_archive(layer)] == ["armdep", "armonly", "fastmath", "plainpy"]
    Pylock.from_dict(_lock(function))


def test_a_wheel_whose_tag_lies_about_its_machine_is_refused_and_nothing_is_written(export, tmp_path):
    with pytest.raises(ExportError) as raised:
        export(["liar"], aws_target("arm64", "3.12"))
    message = str(raised.value)
    assert "shared objects that cannot load on AWS Lambda python3.12 arm64" in message
    assert "liar 1.0: liar" in message and "x86_64 (e_machine 62)" in message
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_over_the_unzipped_limit_names_the_largest_packages_and_writes_nothing(export, tmp_path):
    with pytest.raises(ExportError) as raised:
        export(["fastmath", "armdep"], aws_target("x86_64", "3.12"), unzipped_limit=1000)
    message = str(raised.value)
    assert "over AWS Lambda's unzipped limit for a function and its layers" in message
    assert "the largest packages: fastmath 1.0" in message
    assert list((tmp_path / "out").iterdir()) == [] if (tmp_path / "out").exists() else True


def test_a_zip_over_the_direct_upload_limit_is_written_with_a_warning(export, tmp_path):
    result = export(["fastmath"], aws_target("x86_64", "3.12"), upload_limit=100)
    assert result.files[0].exists()
    assert len(result.warnings) == 1 and "adder.zip is" in result.warnings[0] and "S3" in result.warnings[0]
    assert [event.message for event in export.events if event.kind == "warning"][-1] == result.warnings[0]


def test_an_openlambda_target_is_refused(export):
    from ol_notebook.export.target import openlambda_target

    with pytest.raises(ExportError, match="needs an AWS Lambda target"):
        export([], openlambda_target())
