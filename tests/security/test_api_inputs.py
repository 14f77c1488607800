"""Hostile input to the REST API of a real `jupyter server`: events nested past what a JSON reader
takes, lambda settings out of range or not finite, environments execve cannot carry, and the
network modes (with the warning that sharing the host's network gives on every deploy)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ol_notebook.api import NDJSON
from ol_notebook.magics.progress import ProgressView
from ol_notebook.puller import PullEvent
from tests.security.conftest import ServerAPI

ECHO = "def f(event):\n    return event\n"
DEEP = 5000


def strict_json(text: str) -> Any:
    """JSON as browsers read it: no Infinity or NaN."""
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_an_event_nested_past_what_json_readers_take_is_a_400(server_api: ServerAPI) -> None:
    assert server_api.call("PUT", "lambdas/deep-echo", {"code": ECHO})[0] == 200
    try:
        for deep in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP):
            status, answer = server_api.call("POST", "run/deep-echo", body=deep)
            assert status == 400 and answer["error"]["type"] == "InvalidEvent", answer
            assert "nested deeper" in answer["error"]["message"]
        status, answer = server_api.call("PUT", "lambdas/deep-echo", body='{"code": ' + "[" * DEEP + "]" * DEEP + "}")
        assert status == 400 and answer["error"]["type"] == "BadRequest", answer
        assert server_api.call("POST", "run/deep-echo", body="[[[1]]]") == (200, [[[1]]])  # still serving
    finally:
        assert server_api.call("DELETE", "lambdas/deep-echo")[0] == 204


SETTINGS_BODY = '{"code": "def f(event):\\n    return 1\\n", "settings": {%s}}'


@pytest.mark.parametrize(("settings", "named"), [
    ('"memory": -1', "'memory'"),
    ('"memory": 1000000000000000000000000000000', "'memory'"),
    ('"memory": 1.5e9', "'memory'"),
    ('"timeout": Infinity', "'timeout'"),
    ('"timeout": -Infinity', "'timeout'"),
    ('"timeout": NaN', "'timeout'"),
    ('"timeout": 0', "'timeout'"),
    ('"timeout": 1e300', "'timeout'"),
    ('"instances": 0', "'instances'"),
    ('"instances": 100000000', "'instances'"),
    ('"instances": true', "'instances'"),
    ('"queue": -1', "'queue'"),
    ('"queue": 1e99', "'queue'"),
    ('"processes": 1', "'processes'"),
    ('"processes": 3, "instances": 4', "'processes'"),
    ('"processes": 1000000000', "'processes'"),
    ('"network": "maybe"', "network"),
    ('"network": 1', "network"),
    ('"env": {"": "x"}', "''"),
    ('"env": {"A=B": "x"}', "'A=B'"),
    ('"env": {"A\\u0000B": "x"}', "'A\\x00B'"),
    ('"env": {"LD_PRELOAD": "x\\u0000y"}', "LD_PRELOAD"),
    ('"env": {"NUMBER": 1}', "'NUMBER'"),
    ('"env": {"LIST": ["x"]}', "'LIST'"),
    ('"env": {"SURROGATE": "\\ud800"}', "'SURROGATE'"),
    ('"env": ["A=B"]', "'env'"),
])
def test_settings_out_of_range_are_a_400_naming_the_field(server_api: ServerAPI, settings: str,
                                                           named: str) -> None:
    status, answer = server_api.call("PUT", "lambdas/bad-settings", body=SETTINGS_BODY % settings)
    assert status == 400 and answer["error"]["type"] == "InvalidSettings", answer
    assert named in answer["error"]["message"], answer
    assert server_api.call("GET", "lambdas/bad-settings")[0] == 404  # nothing was stored
    status, listed = server_api.call("GET", "lambdas")
    assert status == 200 and "bad-settings" not in {item["name"] for item in listed["lambdas"]}


def test_every_listing_stays_strict_json(server_api: ServerAPI) -> None:
    """`timeout: Infinity` once made GET lambdas unreadable for browsers."""
    assert server_api.call("PUT", "lambdas/infinite", body=SETTINGS_BODY % '"timeout": Infinity')[0] == 400
    status, text = server_api.raw("GET", "lambdas")
    assert status == 200 and isinstance(strict_json(text)["lambdas"], list)


def test_host_network_warns_on_every_deploy(server_api: ServerAPI) -> None:
    body = json.dumps({"code": ECHO, "settings": {"network": "host"}})
    try:
        for _ in range(2):
            status, text = server_api.call("PUT", "lambdas/on-host", body=body, headers={"Accept": NDJSON})
            lines = [json.loads(line) for line in text.splitlines()]
            warnings = [line["event"]["message"] for line in lines if line.get("event", {}).get("kind") == "warning"]
            assert status == 200 and "result" in lines[-1], lines[-1]
            assert len(warnings) == 1 and "shares the host's network" in warnings[0]
        status, shown = server_api.call("GET", "lambdas/on-host")
        assert shown["settings"]["network"] == "host"
        assert server_api.call("POST", "run/on-host", body='"hi"') == (200, "hi")
        status, _ = server_api.call("PUT", "lambdas/on-host", {"code": ECHO, "settings": {"network": False}})
        assert status == 200
    finally:
        server_api.call("DELETE", "lambdas/on-host")


def test_a_notebook_shows_a_deploys_warning_for_as_long_as_the_display_lasts() -> None:
    view = ProgressView("Deploying x")
    view.add(PullEvent("warning", "x", message="lambda 'x' shares the host's network"))
    view.add(PullEvent("starting", "x", message="version 1"))
    view.add(PullEvent("deployed", "x", message="version 1"))
    assert "warning: lambda 'x' shares the host's network" in repr(view)
    assert "warning: lambda &#x27;x&#x27; shares the host&#x27;s network" in view._repr_html_()
