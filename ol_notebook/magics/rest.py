"""The engine of the Jupyter server that started this kernel, through its REST API (openapi.yaml).

Connections are kept alive and reused (an invocation is one round trip on an open socket);
each thread takes its own from a small pool, so handles can be called from many threads.
Long operations ask for NDJSON and read it line by line, so progress arrives as it happens.
Errors are rebuilt by `ol_notebook.api` as the engine's own exception classes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ol_notebook.api import (
    API_PREFIX,
    EXPORT_MEDIA_TYPES,
    EXPORT_TARGET_HEADER,
    EXPORT_WARNINGS_HEADER,
    NDJSON,
    error_from_json,
    event_from_json,
    export_file_name,
)
from ol_notebook.errors import OLError
from ol_notebook.export.summary import summary_of_archive
from ol_notebook.puller import EventSink
from ol_notebook.runtime import InvalidEvent

JSON = "application/json"
TOML = "application/toml"
ARCHIVES = ", ".join(EXPORT_MEDIA_TYPES.values())
CHUNK = 1 << 20
# A kept-alive socket the server has closed in the meantime fails like this; the request is sent again.
STALE_CONNECTION = (ConnectionResetError, BrokenPipeError)


class ServerUnreachable(OLError):
    """The ol-notebook server this kernel was started by does not answer."""


class RestClient:
    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUnreachable(f"the ol-notebook server URL {url!r} is not an http(s) URL")
        self.where = f"the ol-notebook server at {url}"
        self._connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._host, self._port = parts.hostname, parts.port
        self._prefix = f"{parts.path.rstrip('/')}/{API_PREFIX}/"
        self._headers = {"Authorization": f"token {token}"} if token else {}
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def info(self) -> dict[str, Any]:
        return self._request("GET", "version")

    def pull(self, requirements: str, on_event: EventSink) -> dict[str, Any]:
        return self._stream("POST", "pull", {"requirements": requirements}, on_event)

    def deploy(self, name: str, code: str, requirements: str, settings: dict[str, Any],
               on_event: EventSink, force: bool = False) -> dict[str, Any]:
        body = {"code": code, "requirements": requirements, "settings": settings, "force": force}
        return self._stream("PUT", f"lambdas/{_segment(name)}", body, on_event)

    def lock(self, requirements: str) -> str:
        return self._text("POST", "lock", {"requirements": requirements})

    def freeze(self, name: str, version: int | None = None) -> str:
        query = "" if version is None else f"?version={version}"
        return self._text("GET", f"lambdas/{_segment(name)}/lock{query}")

    def pull_lock(self, lock: str, source: str, on_event: EventSink) -> dict[str, Any]:
        """The server names the lock in its errors as the request's: `source` stays here."""
        return self._stream("POST", "pull", {"lock": lock}, on_event)

    def deploy_lock(self, name: str, code: str, lock: str, source: str, settings: dict[str, Any],
                    on_event: EventSink, force: bool = False) -> dict[str, Any]:
        body = {"code": code, "lock": lock, "settings": settings, "force": force}
        return self._stream("PUT", f"lambdas/{_segment(name)}", body, on_event)

    def invoke(self, name: str, event: Any, on_event: EventSink | None = None) -> dict[str, Any]:
        """One round trip; streamed as NDJSON when `on_event` wants the output as it is printed.
        An interrupt closes the connection, which cancels the call on the server."""
        try:
            body = json.dumps(event)
        except (TypeError, ValueError) as error:  # what the engine itself says of such an event
            raise InvalidEvent(name, str(error)) from None
        path = f"run/{_segment(name)}?details=1"
        return self._request("POST", path, body) if on_event is None else self._stream("POST", path, body, on_event)

    def export(self, name: str, options: dict[str, Any], out_dir: Path, on_event: EventSink) -> dict[str, Any]:
        """The server exports and answers the archive (a layer is asked for as a second part: the
        export is warm by then); each is written here under the name the export gives it, and the
        summary is read from the pylock.toml of the one holding the packages, with no further call.
        The server's progress goes to its event stream, not here."""
        parts = ("function", "layer") if options.get("layer") else ("function",)
        files: list[Path] = []
        target, warnings = "", []
        for part in parts:
            destination = out_dir / export_file_name(name, options["to"], part)
            target, said = self._archive(name, {**options, "part": part}, destination)
            files.append(destination)
            warnings += [text for text in said if text not in warnings]
        packages = summary_of_archive(files[-1])
        return {"name": name, "target": target, "files": [str(path) for path in files],
                "packages": [asdict(package) for package in packages], "warnings": warnings}

    def _archive(self, name: str, body: dict[str, Any], destination: Path) -> tuple[str, list[str]]:
        """One archive of an export written to `destination` (whole, or not at all): its target and warnings."""
        with self._response("POST", f"lambdas/{_segment(name)}/export", body, f"{ARCHIVES}, {JSON}") as response:
            if response.status >= 400:
                raise error_from_json(response.status, _parse(response.read()))
            _save(response, destination)
            warnings = _parse(response.getheader(EXPORT_WARNINGS_HEADER, "[]").encode())
            return response.getheader(EXPORT_TARGET_HEADER, ""), [str(text) for text in warnings
                                                                  if isinstance(warnings, list)]

    def lambdas(self) -> list[dict[str, Any]]:
        return self._request("GET", "lambdas")["lambdas"]

    def describe(self, name: str) -> dict[str, Any]:
        return self._request("GET", f"lambdas/{_segment(name)}")

    def logs(self, name: str, limit: int) -> list[dict[str, Any]]:
        return self._request("GET", f"lambdas/{_segment(name)}/logs?limit={limit}")["logs"]

    def remove(self, name: str) -> None:
        self._request("DELETE", f"lambdas/{_segment(name)}")

    def packages(self) -> list[dict[str, Any]]:
        return self._request("GET", "packages")["packages"]

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        """One JSON round trip; an error status raises the engine's exception."""
        with self._response(method, path, body, JSON) as response:
            data = response.read()
        if response.status == 204:
            return None
        parsed = _parse(data)
        if response.status >= 400:
            raise error_from_json(response.status, parsed)
        return parsed

    def _text(self, method: str, path: str, body: Any = None) -> str:
        """A round trip whose answer is text (a pylock.toml); an error status raises the engine's exception."""
        with self._response(method, path, body, f"{TOML}, {JSON}") as response:
            data = response.read()
        if response.status >= 400:
            raise error_from_json(response.status, _parse(data))
        return data.decode("utf-8")

    def _stream(self, method: str, path: str, body: Any, on_event: EventSink) -> Any:
        """A long operation: its progress events go to `on_event`, then its result or error line."""
        outcome: dict[str, Any] = {}
        with self._response(method, path, body, NDJSON) as response:
            if response.status >= 400:  # refused before any work started
                raise error_from_json(response.status, _parse(response.read()))
            for raw in response:
                line = _parse(raw)
                if not isinstance(line, dict):
                    continue
                if "event" in line:
                    on_event(event_from_json(line["event"]))
                else:
                    outcome = line
        if "error" in outcome:
            raise error_from_json(response.status, outcome)
        if "result" not in outcome:
            raise ServerUnreachable(f"{self.where} ended its answer to {method} {path} before the result")
        return outcome["result"]

    @contextlib.contextmanager
    def _response(self, method: str, path: str, body: Any, accept: str) -> Iterator[http.client.HTTPResponse]:
        """The response on a pooled connection, which goes back to the pool once the body was read."""
        headers = {**self._headers, "Accept": accept}
        if body is not None:
            headers["Content-Type"] = JSON
            body = body if isinstance(body, str) else json.dumps(body)
        connection, response = self._send(method, self._prefix + path, body, headers)
        try:
            yield response
        except BaseException:
            connection.close()
            raise
        if response.isclosed() and not response.will_close:
            with self._lock:
                self._idle.append(connection)
        else:
            connection.close()

    def _send(self, method: str, url: str, body: str | None, headers: dict[str, str]
              ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        while True:
            with self._lock:
                reused = bool(self._idle)
                connection = self._idle.pop() if reused else self._connection_class(self._host, self._port)
            try:
                connection.request(method, url, body, headers)
                return connection, connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                if not (reused and isinstance(error, STALE_CONNECTION)):
                    raise ServerUnreachable(f"cannot reach {self.where}: {error}") from None


def _save(response: http.client.HTTPResponse, destination: Path) -> None:
    """The body into `destination` through a temporary name: a cut answer leaves no file behind."""
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as file:
            shutil.copyfileobj(response, file, CHUNK)
        os.replace(temporary, destination)
    except BaseException as error:
        with contextlib.suppress(OSError):  # e.g. the directory is a file: there is nothing to remove
            temporary.unlink()
        if isinstance(error, (ConnectionError, http.client.HTTPException)):
            raise ServerUnreachable(f"the export's answer broke off before its end: {error!r}") from None
        if isinstance(error, OSError):
            raise OLError(f"cannot write the export to {destination}: {error.strerror or error}") from None
        raise


def _segment(name: str) -> str:
    return quote(name, safe="")


def _parse(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")
