"""Exported AWS Lambda bundles run as Lambda runs them: awslambdaric in our sandbox (tests/awsruntime),
events through the Runtime API double. Exported for x86_64 and this machine's Python from the platform
index: pure packages, an abi3 one and fastmath, whose .so is a real C extension loaded here."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from ol_notebook.export.aws import export_aws
from ol_notebook.export.model import ExportCaches, ExportResult
from ol_notebook.export.target import aws_target
from ol_notebook.index import IndexConfig
from ol_notebook.puller import DEFAULT_LIMITS
from ol_notebook.sandbox import Sandbox
from tests.awsruntime.plugin import BundleRunner
from tests.localindex.plugin import LocalIndex

REQUIREMENTS = ["fastmath", "abimath", "armdep"]
CODE = '''
import importlib.util

import abimath
import armdep
import fastmath
import plainpy


def f(event):
    if "fail" in event:
        raise ValueError(f"cannot add {event['fail']}")
    print("adding", event["a"], "and", event["b"])
    return {
        "sum": fastmath.add(event["a"], event["b"]),
        "abi3": abimath.add(event["a"], 1),
        "native": fastmath.__file__,
        "pure": [armdep.DIST, plainpy.__version__],
        "armonly": importlib.util.find_spec("armonly") is not None,
    }
'''
EVENTS = [{"a": 1, "b": 2}, {"a": 40, "b": 2}, {"fail": "a lemon"}, {"a": -5, "b": 5}]


def export(platform_index: LocalIndex, out: Path, *, layer: bool) -> ExportResult:
    target = aws_target("x86_64", f"{sys.version_info.major}.{sys.version_info.minor}")
    caches = ExportCaches(out / "downloads", out / "resolve", out / "built")
    for path in (caches.downloads, caches.resolve, caches.built):
        path.mkdir(parents=True)
    return export_aws("adder", CODE, REQUIREMENTS, target, out_dir=out / "bundle", layer=layer,
                      index=IndexConfig.from_options(index_url=platform_index.url), sandbox=Sandbox(), caches=caches,
                      limits=DEFAULT_LIMITS)


def check_run(run_lambda: BundleRunner, result: ExportResult, *, layer: bool) -> None:
    function_zip, *layers = result.files
    run = run_lambda(function_zip, EVENTS, layer_zip=layers[0] if layers else None)
    first, second, failed, last = run.outcomes

    assert first and second and last and first.kind == second.kind == last.kind == "response", run
    assert [first.value["sum"], second.value["sum"], last.value["sum"]] == [3, 42, 0]
    assert first.value["abi3"] == 2
    assert first.value["pure"] == ["armdep", "1.0"]
    assert first.value["armonly"] is False  # `armonly; platform_machine == "aarch64"` is not for x86_64
    where = "/opt/python/fastmath" if layer else "/var/task/fastmath"
    assert first.value["native"].startswith(where) and first.value["native"].endswith(".so")

    # An exception reaches the Runtime API as Lambda reports it, naming the lambda's own code.
    assert failed is not None and failed.kind == "error"
    assert failed.error_type == failed.value["errorType"] == "ValueError"
    assert failed.value["errorMessage"] == "cannot add a lemon"
    assert failed.value["requestId"] == failed.request_id
    assert any("/var/task/" in frame and "in f" in frame for frame in failed.value["stackTrace"]), failed.value

    # print() goes to the runtime's stdout, which Lambda sends to CloudWatch Logs.
    assert "adding 40 and 2" in run.stdout
    assert "[ERROR] ValueError: cannot add a lemon" in run.stdout
    assert not run.init_errors


def test_exported_function_runs_under_awslambdaric(platform_index: LocalIndex, tmp_path: Path,
                                                    run_lambda: BundleRunner) -> None:
    check_run(run_lambda, export(platform_index, tmp_path, layer=False), layer=False)


def test_exported_function_and_layer_run_under_awslambdaric(platform_index: LocalIndex, tmp_path: Path,
                                                             run_lambda: BundleRunner) -> None:
    result = export(platform_index, tmp_path, layer=True)
    function_zip, _layer_zip = result.files
    with zipfile.ZipFile(function_zip) as zipped:
        assert not [name for name in zipped.namelist() if name.startswith("fastmath")]
    check_run(run_lambda, result, layer=True)
