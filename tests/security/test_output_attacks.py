"""Attacks on the output channel: the host reads each worker's stdout and stderr from memfds the
zygote hands it, and the zygote runs the lambda's code, so what it hands over is untrusted.

A lambda that swaps the memfds for a pipe (a host read would block the event loop) or for a
file of its own is refused as a protocol break; one that seals its memfd against the host's
truncation cannot.
"""

from __future__ import annotations

import pytest

from ol_notebook.runtime import LambdaCrashed

SWAP = """
import os
import _ol_runtime.zygote as zygote

def pipes():
    read, write = os.pipe()
    return [read, write]

def a_file():
    return [os.open("/tmp/fake-stdout", os.O_RDWR | os.O_CREAT), os.open("/tmp/fake-stderr", os.O_RDWR | os.O_CREAT)]

zygote.make_outputs = {kind!r} == "pipe" and pipes or a_file

def f(event):
    return "served"
"""


@pytest.mark.parametrize("kind", ["pipe", "file"])
def test_a_zygote_handing_over_something_else_than_memfds_is_refused(engine, make_lambda, kind: str) -> None:
    spec = make_lambda(SWAP.replace("{kind!r}", repr(kind)))
    with pytest.raises(LambdaCrashed, match=r"broke the runtime's protocol .*two output memfds"):
        engine.invoke(spec)


SEAL = """
import fcntl, os

F_ADD_SEALS, F_SEAL_SHRINK = 1033, 0x0002

def f(event):
    print("call", event)
    try:
        fcntl.fcntl(1, F_ADD_SEALS, F_SEAL_SHRINK)
    except OSError as error:
        return error.strerror
    return "sealed"
"""


def test_a_lambda_cannot_seal_its_output_against_the_hosts_truncation(engine, make_lambda) -> None:
    spec = make_lambda(SEAL)
    first = engine.invoke(spec, 1)
    assert first.value == "Operation not permitted" and first.stdout == "call 1\n"
    assert engine.invoke(spec, 2).stdout == "call 2\n"  # emptied after the first call
