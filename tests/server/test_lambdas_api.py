"""Lambdas over HTTP: deploy, list, show, run (with every error status), logs, rollback, remove."""

from __future__ import annotations

import asyncio
import json

from ol_notebook.api import NDJSON

SHOW_ALPHA = """import alpha

def f(event):
    print('got', event)
    return {'alpha': alpha.__version__, 'event': event}
"""
RAISES = """def helper(event):
    raise ValueError('bad event ' + repr(event))

def f(event):
    return helper(event)
"""
SLEEPS = """import time

def f(event):
    time.sleep(event)
    return event
"""


def deploy(api, name: str, code: str, requirements: str = "", **settings) -> dict:
    status, body = api.call("PUT", f"lambdas/{name}", {"code": code, "requirements": requirements,
                                                       "settings": settings})
    assert status == 200, body
    return body


def test_deploy_list_show_run_logs(api):
    deployed = deploy(api, "show", SHOW_ALPHA, "alpha==1.1\n")
    assert deployed["version"] == 1 and deployed["pins"] == ["alpha==1.1"] and deployed["state"] == "warm"
    assert api.call("POST", "run/show", {"n": 1}) == (200, {"alpha": "1.1", "event": {"n": 1}})
    status, details = api.call("POST", "run/show?details=1", [1, 2])
    assert status == 200 and details["result"]["event"] == [1, 2] and details["stdout"] == "got [1, 2]\n"
    assert details["version"] == "show@1" and details["cold"] is False  # the first call warmed the worker
    assert api.call("POST", "run/show")[1]["event"] is None  # an empty body is the event null

    status, listed = api.call("GET", "lambdas")
    assert status == 200 and [(item["name"], item["version"]) for item in listed["lambdas"]] == [("show", 1)]
    last = listed["lambdas"][0]["last_invocation"]
    assert last["ok"] is True and last["stdout"] == "got None\n" and last["version"] == 1
    status, shown = api.call("GET", "lambdas/show")
    assert shown["code"] == SHOW_ALPHA and shown["history"][0]["pins"] == ["alpha==1.1"]
    status, logs = api.call("GET", "lambdas/show/logs?limit=2")
    assert status == 200 and [log["stdout"] for log in logs["logs"]] == ["got [1, 2]\n", "got None\n"]


def test_two_versions_of_one_package_side_by_side_then_rollback_and_remove(api):
    deploy(api, "old", SHOW_ALPHA, "alpha==1.0")
    deploy(api, "new", SHOW_ALPHA, "alpha==2.0")
    results = api.concurrently(("POST", "run/old", 1), ("POST", "run/new", 2))
    assert [body["alpha"] for _, body in results] == ["1.0", "2.0"]

    assert deploy(api, "old", SHOW_ALPHA, "alpha==1.1")["version"] == 2
    assert api.call("POST", "run/old", 0)[1]["alpha"] == "1.1"
    status, rolled = api.call("POST", "lambdas/old/rollback", {"version": None})
    assert status == 200 and rolled["version"] == 1
    assert api.call("POST", "run/old", 0)[1]["alpha"] == "1.0"

    assert api.call("DELETE", "lambdas/old") == (204, None)
    status, error = api.call("POST", "run/old", 0)
    assert status == 404 and error["error"]["type"] == "RegistryError" and "'old'" in error["error"]["message"]


