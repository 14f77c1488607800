"""The REST API's wire format: how engine results and errors look as JSON, and back.

The server serialises with these functions and the REST client (the magics) parses with
them, so both sides agree by construction. An error travels as
``{"error": {"type": ..., "message": ..., "details": {...}}}`` with an HTTP status chosen by
its type; the client rebuilds the same exception class where the engine has one, so a
notebook sees the same error whether it talks to a server or runs the engine itself.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ol_notebook.deployment import Deployment
from ol_notebook.errors import OLError
from ol_notebook.export.model import ExportError, ExportResult, MissingPackage, MissingPackages
from ol_notebook.index.config import IndexConfigError
from ol_notebook.lock import LockError
from ol_notebook.puller import EventSink, InstallError, PullError, PullEvent, PullReport
from ol_notebook.registry import InvalidLambda, InvalidSettings, LambdaSettings, RegistryError
from ol_notebook.resolve import (
    Closure,
    ClosureError,
    ConflictError,
    IndexUnreachable,
    InvalidRequirementError,
    PackageNotFound,
    ResolveError,
    VersionNotFound,
)
from ol_notebook.runtime import (
    EventTooLarge,
    InvalidEvent,
    Invocation,
    LambdaBusy,
    LambdaCancelled,
    LambdaCrashed,
    LambdaError,
    LambdaRuntimeError,
    LambdaSpecError,
    LambdaStartError,
    LambdaStopped,
    LambdaTimeout,
    OutputSink,
    ResultNotSerializable,
    ResultTooLarge,
)
from ol_notebook.sandbox import SandboxError, SandboxUnavailable
from ol_notebook.store import Corruption, Entry, GcReport, StoreError

API_PREFIX = "ol"
NDJSON = "application/x-ndjson"
# Where a kernel finds the API of the server that started it: the server sets these, the magics read them.
SERVER_URL_ENV = "OL_NOTEBOOK_SERVER_URL"
SERVER_TOKEN_ENV = "OL_NOTEBOOK_SERVER_TOKEN"
# An export answers its archive's bytes; what else it says travels in these headers.
EXPORT_TARGET_HEADER = "X-OL-Export-Target"  # the target's label
EXPORT_WARNINGS_HEADER = "X-OL-Export-Warnings"  # a JSON list of strings (ASCII: JSON escapes the rest)
EXPORT_MEDIA_TYPES = {".zip": "application/zip", ".tar.gz": "application/gzip"}


class BadRequest(OLError):
    """The request itself is malformed: not JSON, a missing or mistyped field."""


class APIError(OLError):
    """An error reported by the server whose type this client has no class for."""

    def __init__(self, type: str, message: str, status: int, details: dict[str, Any] | None = None):
        self.type, self.status, self.details = type, status, details or {}
        super().__init__(message)


# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (RegistryError, 404),
    (BadRequest, 400),
    (InvalidLambda, 400),
    (InvalidRequirementError, 400),
    (InvalidEvent, 400),
    (IndexConfigError, 400),
    (StoreError, 409),
    (LambdaSpecError, 400),
    (EventTooLarge, 413),
    (PackageNotFound, 422),
    (VersionNotFound, 422),
    (ConflictError, 422),
    (ClosureError, 422),
    (PullError, 422),
    (InstallError, 422),
    (LockError, 422),
    (ExportError, 422),  # MissingPackages included: each missing package in its details
    (LambdaBusy, 429),
    (LambdaCancelled, 499),
    (LambdaError, 500),
    (IndexUnreachable, 502),
    (ResolveError, 502),
    (LambdaCrashed, 502),
    (LambdaStartError, 502),
    (ResultTooLarge, 502),
    (ResultNotSerializable, 502),
    (LambdaStopped, 503),
    (SandboxUnavailable, 503),
    (LambdaTimeout, 504),
    (SandboxError, 500),
)

# Exceptions the client rebuilds as themselves: no constructor arguments beyond the message.
_PLAIN_ERRORS: dict[str, type[OLError]] = {
    cls.__name__: cls
    for cls in (RegistryError, BadRequest, InvalidLambda, InvalidSettings, InvalidRequirementError, IndexConfigError,
                PackageNotFound, VersionNotFound, ConflictError, ClosureError, InstallError, IndexUnreachable,
                ResolveError, SandboxUnavailable, LambdaSpecError, StoreError, LockError, ExportError)
}
_LAMBDA_ERRORS: dict[str, type[LambdaRuntimeError]] = {
    cls.__name__: cls
    for cls in (InvalidEvent, EventTooLarge, LambdaBusy, LambdaCancelled, LambdaCrashed, LambdaStartError,
                ResultTooLarge, ResultNotSerializable, LambdaStopped, LambdaTimeout)
}


def status_for(error: BaseException) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def error_to_json(error: BaseException) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if isinstance(error, LambdaRuntimeError):
        details.update({"lambda": error.lambda_name, "stdout": error.stdout, "stderr": error.stderr})
    if isinstance(error, LambdaError):
        details.update(type=error.type, message=error.message, traceback=error.traceback)
    elif isinstance(error, LambdaStartError):
        details.update(reason=error.reason, traceback=error.traceback)
    elif isinstance(error, PullError):
        details["failures"] = {key: str(failure) for key, failure in error.failures.items()}
    elif isinstance(error, MissingPackages):
        details.update(target=error.target, missing=[asdict(item) for item in error.missing])
    return {"error": {"type": type(error).__name__, "message": str(error), "details": details}}


def error_from_json(status: int, body: Any) -> OLError:
    """The exception an error response stands for, as close to the server's as this side can build."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return APIError("HTTPError", f"the ol-notebook server answered HTTP {status}: {body!r:.300}", status)
    kind, message, details = str(error.get("type")), str(error.get("message")), error.get("details") or {}
    name = details.get("lambda", "")
    if kind == "LambdaError":
        return LambdaError(name, details.get("type", "Exception"), details.get("message", ""),
                           details.get("traceback", ""), details.get("stdout", ""), details.get("stderr", ""))
    if kind == "LambdaStartError":
        return LambdaStartError(name, details.get("reason", message), details.get("traceback", ""))
    if kind in _LAMBDA_ERRORS:
        return _LAMBDA_ERRORS[kind].restored(name, message).with_output(details.get("stdout", ""),
                                                                       details.get("stderr", ""))
    if kind == "MissingPackages" and isinstance(details.get("missing"), list):
        return MissingPackages(str(details.get("target", "")), tuple(_missing(item) for item in details["missing"]))
    if kind in _PLAIN_ERRORS:
        return _PLAIN_ERRORS[kind](message)
    return APIError(kind, message, status, details)


