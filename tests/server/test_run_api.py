"""POST run/NAME as a client that watches: NDJSON streams the lambda's prints before the result,
the event stream carries them for the sidebar, and a client that leaves cancels the call."""

from __future__ import annotations

import asyncio
import json

import pytest

from ol_notebook.api import NDJSON

PRINTS = ("import sys\n\ndef f(event):\n    print('out', event)\n    print('err', event, file=sys.stderr)\n"
          "    return event\n")
SLEEPS = ("import os, time\n\ndef f(event):\n    if event == 'pid':\n        return os.getpid()\n"
          "    print('started', flush=True)\n    time.sleep(60)\n    return 'finished'\n")


def test_run_streams_prints_as_ndjson_then_the_result_and_the_event_stream_sees_them(api):
    assert api.call("PUT", "lambdas/printer", {"code": PRINTS})[0] == 200

    async def run() -> list[dict]:
        response = await api._fetch("POST", "ol/run/printer?details=1", json.dumps(7), headers={"Accept": NDJSON})
        assert response.headers["Content-Type"] == NDJSON
        return [json.loads(line) for line in response.body.decode().splitlines()]

    lines, sent = api.events_during(run, until=lambda lines, events: len(events) >= len(lines) - 1)
    streamed = [line["event"] for line in lines[:-1]]
    assert sorted((event["kind"], event["key"], event["message"]) for event in streamed[:-1]) == [
        ("stderr", "printer", "err 7\n"), ("stdout", "printer", "out 7\n")]
    assert (streamed[-1]["kind"], streamed[-1]["key"]) == ("done", "printer")  # the sidebar sees the call end
    assert lines[-1]["result"]["result"] == 7 and lines[-1]["result"]["stdout"] == "out 7\n"
    assert sent == streamed and streamed[0]["operation"].startswith("run-printer-")

    plain = api.raw("POST", "ol/run/printer", json.dumps(8))  # no NDJSON asked: the result alone, as before
    assert json.loads(plain.body) == 8


def test_a_failed_call_streams_its_error_line_with_what_it_printed(api):
    code = "def f(event):\n    print('about to fail')\n    raise KeyError(event)\n"
    assert api.call("PUT", "lambdas/fails", {"code": code})[0] == 200
    response = api.raw("POST", "ol/run/fails", json.dumps("k"), headers={"Accept": NDJSON})
    *events, last = [json.loads(line) for line in response.body.decode().splitlines()]
    assert [event["event"]["message"] for event in events] == ["about to fail\n"]
    assert last["error"]["type"] == "LambdaError" and last["error"]["details"]["stdout"] == "about to fail\n"


@pytest.mark.parametrize("accept", [NDJSON, "application/json"])
def test_a_client_that_leaves_cancels_the_call_and_the_log_says_so(api, accept: str):
    assert api.call("PUT", "lambdas/sleeper", {"code": SLEEPS, "settings": {"instances": 1}})[0] == 200
    first = api.call("POST", "run/sleeper", "pid")[1]

    async def send() -> asyncio.StreamWriter:
        _, writer = await asyncio.open_connection("127.0.0.1", api.serverapp.port)
        body = b"null"
        path = api.root.split(str(api.serverapp.port), 1)[1] + "ol/run/sleeper"
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.serverapp.port}\r\n"
                     f"Authorization: token {api.token}\r\nAccept: {accept}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        return writer

    def started(_, events: list[dict]) -> bool:  # the call runs: it sleeps 60 s after printing
        return any(event["kind"] == "stdout" and event["key"] == "sleeper" for event in events)

    writer, _ = api.events_during(send, until=started)
    writer.close()  # the client leaves
    second = api.call("POST", "run/sleeper", "pid")[1]
    assert second != first  # one instance: a new worker, for the one running the abandoned call was killed
    for _ in range(200):  # the log is written once the cancelled call ends, just after the new call
        logs = api.call("GET", "lambdas/sleeper/logs")[1]["logs"]
        cancelled = [log for log in logs if log["error"] and log["error"].startswith("LambdaCancelled")]
        if cancelled:
            break
        api.loop.run_until_complete(asyncio.sleep(0.05))
    (record,) = cancelled
    assert record["stdout"] == "started\n" and not record["ok"]


def test_a_plain_call_nobody_watches_is_cancelled_too_when_its_client_leaves(api):
    """No event stream, no NDJSON: the call is not streamed (the hot path), and leaving still cancels it."""
    settings = {"instances": 1, "queue": 0}  # while the call runs, another gets 429: the sign it is running
    assert api.call("PUT", "lambdas/lonely", {"code": SLEEPS, "settings": settings})[0] == 200
    first = api.call("POST", "run/lonely", "pid")[1]

    async def leave_while_running() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", api.serverapp.port)
        path = api.root.split(str(api.serverapp.port), 1)[1] + "ol/run/lonely"
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.serverapp.port}\r\n"
                     f"Authorization: token {api.token}\r\nContent-Length: 4\r\n\r\nnull".encode())
        await writer.drain()
        while (await api._call("POST", "run/lonely", "pid"))[0] != 429:
            await asyncio.sleep(0.01)
        writer.close()

    api.loop.run_until_complete(leave_while_running())
    for _ in range(200):  # the busy worker is killed, and a new one forked
        status, second = api.call("POST", "run/lonely", "pid")
        if status == 200:
            break
        api.loop.run_until_complete(asyncio.sleep(0.05))
    assert status == 200 and second != first  # not the 60 s sleep finishing: it was killed
    logged = api.call("GET", "lambdas/lonely/logs")[1]["logs"]
    assert any(log["error"] and log["error"].startswith("LambdaCancelled") for log in logged)
