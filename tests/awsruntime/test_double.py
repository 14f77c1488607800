"""The Runtime API double and the runner, with hand-written bundles: awslambdaric really runs them in our
sandbox, and what it posts back is what Lambda would report."""

from __future__ import annotations

import http.client
import json
import zipfile
from pathlib import Path

import pytest

from tests.awsruntime.api import PREFIX, Invoke, RuntimeAPI
from tests.awsruntime.plugin import BundleRunner
from tests.awsruntime.runner import RuntimeClientMissing, RuntimeFiles, runtime_files

HANDLER = '''
import json, os, sys

def lambda_handler(event, context):
    if event.get("fail"):
        raise ValueError(f"bad event {event['fail']}")
    print("handling", event.get("n"))
    return {
        "double": event["n"] * 2,
        "request_id": context.aws_request_id,
        "function": context.function_name,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "cwd": os.getcwd(),
        "path": sys.path,
        "helper": __import__("helper").WORD,
        "client": context.client_context and context.client_context.custom,
        "identity": context.identity.cognito_identity_id,
    }
'''


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_events_results_errors_and_output(run_lambda: BundleRunner, tmp_path: Path) -> None:
    bundle = make_zip(tmp_path / "f.zip", {"lambda_function.py": HANDLER, "helper.py": "WORD = 'task'\n"})
    identity = {"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "us-east-1:pool"}
    events = [{"n": 1}, Invoke({"n": 21}, client_context={"custom": {"k": "v"}}, cognito_identity=identity),
              {"fail": "x"}, {"n": 5}]
    run = run_lambda(bundle, events)

    first, second, failed, last = run.outcomes
    assert first and second and last and failed
    assert [first.value["double"], second.value["double"], last.value["double"]] == [2, 42, 10]
    assert first.value["request_id"] == first.request_id != second.request_id
    assert first.value["function"] == "ol-test"
    assert first.value["arn"].endswith(":function:ol-test")
    assert first.value["remaining_ms"] > 0
    assert first.value["cwd"] == "/var/task"
    assert first.value["helper"] == "task"
    assert (first.value["client"], first.value["identity"]) == (None, None)
    assert (second.value["client"], second.value["identity"]) == ({"k": "v"}, "us-east-1:abc")
    path = first.value["path"]
    assert path[0] == "/var/task" and "/var/runtime" in path
    assert not [entry for entry in path if "site-packages" in entry and not entry.startswith("/opt/python")], path

    assert failed.kind == "error"
    error = failed.value
    assert error["errorType"] == failed.error_type == "ValueError"
    assert error["errorMessage"] == "bad event x"
    assert error["requestId"] == failed.request_id
    # awslambdaric sends no error-type header for a handler's exception (Lambda reads the body's errorType),
    # but the X-Ray cause, which names the exception and the lambda's file.
    cause = json.loads(failed.headers["lambda-runtime-function-xray-error-cause"])
    assert cause["exceptions"][0]["type"] == "ValueError" and cause["paths"] == ["/var/task/lambda_function.py"]
    assert any('/var/task/lambda_function.py' in frame and "lambda_handler" in frame for frame in error["stackTrace"])

    assert "handling 21" in run.stdout
    assert "[ERROR] ValueError: bad event x" in run.stdout  # awslambdaric logs the error as Lambda does
    assert not run.init_errors
    assert run.requests.count(f"GET {PREFIX}/invocation/next") >= 4  # a fifth may be waiting when the run ends
    assert sorted(request.rsplit("/", 1)[1] for request in run.requests if request.startswith("POST")) == [
        "error", "response", "response", "response"]


def test_layer_is_on_sys_path(run_lambda: BundleRunner, tmp_path: Path) -> None:
    bundle = make_zip(tmp_path / "f.zip", {"lambda_function.py": HANDLER})
    layer = make_zip(tmp_path / "layer.zip", {"python/helper.py": "WORD = 'layer'\n"})
    run = run_lambda(bundle, [{"n": 2}], layer_zip=layer)
    assert run.values[0]["helper"] == "layer"


def test_handler_that_cannot_load_is_an_init_error(run_lambda: BundleRunner, tmp_path: Path) -> None:
    bundle = make_zip(tmp_path / "f.zip", {"lambda_function.py": "import not_bundled_anywhere\n"})
    run = run_lambda(bundle, [{"n": 1}])
    assert run.outcomes == [None]
    (init,) = run.init_errors
    assert init.error_type == init.value["errorType"] == "Runtime.ImportModuleError"
    assert "not_bundled_anywhere" in init.value["errorMessage"]
    assert run.returncode != 0


def test_double_refuses_unknown_request_ids_and_routes() -> None:
    with RuntimeAPI() as api:
        connection = http.client.HTTPConnection(api.address)
        connection.request("POST", f"{PREFIX}/invocation/not-handed-out/response", b"{}")
        answer = connection.getresponse()
        assert answer.status == 400 and json.loads(answer.read())["errorType"] == "InvalidRequestID"
        connection.request("GET", "/2018-06-01/runtime/nothing")
        answer = connection.getresponse()
        assert answer.status == 404
        answer.read()
        request_id = api.invoke({"a": 1}, client_context={"custom": {"k": "v"}})
        connection.request("GET", f"{PREFIX}/invocation/next")
        answer = connection.getresponse()
        assert answer.status == 200 and json.loads(answer.read()) == {"a": 1}
        assert answer.getheader("Lambda-Runtime-Aws-Request-Id") == request_id
        assert json.loads(answer.getheader("Lambda-Runtime-Client-Context") or "") == {"custom": {"k": "v"}}
        assert int(answer.getheader("Lambda-Runtime-Deadline-Ms") or 0) > 0
        connection.request("POST", f"{PREFIX}/invocation/{request_id}/response", b'"ok"')
        assert connection.getresponse().status == 202
        outcome = api.outcome(request_id)
        assert outcome is not None and outcome.value == "ok"


def test_a_missing_runtime_client_is_named_with_the_fix() -> None:
    with pytest.raises(RuntimeClientMissing, match=r"not-an-installed-dist .*pip install -e '\.\[test\]'"):
        runtime_files("not-an-installed-dist")


def test_runtime_files_are_awslambdaric_and_its_requirements(aws_runtime_files: RuntimeFiles) -> None:
    names = {entry.name for entry in aws_runtime_files.entries}
    assert {"awslambdaric", "simplejson"} <= names
    assert any(name.startswith("runtime_client") and name.endswith(".so") for name in names)
    assert not [name for name in names if name.endswith(".dist-info") or name == "__pycache__"]