def test_run_errors_have_distinct_statuses(api):
    deploy(api, "raises", RAISES)
    assert api.call("GET", "lambdas/raises")[1]["last_invocation"] is None  # never invoked
    status, error = api.call("POST", "run/raises", {"k": 1})
    details = error["error"]["details"]
    assert status == 500 and error["error"]["type"] == "LambdaError"
    assert details["type"] == "ValueError" and details["message"] == "bad event {'k': 1}"
    assert "in helper" in details["traceback"] and "line 2" in details["traceback"]
    last = api.call("GET", "lambdas/raises")[1]["last_invocation"]
    assert last["ok"] is False and last["error"].startswith("LambdaError: ")

    bad_json = api.raw("POST", "ol/run/raises", b'{"k": ')
    assert bad_json.code == 400 and json.loads(bad_json.body)["error"]["type"] == "InvalidEvent"
    assert api.call("POST", "run/nobody", 1)[0] == 404
    assert api.call("POST", "run/bad.name", 1)[1]["error"]["type"] == "InvalidLambda"

    deploy(api, "sleeps", SLEEPS, timeout=1.0, instances=1, queue=0)
    status, error = api.call("POST", "run/sleeps", 3)
    assert status == 504 and error["error"]["type"] == "LambdaTimeout"
    assert api.call("POST", "run/sleeps", 0) == (200, 0)  # its one worker is up again after the timeout

    async def while_busy() -> list[tuple[int, object]]:
        async def second() -> tuple[int, object]:
            await asyncio.sleep(0.3)  # the first call is running by now
            return await api._call("POST", "run/sleeps", 0)

        return await asyncio.gather(api._call("POST", "run/sleeps", 0.8), second())

    first, busy = api.loop.run_until_complete(while_busy())
    assert first == (200, 0.8) and busy[0] == 429 and busy[1]["error"]["type"] == "LambdaBusy"

    deploy(api, "unjson", "def f(event):\n    return {1, 2}\n")
    status, error = api.call("POST", "run/unjson", None)
    assert status == 502 and error["error"]["type"] == "ResultNotSerializable"


def test_bad_deploys_say_what_is_wrong_and_change_nothing(api):
    cases = [
        ({"code": "def f(event):\n    return (\n"}, 400, "InvalidLambda", "syntax error at line 2"),
        ({"code": "x = 1\n"}, 400, "InvalidLambda", "defines no function f"),
        ({}, 400, "BadRequest", "'code'"),
        ({"code": "def f(e): pass", "settings": {"timeout": "5"}}, 400, "InvalidSettings",
         "'timeout' must be a number"),
        ({"code": "def f(e): pass", "settings": {"colour": 1}}, 400, "InvalidSettings", "unknown lambda setting"),
        ({"code": "def f(e): pass", "settings": []}, 400, "BadRequest", "must be a JSON object"),
        ({"code": "def f(e): pass", "requirements": "nosuchpackage"}, 422, "PackageNotFound", "nosuchpackage"),
        ({"code": "def f(e): pass", "requirements": "alpha==9.9"}, 422, "VersionNotFound", "alpha"),
        ({"code": "import nowhere_to_be_found\ndef f(e): pass"}, 502, "LambdaStartError", "nowhere_to_be_found"),
    ]
    for body, status, kind, words in cases:
        got_status, error = api.call("PUT", "lambdas/broken", body)
        assert (got_status, error["error"]["type"]) == (status, kind), (body, error)
        assert words in error["error"]["message"] + json.dumps(error["error"]["details"]), (body, error)
    assert api.call("GET", "lambdas") == (200, {"lambdas": []})


def test_deploy_streams_progress_as_ndjson(api):
    response = api.raw("PUT", "ol/lambdas/streamed", json.dumps({"code": SHOW_ALPHA, "requirements": "alpha==2.0"}),
                       headers={"Accept": NDJSON})
    assert response.code == 200 and response.headers["Content-Type"] == NDJSON
    lines = [json.loads(line) for line in response.body.decode().splitlines()]
    events = [(line["event"]["kind"], line["event"]["key"]) for line in lines[:-1]]
    assert events[0] == ("resolving", "streamed") and events[-2:] == [("starting", "streamed"),
                                                                     ("deployed", "streamed")]
    assert {("done", "alpha==2.0"), ("done", "beta==1.5")} <= set(events)
    assert len({line["event"]["operation"] for line in lines[:-1]}) == 1
    assert lines[-1]["result"]["pins"] == ["alpha==2.0", "beta==1.5"]

    failed = api.raw("PUT", "ol/lambdas/streamed", json.dumps({"code": "def f(e): pass", "requirements": "zzz-none"}),
                     headers={"Accept": NDJSON})
    last = json.loads(failed.body.decode().splitlines()[-1])
    assert failed.code == 200 and last["error"]["type"] == "PackageNotFound"
    assert api.call("GET", "lambdas/streamed")[1]["version"] == 1
