"""`ol-notebook export`, run as a user would: a lambda deployed from the platform index (tests/localindex/
platforms.py), then exported for AWS Lambda and OpenLambda by the real console script."""

from __future__ import annotations

import re
import tarfile
import zipfile
from collections.abc import Iterator

import pytest

from tests.cli import conftest as cli_fixtures
from tests.export.registry_double import RegistryDouble, Upload

run = cli_fixtures.run  # the console script in a fresh store and registry, here on the platform index

CODE = "import fastmath\n\ndef f(event):\n    return fastmath.add(event['a'], event['b'])\n"
REQUIREMENTS = "fastmath armdep puresdist speedups"


@pytest.fixture
def local_index(platform_index):
    """The fixtures borrowed from the CLI's and the magics' tests point their engine at `local_index`:
    in these tests, the index of platform wheels."""
    return platform_index


@pytest.fixture
def registry() -> Iterator[RegistryDouble]:
    """A stand-in OpenLambda registry on 127.0.0.1."""
    with RegistryDouble() as double:
        yield double


@pytest.fixture
def deployed(run, tmp_path):
    """Lambda `calc` (fastmath's real C extension, a marker dependency, a pure sdist, an sdist with an optional
    C extension) deployed on this host."""
    (tmp_path / "calc.py").write_text(CODE)
    run("deploy", "calc", "calc.py", "--requirements", REQUIREMENTS)
    return run


def table(stdout: str) -> dict[str, list[str]]:
    """The summary's rows by package (columns are two or more spaces apart), and its header as "PACKAGE"."""
    rows = [re.split(r"\s{2,}", line) for line in stdout.splitlines() if re.match(r"\S+\s{2,}\S", line)]
    return {row[0]: row for row in rows}


def test_an_arm64_export_writes_the_zip_and_prints_what_it_holds(deployed, tmp_path):
    result = deployed("export", "calc", "--to", "aws-lambda", "--arch", "arm64", "--python", "3.12", "-o", "out")
    assert "calc for AWS Lambda python3.12 arm64 (manylinux_2_34_aarch64): 6 packages" in result.stdout
    assert "wrote out/calc.zip (" in result.stdout
    rows = table(result.stdout)
    assert rows.pop("PACKAGE") == ["PACKAGE", "VERSION", "SIZE", "WHEEL TAGS", "BUILT"]
    assert {name: row[3:] for name, row in rows.items()} == {
        "armdep": ["py3-none-any", "-"],
        "armonly": ["py3-none-any", "-"],  # its marker evaluated for the target (aarch64), not this x86_64 host
        "fastmath": ["cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64", "-"],
        "plainpy": ["py3-none-any", "-"],
        "puresdist": ["py3-none-any", "sdist"],
        "speedups": ["py3-none-any", "sdist, no C compiler"],  # its C extension left out: the pure fallback
    }
    names = zipfile.ZipFile(tmp_path / "out" / "calc.zip").namelist()
    assert "lambda_function.py" in names and "pylock.toml" in names
    assert "fastmath.cpython-312-aarch64-linux-gnu.so" in names


def test_a_layer_export_writes_the_function_and_the_layer(deployed, tmp_path):
    result = deployed("export", "calc", "--to", "aws-lambda", "--layer", "--version", "1", "-o", str(tmp_path / "o"))
    function, layer = tmp_path / "o" / "calc.zip", tmp_path / "o" / "calc-layer.zip"
    assert result.stdout.index(f"wrote {function}") < result.stdout.index(f"wrote {layer}")
    assert not any(name.startswith("fastmath") for name in zipfile.ZipFile(function).namelist())
    assert "python/fastmath.cpython-312-x86_64-linux-gnu.so" in zipfile.ZipFile(layer).namelist()
    assert "fastmath" in result.stdout and "cp311" not in result.stdout  # python3.12 by default


def test_an_openlambda_export_is_uploaded_to_a_registry(deployed, tmp_path, registry):
    result = deployed("export", "calc", "--to", "openlambda", "--python", "3.12", "--upload", registry.url)
    archive = tmp_path / "calc.tar.gz"
    assert "wrote calc.tar.gz (" in result.stdout
    with tarfile.open(archive) as tar:
        assert {"f.py", "requirements.in", "requirements.txt", "ol.yaml"} <= set(tar.getnames())
    assert registry.uploads == [Upload("calc", "application/gzip", archive.read_bytes())]
    assert f"uploaded calc.tar.gz ({archive.stat().st_size:,} bytes) to {registry.url}/registry/calc" in result.stdout
    registry.answer_next(500, b"disk full")
    failed = deployed("export", "calc", "--to", "openlambda", "--python", "3.12", "--upload", registry.url, ok=False)
    assert failed.stderr.splitlines()[-1] == (
        f"error: the OpenLambda registry at {registry.url}/registry/calc answered 500 Internal Server Error to the "
        "upload of calc.tar.gz, not 201 Created: disk full")
    assert "wrote calc.tar.gz (" in failed.stdout and len(registry.uploads) == 1  # the tarball is there to retry


@pytest.mark.parametrize(("args", "said"), [
    (("nope", "--to", "aws-lambda"), "error: there is no lambda named 'nope'"),
    (("calc", "--to", "aws-lambda", "--python", "3.8"), "error: AWS Lambda has no python3.8 runtime"),
    (("calc", "--to", "aws-lambda", "--upload", "http://127.0.0.1:9"), "error: --upload is for --to openlambda"),
    (("calc", "--to", "openlambda", "--layer"), "error: layer is for AWS Lambda"),
    (("calc", "--to", "aws-lambda", "--version", "7"), "error: lambda 'calc' has no version 7"),
])
def test_a_bad_export_is_one_error_line_and_writes_nothing(deployed, tmp_path, args, said):
    result = deployed("export", *args, "-o", "out", ok=False)
    assert result.returncode == 1 and result.stderr.strip().splitlines()[-1].startswith(said)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_package_with_no_wheel_for_the_target_is_named(run, tmp_path):
    (tmp_path / "cc.py").write_text("def f(event):\n    return 1\n")
    run("deploy", "cc", "cc.py", "--requirements", "needscc")  # builds here: this host has a compiler
    result = run("export", "cc", "--to", "aws-lambda", "--arch", "arm64", ok=False)
    assert result.returncode == 1
    assert "error: 1 package(s) have no wheel for AWS Lambda python3.12 arm64" in result.stderr
    assert "needscc 1.0:" in result.stderr
    assert not (tmp_path / "cc.zip").exists()
