"""The REST API (see openapi.yaml): thin handlers that parse, call the Worker, serialise.

Every route is authenticated and then authorized against the resource "ol"; errors from
the engine become `{"error": ...}` with the status `ol_notebook.api.status_for` gives.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from packaging.pylock import Pylock
from tornado import web
from tornado.iostream import StreamClosedError

from ol_notebook.api import (
    EXPORT_TARGET_HEADER,
    EXPORT_WARNINGS_HEADER,
    NDJSON,
    BadRequest,
    compiled_to_json,
    corruptions_to_json,
    deployed_to_json,
    error_to_json,
    event_to_json,
    export_media_type,
    gc_report_to_json,
    invocation_to_json,
    lambda_settings_from_json,
    output_events,
    packages_to_json,
    pulled_to_json,
    status_for,
)
from ol_notebook.errors import OLError
from ol_notebook.export.model import ExportError
from ol_notebook.export.target import AWS_ARCHES, ENGINES, export_target
from ol_notebook.lock import parse_lock
from ol_notebook.puller import EventSink, PullEvent
from ol_notebook.resolve import Closure
from ol_notebook.runtime import InvalidEvent, Invocation
from ol_notebook.server.progress import CLOSED, ProgressHub
from ol_notebook.worker import Worker

if TYPE_CHECKING:
    from ol_notebook.server.app import OLNotebookApp

AUTH_RESOURCE = "ol"
TOML = "application/toml"
HEARTBEAT_SECONDS = 15.0
TOO_DEEP = "JSON readers take (about 1000 levels)"  # where json.loads gives up with RecursionError
_MISSING = object()
LOCK_SOURCE = "in the request's 'lock'"  # how errors name a lock sent as text
EXPORT_FIELDS = ("to", "arch", "python", "layer", "part", "version")
EXPORT_PARTS = ("function", "layer")
PYTHON_VERSION = re.compile(r"3\.[0-9]{1,2}(\.[0-9]{1,3})?")  # X.Y or X.Y.Z; the target says which it knows
MAX_VERSION = 2**31  # a lambda's version number fits an int32; anything larger is refused as odd
CHUNK = 1 << 20  # an archive is answered in pieces of this size


class OLHandler(APIHandler):
    auth_resource = AUTH_RESOURCE
    # Whether a client that closes its connection stops the operation (a call) or not (a pull or a
    # deploy finishes whole: the store and the registry are never left half-written).
    cancel_on_close = False
    _operation: asyncio.Task | None = None

    @property
    def app(self) -> OLNotebookApp:
        return self.settings["ol_notebook"]

    @property
    def worker(self) -> Worker:
        return self.app.worker

    @property
    def hub(self) -> ProgressHub:
        return self.app.hub

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object; an empty body is {}."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError as error:
            raise BadRequest(f"the request body is not JSON: {error}") from None
        except RecursionError:
            raise BadRequest(f"the request body is nested deeper than {TOO_DEEP}") from None
        if not isinstance(body, dict):
            raise BadRequest(f"the request body must be a JSON object, not {type(body).__name__}")
        return body

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def reply_lock(self, text: str) -> None:
        """A pylock.toml, as TOML (RFC 9618's media type)."""
        self.finish(text, set_content_type=TOML)

    async def run_operation(self, what: str, subject: str, operation: Callable[[EventSink], Awaitable[Any]],
                            reply: Callable[[Any], Any] = lambda result: result) -> None:
        """Run an operation; stream its events as NDJSON if the client asked for it, then the
        result line (`reply` of what it returned), else answer `reply` of it as JSON.

        Its events go to the event stream too; when it fails, that gets a last "failed" event keyed
        by `subject` (a lambda's name, or "pull"), so its watchers see how the operation ended."""
        operation_id = self.hub.new_operation(what)

        async def reported(on_event: EventSink) -> Any:
            return await self.reporting(operation_id, subject, operation(on_event))

        if NDJSON not in self.request.headers.get("Accept", ""):
            self._operation = asyncio.current_task()  # cancelled if the client leaves (see RunHandler)
            self.reply(reply(await reported(self.hub.sink(operation_id))))
            return
        events: asyncio.Queue[PullEvent | None] = asyncio.Queue()
        self._operation = task = asyncio.ensure_future(reported(self.hub.sink(operation_id, also=events.put_nowait)))
        # Events reach the loop before the operation's own completion does, so this comes last.
        task.add_done_callback(lambda _: events.put_nowait(None))
        self.set_header("Content-Type", NDJSON)
        self.set_header("Cache-Control", "no-cache")
        try:
            while (event := await events.get()) is not None:
                self.write(json.dumps({"event": event_to_json(event, operation_id)}) + "\n")
                await self.flush()
        except StreamClosedError:
            self.on_connection_close()
            await asyncio.wait([task])  # the client left: a call is cancelled, other operations finish whole
            return
        try:
            line = {"result": reply(task.result())}
        except Exception as error:
            self.log_exception(type(error), error, error.__traceback__)
            line = error_to_json(error)
        self.write(json.dumps(line) + "\n")
        self.finish(set_content_type=NDJSON)

    async def reporting(self, operation_id: str, subject: str, operation: Awaitable[Any]) -> Any:
        """What `operation` returns; if it fails, the event stream first gets a last "failed" event."""
        try:
            return await operation
        except Exception as error:
            failed = PullEvent("failed", subject, message=f"{type(error).__name__}: {error}")
            self.hub.publish(event_to_json(failed, operation_id))
            raise

    def on_connection_close(self) -> None:
        """The client left (an interrupted kernel, a closed tab): cancel a call it was waiting for."""
        if self.cancel_on_close and self._operation is not None and not self._operation.done():
            self._operation.cancel()
        super().on_connection_close()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, OLError):
            self.set_status(status_for(error))
            self.finish(json.dumps(error_to_json(error)))
        else:
            super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Engine errors are answers, not server faults: one line, no traceback."""
        if isinstance(value, OLError):
            self.log.info("ol-notebook: %s %s: %s: %s", self.request.method, self.request.path,
                          type(value).__name__, value)
        else:
            super().log_exception(typ, value, tb)


def _field(body: dict[str, Any], key: str, kind: type, default: Any = _MISSING) -> Any:
    value = body.get(key, default)
    if value is _MISSING:
        raise BadRequest(f"the request needs a {key!r} field")
    if value is not default and not isinstance(value, kind):
        raise BadRequest(f"{key!r} must be {kind.__name__}, not {type(value).__name__}")
    return value


class VersionHandler(OLHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.worker.info())


class LambdasHandler(OLHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply({"lambdas": self.worker.lambdas()})


class LambdaHandler(OLHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(self.worker.describe(name))

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        body = self.json_body()
        code = _field(body, "code", str)
        requirements = _field(body, "requirements", str, "")
        force = _field(body, "force", bool, False)
        settings = lambda_settings_from_json(body.get("settings"), self.worker.settings.lambda_defaults)
        lock = _lock_field(body, bool(requirements.strip()))

        async def deploy(on_event: EventSink) -> dict[str, Any]:
            if lock is not None:
                deployment = await self.worker.deploy_from_lock(name, code, lock, LOCK_SOURCE, settings, on_event,
                                                                force=force)
            else:
                deployment = await self.worker.deploy(name, code, requirements, settings, on_event, force=force)
            return deployed_to_json(deployment, self.worker.describe(name))

        await self.run_operation(f"deploy-{name}", name, deploy)

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await self.worker.remove(name)
        self.set_status(204)
        self.finish()


class RollbackHandler(OLHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        number = self.json_body().get("version")
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            raise BadRequest(f"'version' must be an integer or null, not {number!r}")
        rolled = await self.worker.rollback(name, number)
        self.reply({**self.worker.describe(name), "rollback": rolled.to_dict()})


class LogsHandler(OLHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        try:
            limit = int(self.get_query_argument("limit", "50"))
        except ValueError:
            raise BadRequest(f"'limit' must be an integer, not {self.get_query_argument('limit')!r}") from None
        if limit < 1:
            raise BadRequest("'limit' must be at least 1")
        logs = await asyncio.to_thread(self.worker.logs, name, limit)  # reads files: off the event loop
        self.reply({"logs": [asdict(log) for log in logs]})


@dataclass(frozen=True)
class ExportRequest:
    to: str
    arch: str
    python: str | None
    layer: bool
    part: str
    version: int | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ExportRequest:
        """Each field checked for its type and its values (400 naming it), then the target they make."""
        unknown = sorted(set(body) - set(EXPORT_FIELDS))
        if unknown:
            raise BadRequest(f"unknown field(s) {', '.join(map(repr, unknown))}: an export takes "
                             f"{', '.join(EXPORT_FIELDS)}")
        request = cls(to=_choice(body, "to", ENGINES, _MISSING),
                      arch=_choice(body, "arch", tuple(AWS_ARCHES), "x86_64"),
                      python=_field(body, "python", str, None), layer=_field(body, "layer", bool, False),
                      part=_choice(body, "part", EXPORT_PARTS, "function"), version=_version_field(body))
        if request.python is not None and not PYTHON_VERSION.fullmatch(request.python):
            raise BadRequest(f"'python' must be a version X.Y or X.Y.Z, not {_shown(request.python)}")
        if request.part == "layer" and not request.layer:
            raise BadRequest("'part' is 'layer' but 'layer' is false: only an export with a layer has one")
        try:
            export_target(request.to, request.arch, request.python, request.layer)
        except ExportError as error:  # a value the target refuses (python 3.8, a layer for OpenLambda...)
            raise BadRequest(str(error)) from None
        return request


class ExportHandler(OLHandler):
    """Lambda NAME as an archive for another engine: the server writes it into a temporary
    directory of its own, removed before the first byte of the answer (the open archive is read
    after), so an export leaves nothing behind; no path of the server's is named by the request or
    the answer (only the archive's file name). Its progress goes to the event stream."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        request = ExportRequest.from_json(self.json_body())
        operation_id = self.hub.new_operation(f"export-{name}")
        with tempfile.TemporaryDirectory(prefix="ol-export-") as directory:
            result = await self.reporting(operation_id, name, self.worker.export(
                name, to=request.to, arch=request.arch, python=request.python, layer=request.layer,
                out_dir=Path(directory), version=request.version, on_event=self.hub.sink(operation_id)))
            archive = result.files[EXPORT_PARTS.index(request.part)]
            file = archive.open("rb")  # stays readable once its directory is gone, before a byte is sent
        with file:
            self.set_header("Content-Type", export_media_type(archive.name))
            self.set_header("Content-Disposition", f'attachment; filename="{archive.name}"')
            self.set_header("Content-Length", os.fstat(file.fileno()).st_size)
            self.set_header(EXPORT_TARGET_HEADER, result.target)
            self.set_header(EXPORT_WARNINGS_HEADER, json.dumps(list(result.warnings)))
            while chunk := file.read(CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish()


class RunHandler(OLHandler):
    """OpenLambda's run/NAME: the event in, the handler's result out (with `details=1`, also its
    output, duration, cold start and version).

    What the lambda prints goes to the event stream while it runs, as events of kind "stdout" and
    "stderr" keyed by the lambda's name; asked for NDJSON, the response streams them too before
    its result line. With neither a stream to feed nor anyone on the event stream, the call is
    not streamed at all: the hot path pays for no watcher. A client that closes the connection
    cancels the call (its worker is killed)."""

    cancel_on_close = True

    @web.authenticated
    @authorized("execute")
    async def post(self, name: str) -> None:
        try:
            event = json.loads(self.request.body) if self.request.body else None
        except ValueError as error:
            raise InvalidEvent(name, f"the request body is not JSON ({error})") from None
        except RecursionError:
            raise InvalidEvent(name, f"this one is nested deeper than {TOO_DEEP}") from None

        async def run(on_event: EventSink) -> Invocation:
            printed, output = False, output_events(name, on_event)

            def on_output(stream: str, text: str) -> None:
                nonlocal printed
                printed = True
                output(stream, text)

            invocation = await self.worker.invoke(name, event, on_output)
            if printed:  # the event stream saw this call: it also sees it end
                on_event(PullEvent("done", name, seconds=invocation.duration))
            return invocation

        reply = invocation_to_json if self.get_query_argument("details", "0") == "1" else _value
        if self.hub.listening or NDJSON in self.request.headers.get("Accept", ""):
            await self.run_operation(f"run-{name}", name, run, reply)
            return
        self._operation = asyncio.current_task()  # tornado takes its cancellation (the client left) in its stride
        self.reply(reply(await self.worker.invoke(name, event)))


class CompileHandler(OLHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        requirements = _field(self.json_body(), "requirements", str)
        closure = await self.worker.compile(requirements)
        self.reply(compiled_to_json(closure))


class PullHandler(OLHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        root = _field(body, "root", str, None)
        given = _field(body, "closure", dict, None)
        lock = _lock_field(body, given is not None or body.get("requirements") is not None)
        requirements = _field(body, "requirements", str, None if given is not None or lock else _MISSING)
        closure = _closure_from_json(given) if given is not None else None

        async def pull(on_event: EventSink) -> dict[str, Any]:
            if lock is not None:
                pinned = await self.worker.closure_from_lock(lock, LOCK_SOURCE, on_event)
            else:
                pinned = closure or await self.worker.compile(requirements)
            report = await self.worker.pull(pinned, on_event, root)
            return pulled_to_json(pinned, report)

        await self.run_operation("pull", "pull", pull)


class LockHandler(OLHandler):
    """The PEP 751 lock (pylock.toml) of exactly what lambda NAME runs, or its kept `version`."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        number = self.get_query_argument("version", None)
        if number is not None and not number.isdigit():
            raise BadRequest(f"'version' must be a version number, not {number!r}")
        self.reply_lock(await self.worker.freeze(name, int(number) if number is not None else None))


class RequirementsLockHandler(OLHandler):
    """The PEP 751 lock of requirements: compiled and pulled (a lock names the files installed)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        requirements = _field(self.json_body(), "requirements", str)
        self.reply_lock(await self.worker.lock(requirements, source="the request's requirements"))


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: Any) -> str:
    """One of `allowed`; absent or null is `default` (or, when it is _MISSING, refused)."""
    value = body.get(key)
    if value is None:
        if default is _MISSING:
            raise BadRequest(f"the request needs a {key!r} field: one of {', '.join(allowed)}")
        return default
    if not isinstance(value, str) or value not in allowed:
        raise BadRequest(f"{key!r} must be one of {', '.join(allowed)}, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A value as a message can quote it: its repr, cut short (a request may send megabytes)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _version_field(body: dict[str, Any]) -> int | None:
    number = body.get("version")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)
                               or not 1 <= number < MAX_VERSION):
        raise BadRequest(f"'version' must be a version number (1 or more) or null, not {_shown(number)}")
    return number


def _value(invocation: Invocation) -> Any:
    return invocation.value


def _lock_field(body: dict[str, Any], conflicting: bool) -> Pylock | None:
    """The request's "lock" (a pylock.toml's text), parsed, or None; it excludes requirements and a
    closure: a lock says exactly what to install (and auto_install adds nothing to it)."""
    text = _field(body, "lock", str, None)
    if text is None:
        return None
    if conflicting:
        raise BadRequest("'lock' installs exactly the lock's packages: send no 'requirements' or 'closure' with it")
    return parse_lock(text, LOCK_SOURCE)


def _closure_from_json(data: dict[str, Any]) -> Closure:
    try:
        return Closure.from_json(json.dumps(data))
    except (KeyError, TypeError, ValueError) as error:
        raise BadRequest(f"'closure' is not a closure as `compile` returns it: {error!r}") from None


class PackagesHandler(OLHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(packages_to_json(self.worker.package_entries(), self.worker.package_users()))


class VerifyHandler(OLHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.reply(corruptions_to_json(await self.worker.verify()))


class GcHandler(OLHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        keep = _field(body, "keep", list, [])
        if not all(isinstance(key, str) for key in keep):
            raise BadRequest("'keep' must be a list of NAME==VERSION strings")
        report = await self.worker.gc(keep, delete=_field(body, "delete", bool, False))
        self.reply(gc_report_to_json(report))


class EventsHandler(OLHandler):
    """Server-sent events: every progress event of this server, for the sidebar."""

    _track_activity = False  # an open stream is not user activity

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        queue = self.hub.subscribe()
        try:
            self.write(": connected\n\n")
            await self.flush()
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    self.write(": heartbeat\n\n")
                else:
                    if data is CLOSED:
                        break
                    self.write(f"data: {json.dumps(data)}\n\n")
                await self.flush()
        except StreamClosedError:
            return
        finally:
            self.hub.unsubscribe(queue)
        self.finish(set_content_type="text/event-stream")


NAME = r"(?P<name>[^/]+)"
# Paths below {base_url}ol, as in openapi.yaml ({name} is a lambda name).
ROUTES: tuple[tuple[str, type[OLHandler]], ...] = (
    ("/version", VersionHandler),
    ("/lambdas", LambdasHandler),
    ("/lambdas/{name}", LambdaHandler),
    ("/lambdas/{name}/rollback", RollbackHandler),
    ("/lambdas/{name}/logs", LogsHandler),
    ("/lambdas/{name}/lock", LockHandler),
    ("/lambdas/{name}/export", ExportHandler),
    ("/lock", RequirementsLockHandler),
    ("/run/{name}", RunHandler),
    ("/compile", CompileHandler),
    ("/pull", PullHandler),
    ("/packages", PackagesHandler),
    ("/verify", VerifyHandler),
    ("/gc", GcHandler),
    ("/events", EventsHandler),
)


def url_patterns(prefix: str) -> list[tuple[str, type[OLHandler]]]:
    """Tornado patterns for ROUTES under `prefix` (the server adds base_url)."""
    return [(prefix + path.replace("{name}", NAME), handler) for path, handler in ROUTES]
