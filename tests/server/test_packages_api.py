"""Packages over HTTP: compile, pull (plain and streamed), list, verify, gc, and the event stream."""

from __future__ import annotations

import json
import shutil

from ol_notebook.api import NDJSON


def test_compile_pins_without_installing(api):
    status, compiled = api.call("POST", "compile", {"requirements": "alpha>=2"})
    assert status == 200
    assert [(pin["name"], pin["version"]) for pin in compiled["closure"]["pins"]] == [("alpha", "2.0"),
                                                                                       ("beta", "1.5")]
    assert "alpha==2.0 \\\n    --hash=sha256:" in compiled["requirements_txt"]
    assert api.call("GET", "packages") == (200, {"packages": [], "total_size": 0})
    status, error = api.call("POST", "compile", {"requirements": "alpha==7"})
    assert status == 422 and error["error"]["type"] == "VersionNotFound"
    status, error = api.call("POST", "compile", {"requirements": "alpha >>= 1"})
    assert status == 400 and error["error"]["type"] == "InvalidRequirementError"


def test_pull_then_packages_verify_and_gc(api, tmp_path):
    status, pulled = api.call("POST", "pull", {"requirements": "alpha==2.0"})
    assert status == 200 and sorted(pulled["installed"]) == ["alpha==2.0", "beta==1.5"] and pulled["hits"] == []
    assert {package["key"]: package["import_names"] for package in pulled["packages"]}["alpha==2.0"] == ["alpha"]
    again = api.call("POST", "pull", {"closure": pulled["closure"], "root": "kept"})[1]
    assert again["installed"] == [] and sorted(again["hits"]) == ["alpha==2.0", "beta==1.5"]

    status, listed = api.call("GET", "packages")
    assert [package["key"] for package in listed["packages"]] == ["alpha==2.0", "beta==1.5"]
    assert all(package["sha256"] and package["size"] > 0 for package in listed["packages"])
    assert listed["total_size"] == sum(package["size"] for package in listed["packages"])

    assert api.call("POST", "verify") == (200, {"ok": True, "corrupt": []})
    target = next((tmp_path / "store" / "runtimes").glob("*/packages/beta==1.5/files/beta"))
    shutil.rmtree(target)
    status, verified = api.call("POST", "verify")
    assert status == 200 and not verified["ok"] and [item["key"] for item in verified["corrupt"]] == ["beta==1.5"]

    assert api.call("POST", "gc", {})[1] == {"removed": [], "kept": ["alpha==2.0", "beta==1.5"], "freed_bytes": 0,
                                             "dry_run": True}
    status, error = api.call("POST", "gc", {"delete": "yes"})
    assert status == 400 and "'delete' must be bool" in error["error"]["message"]


def test_pull_streams_ndjson_and_the_event_stream_sees_it(api):
    async def pull() -> list[dict]:
        body = json.dumps({"requirements": "gamma"})
        response = await api._fetch("POST", "ol/pull", body, headers={"Accept": NDJSON})
        return [json.loads(line) for line in response.body.decode().splitlines()]

    lines, sent = api.events_during(pull, until=lambda lines, events: len(events) >= len(lines) - 1)
    streamed = [line["event"] for line in lines[:-1]]
    assert {event["kind"] for event in streamed} >= {"queued", "downloading", "installing", "done"}
    installed = lines[-1]["result"]["installed"]
    assert "gamma==1.0" in installed
    assert {event["key"] for event in streamed if event["kind"] == "done"} == set(installed)
    assert sent == streamed  # the same events, with the same operation id, reached the event stream


def test_a_failed_operation_ends_with_a_failed_event_on_the_stream(api):
    async def pull() -> tuple[int, dict]:
        return await api._call("POST", "pull", {"requirements": "nosuchpackage"})

    (status, error), sent = api.events_during(pull, until=lambda _, events: bool(events))
    assert status == 422 and error["error"]["type"] == "PackageNotFound"
    (failed,) = sent
    assert failed["kind"] == "failed" and failed["key"] == "pull" and failed["operation"].startswith("pull-")
    assert failed["message"].startswith("PackageNotFound: ") and "nosuchpackage" in failed["message"]


def test_packages_say_which_lambdas_use_them(api):
    code = "def f(event):\n    return event\n"
    for name, requirements in (("uses_two", "alpha==2.0"), ("uses_beta", "beta==1.5"), ("uses_none", "")):
        assert api.call("PUT", f"lambdas/{name}", {"code": code, "requirements": requirements})[0] == 200
    api.call("POST", "pull", {"requirements": "gamma"})
    used_by = {package["key"]: package["used_by"] for package in api.call("GET", "packages")[1]["packages"]}
    assert used_by == {"alpha==2.0": ["uses_two"], "beta==1.5": ["uses_beta", "uses_two"], "gamma==1.0": []}
    api.call("PUT", "lambdas/uses_two", {"code": code, "requirements": ""})  # its current version pins nothing now
    used_by = {package["key"]: package["used_by"] for package in api.call("GET", "packages")[1]["packages"]}
    assert used_by["alpha==2.0"] == [] and used_by["beta==1.5"] == ["uses_beta"]
