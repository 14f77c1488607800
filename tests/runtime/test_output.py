"""What a lambda prints: streamed while the call runs, kept when the call times out, crashes,
raises or is cancelled, and bounded however much it prints."""

from __future__ import annotations

import pytest

from ol_notebook.runtime import LambdaCancelled, LambdaCrashed, LambdaError, LambdaTimeout
from ol_notebook.runtime.output import SKIP_MARK, STREAM_BACKLOG

TICKER = """
import sys, time

def f(event):
    for number in range(event["lines"]):
        print(f"line {number}")
        print(f"warning {number}", file=sys.stderr)
    time.sleep(event["then_sleep"])
    return "done"
"""


class Collected:
    """An output sink that keeps every piece it is given, per stream."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, str]] = []

    def __call__(self, stream: str, text: str) -> None:
        self.pieces.append((stream, text))

    def text(self, stream: str) -> str:
        return "".join(text for each, text in self.pieces if each == stream)


def wait_for(engine, condition, what: str, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        engine.wait(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


def test_prints_arrive_while_the_call_runs_and_a_cancel_keeps_them(engine, make_lambda) -> None:
    spec = make_lambda(TICKER)
    sink = Collected()
    call = engine.loop.create_task(engine.runtimes.invoke(spec, {"lines": 2, "then_sleep": 60}, sink))
    wait_for(engine, lambda: "line 1" in sink.text("stdout") and "warning 1" in sink.text("stderr"),
             "the lines printed before the handler sleeps")
    assert not call.done()  # they came while it ran, not with its result
    call.cancel()
    with pytest.raises(LambdaCancelled) as cancelled:
        engine.run(call)
    assert cancelled.value.stdout == "line 0\nline 1\n" and cancelled.value.stderr == "warning 0\nwarning 1\n"


def test_a_streamed_call_gets_all_its_output_once_and_its_result_the_same_output(engine, make_lambda) -> None:
    spec = make_lambda(TICKER)
    sink = Collected()
    result = engine.run(engine.runtimes.invoke(spec, {"lines": 300, "then_sleep": 0}, sink))
    expected = "".join(f"line {number}\n" for number in range(300))
    assert sink.text("stdout") == expected == result.stdout
    again = engine.run(engine.runtimes.invoke(spec, {"lines": 1, "then_sleep": 0}, Collected()))
    assert again.stdout == "line 0\n"  # the memfds were emptied for the next call


def test_a_timeout_keeps_what_was_printed_before_it(engine, make_lambda) -> None:
    spec = make_lambda(TICKER, timeout=1.0)
    with pytest.raises(LambdaTimeout) as timed_out:
        engine.invoke(spec, {"lines": 3, "then_sleep": 30})
    assert timed_out.value.stdout == "line 0\nline 1\nline 2\n"
    assert timed_out.value.stderr.endswith("warning 2\n")


def test_a_crash_and_a_raise_keep_what_was_printed(engine, make_lambda) -> None:
    spec = make_lambda("import os\n\ndef f(event):\n    print('about to go', flush=True)\n"
                       "    if event == 'exit':\n        os._exit(3)\n    raise ValueError('no')\n")
    with pytest.raises(LambdaCrashed) as crashed:
        engine.invoke(spec, "exit")
    assert crashed.value.stdout == "about to go\n"
    with pytest.raises(LambdaError) as raised:
        engine.invoke(spec, "raise")
    assert raised.value.stdout == "about to go\n"


def test_a_flood_is_streamed_in_bounded_pieces_with_what_was_skipped_said(engine, make_lambda) -> None:
    spec = make_lambda("import os\n\ndef f(event):\n    os.write(1, b'x' * event)\n    return 'ok'\n")
    sink = Collected()
    flood = 3 * STREAM_BACKLOG
    result = engine.run(engine.runtimes.invoke(spec, flood, sink))
    streamed = sink.text("stdout")
    assert SKIP_MARK.format(flood - STREAM_BACKLOG) in streamed
    assert streamed.count("x") <= STREAM_BACKLOG and all(len(text) <= (64 << 10) + 64 for _, text in sink.pieces)
    assert result.value == "ok" and result.stdout.endswith("x" * 100)


def test_utf8_split_between_reads_is_decoded_whole(engine, make_lambda) -> None:
    spec = make_lambda("import os, time\n\ndef f(event):\n    data = 'é'.encode()\n    os.write(1, data[:1])\n"
                       "    time.sleep(0.3)\n    os.write(1, data[1:])\n    return 'ok'\n")
    sink = Collected()
    engine.run(engine.runtimes.invoke(spec, None, sink))
    assert sink.text("stdout") == "é"
