"""Results, errors and output of single invocations."""

from __future__ import annotations

import re

import pytest

from ol_notebook.runtime import (
    EventTooLarge,
    InvalidEvent,
    LambdaError,
    LambdaSpecError,
    LambdaStartError,
    ResultNotSerializable,
    ResultTooLarge,
)

ECHO = """
def f(event):
    return event
"""


def test_json_values_round_trip_and_the_result_says_how_it_ran(engine, make_lambda) -> None:
    spec = make_lambda(ECHO)
    event = {"text": "héllo ☃ 𝄞", "numbers": [1, -2.5, 10**30], "nested": {"none": None, "yes": True}}
    first = engine.invoke(spec, event)
    assert first.value == event and first.cold and first.duration > 0
    second = engine.invoke(spec, event)
    assert second.value == event and not second.cold and second.duration < first.duration
    assert engine.runtimes.state(spec.name) == {
        "state": "warm", "instances": 1, "version": "v1", "last_latency": second.duration,
    }


def test_handler_exception_carries_type_message_and_its_own_traceback(engine, make_lambda) -> None:
    spec = make_lambda("""
        class Refused(Exception):
            pass

        def check(event):
            raise Refused(f"no {event}")

        def f(event):
            print("about to fail")
            check(event)
    """)
    with pytest.raises(LambdaError) as raised:
        engine.invoke(spec, "thanks")
    error = raised.value
    assert (error.type, error.message, error.stdout) == ("handler.Refused", "no thanks", "about to fail\n")
    assert str(error) == f"lambda {spec.name!r} raised handler.Refused: no thanks"
    assert 'File "/handler/handler.py", line 6, in check' in error.traceback
    assert "_ol_runtime" not in error.traceback and error.traceback.endswith("handler.Refused: no thanks\n")
    assert engine.runtimes.state(spec.name)["instances"] == 1  # the worker lives on


def test_stdout_and_stderr_are_captured_per_invocation_from_python_c_and_subprocesses(engine, make_lambda) -> None:
    spec = make_lambda("""
        import os, subprocess, sys

        print("importing")  # the zygote's: never part of a call's output

        def f(event):
            print("out", event)
            print("err", event, file=sys.stderr)
            os.write(1, b"raw\\n")
            subprocess.run(["echo", "child"], check=True)
            return event
    """)
    for event in (1, 2):
        result = engine.invoke(spec, event)
        assert result.stdout == f"out {event}\nraw\nchild\n" and result.stderr == f"err {event}\n"


def test_result_that_is_not_json_is_a_clear_error_and_the_worker_lives_on(engine, make_lambda) -> None:
    spec = make_lambda("""
        import datetime, os

        def f(event):
            values = {"set": {1}, "nan": float("nan"), "date": datetime.date(2024, 1, 1), "key": {(1, 2): 3}}
            return values[event] if event in values else os.getpid()
    """)
    with pytest.raises(ResultNotSerializable, match="an object of type set"):
        engine.invoke(spec, "set")
    with pytest.raises(ResultNotSerializable, match=r"an object of type datetime\.date"):
        engine.invoke(spec, "date")
    with pytest.raises(ResultNotSerializable, match="Out of range float"):
        engine.invoke(spec, "nan")
    with pytest.raises(ResultNotSerializable, match="keys must be str"):
        engine.invoke(spec, "key")
    assert engine.runtimes.state(spec.name)["instances"] == 1
    assert isinstance(engine.invoke(spec, "pid").value, int)


def test_events_that_are_not_json_or_too_large_are_refused_before_any_sandbox(engine, make_lambda) -> None:
    spec = make_lambda(ECHO, max_event_bytes=1000)
    with pytest.raises(InvalidEvent, match="not JSON serializable"):
        engine.invoke(spec, object())
    with pytest.raises(InvalidEvent, match="Out of range"):
        engine.invoke(spec, float("inf"))
    with pytest.raises(EventTooLarge, match="max_event_bytes"):
        engine.invoke(spec, "x" * 1000)
    assert engine.runtimes.state(spec.name)["state"] == "cold"
    assert engine.invoke(spec, "x" * 900).value == "x" * 900


def test_results_over_the_limit_are_refused_in_the_sandbox(engine, make_lambda) -> None:
    spec = make_lambda("def f(event):\n    return 'x' * event\n", max_result_bytes=1000)
    assert len(engine.invoke(spec, 998).value) == 998  # 1000 bytes with the quotes
    with pytest.raises(ResultTooLarge, match="1001 bytes"):
        engine.invoke(spec, 999)


def test_a_handler_that_fails_to_import_reports_its_traceback(engine, make_lambda) -> None:
    spec = make_lambda("""
        print("importing")
        import no_such_module

        def f(event):
            return event
    """)
    with pytest.raises(LambdaStartError) as raised:
        engine.invoke(spec)
    assert "ModuleNotFoundError: No module named 'no_such_module'" in str(raised.value)
    assert 'File "/handler/handler.py", line 3, in <module>' in raised.value.traceback
    assert "importlib" not in raised.value.traceback
    with pytest.raises(LambdaStartError, match=r"defines no function f\(event\)"):
        engine.invoke(make_lambda("def g(event):\n    return event\n"))


def test_an_import_that_hangs_is_bounded_by_the_timeout(engine, make_lambda) -> None:
    spec = make_lambda("import time\ntime.sleep(100)\n\ndef f(event):\n    return event\n", timeout=0.5)
    with pytest.raises(LambdaStartError, match=r"did not finish importing handler\.py within its timeout of 0\.5 s"):
        engine.invoke(spec)


def test_specs_that_cannot_work_are_refused_up_front(make_lambda) -> None:
    with pytest.raises(LambdaSpecError, match="processes=4 leaves no room for 4 instances and the zygote"):
        make_lambda(ECHO, processes=4, instances=4)
    problems = "timeout must be positive; package key '../etc' is not NAME==VERSION"
    with pytest.raises(LambdaSpecError, match=re.escape(problems)):
        make_lambda(ECHO, packages=(("../etc", "/etc"),), timeout=0)
