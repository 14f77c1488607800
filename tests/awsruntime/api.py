"""A test double of AWS Lambda's Runtime API, on the host's 127.0.0.1, for awslambdaric to talk to.

It serves what awslambdaric calls (its runtime_client, aws-lambda-cpp over libcurl, and its Python
init-error path), as Lambda documents it:

    GET  /2018-06-01/runtime/invocation/next          the next event: 200, body = the event, headers
                                                      Lambda-Runtime-Aws-Request-Id, -Deadline-Ms,
                                                      -Invoked-Function-Arn, -Trace-Id, and
                                                      -Client-Context / -Cognito-Identity when given.
                                                      With no event queued it waits, as Lambda does.
    POST /2018-06-01/runtime/invocation/ID/response   the handler's result: 202
    POST /2018-06-01/runtime/invocation/ID/error      the handler's exception: 202; body {errorMessage,
                                                      errorType, stackTrace, requestId}, header
                                                      Lambda-Runtime-Function-Error-Type when sent
    POST /2018-06-01/runtime/init/error               the handler could not be loaded: 202

Anything else is answered 404, a result for an unknown or finished request id 400 (Lambda's
InvalidRequestID): a runtime that gets those wrong fails the test instead of passing it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass(frozen=True)
class Invoke:
    """An event with the context a caller may add: a mobile SDK's client context, a Cognito identity."""

    event: Any
    client_context: dict | None = None
    cognito_identity: dict | None = None


@dataclass(frozen=True)
class Event:
    """One invocation waiting for the runtime: the event's JSON bytes and the headers it comes with."""

    request_id: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """What the runtime posted back: kind "response", "error" or "init-error"."""

    kind: str
    request_id: str | None
    body: bytes
    headers: dict[str, str]

    @property
    def value(self) -> Any:
        """The body as JSON (results and errors are JSON for a Python function)."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """The error type as Lambda reports it: the header when the runtime sent it, else the body's."""
        sent = self.headers.get(ERROR_TYPE_HEADER.lower())
        return sent or (self.value.get("errorType") if self.kind != "response" else None)


@dataclass
class _State:
    queue: deque[Event] = field(default_factory=deque)
    pending: dict[str, Event] = field(default_factory=dict)  # handed out, no outcome yet
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    init_errors: list[Outcome] = field(default_factory=list)
    closing: bool = False


class RuntimeAPI:
    """The double: queue events with `invoke`, read what came back with `outcome` / `init_errors`.

    function_name and region make the ARN; timeout_ms each invocation's deadline (Lambda's default 3 s
    is short for a cold sandbox, so the default here is a minute: the deadline is what the function's
    context reports, nothing here enforces it).
    """

    def __init__(self, function_name: str = "ol-test", *, region: str = "us-east-1", timeout_ms: int = 60_000):
        self.function_name = function_name
        self.arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.timeout_ms = timeout_ms
        self.requests: list[str] = []  # "METHOD path" of every request, for assertions
        self._state = _State()
        self._changed = threading.Condition()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("RuntimeAPI is not started")
        return self._httpd.server_address[1]

    @property
    def address(self) -> str:
        """What AWS_LAMBDA_RUNTIME_API holds: host:port."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> RuntimeAPI:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         name="aws-runtime-api", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop serving; a runtime waiting for its next event gets its connection closed."""
        with self._changed:
            self._state.closing = True
            self._changed.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> RuntimeAPI:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def invoke(self, event: Any, *, client_context: dict | None = None, cognito_identity: dict | None = None,
               trace_id: str | None = None) -> str:
        """Queue an event (any JSON value; bytes are sent as they are) and return its request id."""
        request_id = str(uuid.uuid4())
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + self.timeout_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.arn,
            "Lambda-Runtime-Trace-Id": trace_id or f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
        with self._changed:
            self._state.queue.append(Event(request_id, body, headers))
            self._changed.notify_all()
        return request_id

    def outcome(self, request_id: str) -> Outcome | None:
        with self._changed:
            return self._state.outcomes.get(request_id)

    @property
    def init_errors(self) -> list[Outcome]:
        with self._changed:
            return list(self._state.init_errors)

    def wait_settled(self, request_ids: list[str], timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
        """Wait until every id has an outcome, an init error came, or `alive()` turns false; True
        when every id has its outcome."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if all(rid in self._state.outcomes for rid in request_ids):
                    return True
                if self._state.init_errors or not alive() or time.monotonic() >= deadline:
                    return False
                self._changed.wait(min(0.1, max(0.0, deadline - time.monotonic())))

    # Called by the request handler.

    def _next(self) -> Event | None:
        with self._changed:
            while not self._state.queue:
                if self._state.closing:
                    return None
                self._changed.wait(0.1)
            event = self._state.queue.popleft()
            self._state.pending[event.request_id] = event
            return event

    def _post(self, kind: str, request_id: str | None, body: bytes, headers: dict[str, str]) -> bool:
        """Record an outcome; False for a request id that is not waiting for one."""
        outcome = Outcome(kind, request_id, body, headers)
        with self._changed:
            if kind == "init-error":
                self._state.init_errors.append(outcome)
            elif request_id in self._state.pending:
                del self._state.pending[request_id]
                self._state.outcomes[request_id] = outcome
            else:
                return False
            self._changed.notify_all()
        return True


def _handler_for(api: RuntimeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        runtime_api = api

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: libcurl reuses its connection for every call."""

    protocol_version = "HTTP/1.1"
    runtime_api: RuntimeAPI

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.runtime_api.requests.append(f"GET {self.path}")
        if self.path != f"{PREFIX}/invocation/next":
            return self._answer(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})
        event = self.runtime_api._next()
        if event is None:  # closing: Lambda would freeze or end the sandbox here
            self.close_connection = True
            return
        self._answer(HTTPStatus.OK, event.body, event.headers)

    def do_POST(self) -> None:
        self.runtime_api.requests.append(f"POST {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {key.lower(): value for key, value in self.headers.items()}
        if self.path == f"{PREFIX}/init/error":
            self.runtime_api._post("init-error", None, body, headers)
            return self._answer(HTTPStatus.ACCEPTED, {"status": "OK"})
        parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
        routed = self.path.startswith(f"{PREFIX}/invocation/") and len(parts) == 2
        if not routed or parts[1] not in ("response", "error"):
            return self._answer(HTTPStatus.NOT_FOUND, {"errorMessage": f"no route {self.path}"})
        if not self.runtime_api._post(parts[1], parts[0], body, headers):
            return self._answer(HTTPStatus.BAD_REQUEST, {"errorMessage": f"Invalid request ID: {parts[0]}",
                                                         "errorType": "InvalidRequestID"})
        self._answer(HTTPStatus.ACCEPTED, {"status": "OK"})

    def _answer(self, status: HTTPStatus, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
