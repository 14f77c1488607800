"""A call as a notebook user lives it, in a real kernel on both paths: the lambda's prints
arrive in the cell while it runs, Kernel > Interrupt cancels the call in the engine (its log
says so, with what it printed, and a new worker serves the next call) and the cell shows one
line; a timeout keeps what was printed before it."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest
from jupyter_client import BlockingKernelClient, KernelManager

from tests.jupyter_fixtures import running_kernel

SLOW = ("%%ol_lambda slow --timeout 90\nimport os, time\n\ndef f(event):\n"
        "    if event == 'pid':\n        return os.getpid()\n"
        "    print('started', flush=True)\n    time.sleep(60)\n    return 'finished'\n")
STOPS = ("%%ol_lambda stops --timeout 1\nimport time\n\ndef f(event):\n    print('before the timeout')\n"
         "    time.sleep(30)\n")


class Kernel:
    """A real ipykernel, its cells executed one at a time, their iopub messages collected."""

    def __init__(self, manager: KernelManager, client: BlockingKernelClient):
        self.manager, self.client = manager, client

    def execute(self, code: str, until=None, timeout: float = 120) -> list[dict]:
        """Run a cell; its output messages until it is idle, or until `until(messages)` is true."""
        sent = self.client.execute(code)
        messages: list[dict] = []
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no output from the kernel within {timeout} s; so far: {messages}") from None
            if message["parent_header"].get("msg_id") != sent:
                continue
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return messages
            messages.append(message)
            if until is not None and until(messages):
                return messages

    def rest(self, timeout: float = 120) -> list[dict]:
        """The remaining messages of the cell being run."""
        messages: list[dict] = []
        while True:
            message = self.client.get_iopub_msg(timeout=timeout)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return messages
            messages.append(message)


def printed(messages: list[dict]) -> str:
    return "".join(message["content"]["text"] for message in messages if message["msg_type"] == "stream")


def shown_text(messages: list[dict]) -> str:
    """What a cell printed and displayed, as text."""
    return printed(messages) + "".join(message["content"]["data"].get("text/plain", "") for message in messages
                                       if message["msg_type"] in ("execute_result", "display_data"))


def errors(messages: list[dict]) -> list[dict]:
    return [message["content"] for message in messages if message["msg_type"] == "error"]


@pytest.fixture
def kernel(path) -> Iterator[Kernel]:
    with running_kernel() as (manager, client):
        kernel = Kernel(manager, client)
        yield kernel
        for name in ("slow", "stops"):  # one cell each: removing one a test did not deploy fails
            kernel.execute(f"%ol_rm {name}")


def test_prints_stream_into_the_cell_and_an_interrupt_cancels_the_call(kernel: Kernel) -> None:
    kernel.execute("%load_ext ol_notebook")
    assert not errors(kernel.execute(SLOW))
    first_pid = kernel.execute("first = slow('pid'); first")
    running = kernel.execute("slow(None)", until=lambda messages: "started" in printed(messages))
    assert printed(running) == "started\n"  # while the call runs: it sleeps 60 s after printing
    kernel.manager.interrupt_kernel()
    (error,) = errors(kernel.rest(timeout=30))
    assert error["traceback"] == ["KeyboardInterrupt: the call of lambda 'slow' was cancelled; its worker was killed"]
    assert not errors(first_pid)
    shown = kernel.execute("print(slow('pid') != first)")
    assert printed(shown) == "True\n"  # the sleeping worker was killed, not waited for
    logged = shown_text(kernel.execute("%ol_logs slow --full 2"))
    assert "LambdaCancelled: lambda 'slow' was cancelled by its caller" in logged and "started" in logged


def test_a_timeout_keeps_the_lines_printed_before_it(kernel: Kernel) -> None:
    kernel.execute("%load_ext ol_notebook")
    assert not errors(kernel.execute(STOPS))
    ran = kernel.execute("stops(None)")
    assert printed(ran) == "before the timeout\n"
    (error,) = errors(ran)
    assert error["ename"] == "LambdaTimeout" and "ran longer than its timeout of 1 s" in error["evalue"]
