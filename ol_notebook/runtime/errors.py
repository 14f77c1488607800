"""Why an invocation failed. Every message names the lambda and, where there is one, the knob to turn."""

from __future__ import annotations

import signal

from ol_notebook.errors import OLError
from ol_notebook.sandbox.errors import human_bytes


class LambdaRuntimeError(OLError):
    """An invocation of `lambda_name` did not produce a result. `stdout` and `stderr`: what the call
    printed before it ended (a timeout, a crash, a cancellation and a raise keep it)."""

    stdout = ""
    stderr = ""

    def __init__(self, lambda_name: str, message: str):
        self.lambda_name = lambda_name
        super().__init__(f"lambda {lambda_name!r} {message}")

    def with_output(self, stdout: str, stderr: str) -> LambdaRuntimeError:
        """A copy carrying what one call printed (one error may end every call of a sandbox)."""
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied.args = self.args
        copied.stdout, copied.stderr = stdout, stderr
        return copied

    @classmethod
    def restored(cls, lambda_name: str, message: str) -> LambdaRuntimeError:
        """The error as reported elsewhere (over the REST API): its class and whole message, not its fields."""
        error = cls.__new__(cls)
        error.lambda_name = lambda_name
        Exception.__init__(error, message)
        return error


class LambdaError(LambdaRuntimeError):
    """The handler raised: its exception's type, message and traceback, and what it printed."""

    def __init__(self, lambda_name: str, type: str, message: str, traceback: str, stdout: str = "",
                 stderr: str = ""):
        self.type, self.message, self.traceback = type, message, traceback
        self.stdout, self.stderr = stdout, stderr
        super().__init__(lambda_name, f"raised {type}: {message}" if message else f"raised {type}")


class LambdaStartError(LambdaRuntimeError):
    """The sandbox could not start, or importing handler.py failed (then `traceback` says where)."""

    def __init__(self, lambda_name: str, reason: str, traceback: str = ""):
        self.reason, self.traceback = reason, traceback
        super().__init__(lambda_name, f"could not start: {reason}")


class LambdaTimeout(LambdaRuntimeError):
    def __init__(self, lambda_name: str, timeout: float):
        self.timeout = timeout
        super().__init__(lambda_name, f"ran longer than its timeout of {timeout:g} s; its worker was killed "
                                      "(raise the lambda's timeout if it legitimately needs more)")


class LambdaCancelled(LambdaRuntimeError):
    """Its caller gave up (an interrupted kernel, a closed HTTP request): the worker was killed."""

    def __init__(self, lambda_name: str):
        super().__init__(lambda_name, "was cancelled by its caller; its worker was killed and replaced")


class LambdaCrashed(LambdaRuntimeError):
    """The worker (or the whole sandbox) died during the call: a segfault, os._exit, a limit."""


class LambdaStopped(LambdaRuntimeError):
    """The lambda was stopped (removed, rolled back, or the engine closed) while the call waited or ran."""

    def __init__(self, lambda_name: str):
        super().__init__(lambda_name, "was stopped before the call finished")


class LambdaBusy(LambdaRuntimeError):
    """All instances are busy and the queue is full: retry later, like OpenLambda's 429."""

    def __init__(self, lambda_name: str, instances: int, queue: int):
        super().__init__(lambda_name, f"is busy: {instances} instances are running and {queue} invocations are "
                                      "queued; retry later, or raise its instances or queue")


class InvalidEvent(LambdaRuntimeError):
    def __init__(self, lambda_name: str, reason: str):
        super().__init__(lambda_name, f"cannot take this event: events are JSON values, and {reason}")


class EventTooLarge(LambdaRuntimeError):
    def __init__(self, lambda_name: str, size: int, limit: int):
        self.size, self.limit = size, limit
        super().__init__(lambda_name, f"refused an event of {human_bytes(size)} as JSON: the limit is "
                                      f"{human_bytes(limit)} (max_event_bytes)")


class ResultTooLarge(LambdaRuntimeError):
    def __init__(self, lambda_name: str, size: int, limit: int):
        self.size, self.limit = size, limit
        super().__init__(lambda_name, f"returned a result of {human_bytes(size)} as JSON: the limit is "
                                      f"{human_bytes(limit)} (max_result_bytes)")


class ResultNotSerializable(LambdaRuntimeError):
    def __init__(self, lambda_name: str, what: str):
        self.what = what
        super().__init__(lambda_name, f"returned a result that is not a JSON value: {what}. Return dicts, lists, "
                                      "strings, numbers, booleans or None")


SETTINGS = frozenset({"timeout", "memory", "processes", "instances", "queue"})  # a lambda's, that a user sets


def setting_hint(setting: str) -> str:
    """How a user raises one of a lambda's settings, whichever way they deploy it."""
    return (f"raise the lambda's {setting!r} setting (`--{setting}` when deploying, `settings.{setting}` in the REST "
            "API) if it legitimately needs more")


def killed_by(number: int, oom_counted: bool) -> str:
    """What a death by signal `number` says, where nobody in the runtime sent it. With
    `oom_counted` the sandbox's memory cgroup counted no out-of-memory kill for it, so a SIGKILL
    came from some process: the kernel's OOM killer is not the sender."""
    name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
    if number == signal.SIGKILL and oom_counted:
        return (f"was killed by {name} sent by some other process (outside the lambda, or its own code); not by "
                "the out-of-memory killer, for the sandbox's memory cgroup counted no OOM kill, nor by the runtime")
    return f"was killed by {name}"
