"""Warm reuse, scale-out from the zygote, the queue, idle reaping, new versions, stop and close."""

from __future__ import annotations

import dataclasses
import time

import pytest

from ol_notebook.runtime import LambdaBusy, LambdaCancelled, LambdaStopped
from tests.runtime.conftest import lambda_processes

SLEEPER = """
import os, time

def f(event):
    time.sleep(event or 0)
    return os.getpid()
"""


def test_a_warm_worker_serves_again(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER)
    first, second = engine.invoke(spec), engine.invoke(spec)
    assert first.value == second.value and first.cold and not second.cold
    assert engine.runtimes.state(spec.name)["instances"] == 1


def test_a_caller_that_gives_up_cancels_its_call_and_a_new_worker_serves_the_next(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER, instances=1)
    worker = engine.invoke(spec).value
    abandoned = engine.start(spec, 60)
    engine.wait(0.1)
    waiting = engine.start(spec)  # queued behind the abandoned call
    abandoned.cancel()
    assert engine.run(waiting).value != worker  # the sleeping worker was killed, not waited for
    with pytest.raises(LambdaCancelled, match="was cancelled by its caller; its worker was killed"):
        engine.run(abandoned)
    assert engine.runtimes.state(spec.name)["instances"] == 1


def test_a_caller_that_gives_up_while_queued_leaves_the_running_call_alone(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER, instances=1)
    running = engine.start(spec, 0.3)
    engine.wait(0.1)
    queued = engine.start(spec)
    engine.wait(0.05)
    queued.cancel()
    assert engine.run(running).value  # finished, on the worker it started on
    assert queued.cancelled()


def test_concurrent_calls_fork_workers_up_to_the_limit_then_queue_then_refuse(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER, instances=3, queue=2)
    engine.invoke(spec)  # warm: one worker
    calls = [engine.start(spec, 0.5) for _ in range(5)]  # three run, two wait
    engine.wait(0.2)
    assert engine.runtimes.state(spec.name)["instances"] == 3
    with pytest.raises(LambdaBusy, match="3 instances are running and 2 invocations are queued"):
        engine.invoke(spec)
    results = [engine.run(call) for call in calls]
    assert len({result.value for result in results}) == 3
    assert sum(result.cold for result in results) == 2  # two workers were forked for these calls
    assert engine.runtimes.state(spec.name)["instances"] == 3


def test_idle_workers_are_reaped_and_the_sandbox_with_the_last(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER, idle_timeout=0.5, instances=2)
    engine.invoke_all([(spec, 0.2), (spec, 0.2)])
    assert engine.runtimes.state(spec.name)["instances"] == 2
    assert len(lambda_processes()) == 5  # bwrap, its pid 1 in the sandbox, the zygote, two workers
    engine.wait(0.35)
    engine.invoke(spec)  # one worker used again: only the other one is reaped
    engine.wait(0.3)
    assert engine.runtimes.state(spec.name) | {"last_latency": None} == {
        "state": "warm", "instances": 1, "version": "v1", "last_latency": None}
    engine.wait(0.5)
    assert engine.runtimes.state(spec.name)["state"] == "cold"
    assert engine.runtimes.state(spec.name)["instances"] == 0
    assert lambda_processes() == []
    assert engine.invoke(spec).cold


def test_a_new_version_gets_a_fresh_sandbox_while_the_old_one_finishes(engine, make_lambda) -> None:
    old = make_lambda("import time\ndef f(event):\n    time.sleep(event)\n    return 'old'\n")
    new = dataclasses.replace(make_lambda("def f(event):\n    return 'new'\n", name=old.name), version="v2")
    assert engine.invoke(old, 0).value == "old"
    running = engine.start(old, 1.0)
    engine.wait(0.1)
    assert engine.invoke(new, 0).value == "new"
    assert engine.runtimes.state(old.name)["version"] == "v2"
    assert len(lambda_processes()) == 8  # two sandboxes: bwrap, its pid 1, the zygote and a worker each
    assert engine.run(running).value == "old"
    deadline = time.monotonic() + 5
    while len(lambda_processes()) > 4 and time.monotonic() < deadline:
        engine.wait(0.05)
    assert len(lambda_processes()) == 4  # the old sandbox stopped once its call was done


def test_stop_ends_calls_in_flight_and_the_next_call_starts_afresh(engine, make_lambda) -> None:
    spec = make_lambda(SLEEPER)
    running = engine.start(spec, 30)
    engine.wait(0.3)
    engine.run(engine.runtimes.stop(spec.name))
    with pytest.raises(LambdaStopped):
        engine.run(running)
    assert lambda_processes() == []
    assert engine.runtimes.state(spec.name)["state"] == "cold"
    assert engine.invoke(spec).cold


def test_close_leaves_no_process_behind(sandbox, make_lambda) -> None:
    from tests.runtime.conftest import Engine

    engine = Engine(sandbox)
    specs = [make_lambda(SLEEPER, instances=2) for _ in range(3)]
    engine.invoke_all([(spec, 0.1) for spec in specs for _ in range(2)])
    running = engine.start(specs[0], 30)
    engine.wait(0.2)
    assert len(lambda_processes()) == 3 * 5
    engine.run(engine.runtimes.close())
    assert lambda_processes() == []
    with pytest.raises(LambdaStopped):
        engine.run(running)
    with pytest.raises(LambdaStopped):
        engine.invoke(specs[1])
    engine.loop.close()