def _missing(data: Any) -> MissingPackage:
    fields = data if isinstance(data, dict) else {}
    return MissingPackage(*(str(fields.get(key, "")) for key in ("name", "version", "reason", "hint")))


def lambda_settings_from_json(data: Any, defaults: LambdaSettings) -> LambdaSettings:
    """`defaults` with the fields `data` gives; LambdaSettings checks each (InvalidSettings names it)."""
    if data is None:
        return defaults
    if not isinstance(data, dict):
        raise BadRequest(f"lambda settings must be a JSON object, not {type(data).__name__}")
    return LambdaSettings.from_dict({**defaults.to_dict(), **data})


def deployed_to_json(deployment: Deployment, described: dict[str, Any]) -> dict[str, Any]:
    """The lambda as described after a deploy, and what the deploy did: `unchanged` (no version
    was created), `added` (distributions added for its imports), `missing` (imports still unprovided)."""
    return {**described, "unchanged": deployment.unchanged, "added": list(deployment.added),
            "missing": [asdict(item) for item in deployment.missing]}


def invocation_to_json(invocation: Invocation) -> dict[str, Any]:
    return {
        "result": invocation.value,
        "stdout": invocation.stdout,
        "stderr": invocation.stderr,
        "duration": invocation.duration,
        "cold": invocation.cold,
        "version": invocation.version,
        "auto_installed": list(invocation.auto_installed),
    }


def exported_to_json(result: ExportResult) -> dict[str, Any]:
    """What an export wrote (paths as strings) and the packages in it, as `summary_of_archive` reads them."""
    return {"name": result.name, "target": result.target, "files": [str(path) for path in result.files],
            "packages": [asdict(package) for package in result.packages], "warnings": list(result.warnings)}


def export_file_name(name: str, to: str, part: str = "function") -> str:
    """The name an export gives its archive (the REST client writes it under this name, and no other)."""
    if to == "openlambda":
        return f"{name}.tar.gz"
    return f"{name}-layer.zip" if part == "layer" else f"{name}.zip"


def export_media_type(filename: str) -> str:
    """The media type of an archive an export writes, by its name."""
    return next(media for suffix, media in EXPORT_MEDIA_TYPES.items() if filename.endswith(suffix))


def entry_to_json(entry: Entry) -> dict[str, Any]:
    return {"key": entry.key, **asdict(entry.metadata)}


def packages_to_json(entries: list[Entry], users: dict[str, list[str]]) -> dict[str, Any]:
    """The store's entries, each with the lambdas that use it, and their total size."""
    return {"packages": [{**entry_to_json(entry), "used_by": users.get(entry.key, [])} for entry in entries],
            "total_size": sum(entry.metadata.size for entry in entries)}


def compiled_to_json(closure: Closure) -> dict[str, Any]:
    return {"closure": asdict(closure), "requirements_txt": closure.to_requirements_txt()}


def pulled_to_json(closure: Closure, report: PullReport) -> dict[str, Any]:
    """`installed`: pulled now; `hits`: already in the store; `packages`: every entry of the closure."""
    return {"closure": asdict(closure), "installed": report.installed, "hits": report.hits,
            "seconds": report.seconds, "packages": [entry_to_json(entry) for entry in report.entries.values()]}


def corruptions_to_json(corruptions: list[Corruption]) -> dict[str, Any]:
    return {"ok": not corruptions,
            "corrupt": [{"key": item.key, "problems": list(item.problems)} for item in corruptions]}


def gc_report_to_json(report: GcReport) -> dict[str, Any]:
    return asdict(report)


def event_to_json(event: PullEvent, operation: str = "") -> dict[str, Any]:
    return {"operation": operation, **asdict(event)}


def output_events(name: str, on_event: EventSink) -> OutputSink:
    """Lambda `name`'s output as events: of kind "stdout" or "stderr", keyed by its name."""
    return lambda stream, text: on_event(PullEvent(stream, name, message=text))


def event_from_json(data: dict[str, Any]) -> PullEvent:
    known = PullEvent.__dataclass_fields__
    return PullEvent(**{key: value for key, value in data.items() if key in known})
