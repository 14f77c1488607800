"""A lambda as an OpenLambda registry entry: NAME.tar.gz, as `ol admin install DIR` uploads it.

OpenLambda (open-lambda/open-lambda, go/admin/commands.go and go/worker/lambda/lambdaFunction.go)
takes a gzipped tar of the function directory's regular files, named relative to it, by
`POST /registry/NAME` (Content-Type application/gzip, 201 Created). Its worker runs `f(event)`
from f.py, reads ol.yaml (triggers, environment; go/common/lambdaConfig.go) and installs
requirements.txt, which it reads ITSELF, one requirement per line: spaces removed, everything
after '#' dropped, each remaining line handed to `pip install --no-deps`. So a pip option line
(`--index-url URL`) or a `--hash` continuation line would reach pip as a package name and fail
the install; ours therefore pins one `NAME==VERSION` per line and keeps the index and each
file's sha256 in comments on the same lines. The archive's pylock.toml has the same pins with
every file's URL and hash, for pip/uv to install with hashes checked.

The archive: f.py (the lambda's code as written), requirements.in (its requirements),
requirements.txt (pinned for the target's Python), ol.yaml and pylock.toml.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from ol_notebook.export.archive import Member, write_tar_gz
from ol_notebook.export.contents import check_lambda, lambda_contents, publishing
from ol_notebook.export.lock import LOCK_NAME, target_lock
from ol_notebook.export.model import ExportCaches, ExportError, ExportResult
from ol_notebook.export.target import Target
from ol_notebook.index import IndexConfig
from ol_notebook.lock.freeze import simple_url
from ol_notebook.puller import EventSink
from ol_notebook.resolve import Closure
from ol_notebook.sandbox import Limits, Sandbox

# OpenLambda's worker reads this variable from ol.yaml to run another file than f.py.
_ENTRY_VARIABLE = "OL_ENTRY_FILE"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGISTRY_ANSWER_SHOWN = 500  # characters of a failing registry's body quoted in the error


def export_openlambda(name: str, code: str, requirements: Sequence[str], target: Target, *, out_dir: Path,
                      environment: Mapping[str, str], index: IndexConfig, sandbox: Sandbox, caches: ExportCaches,
                      limits: Limits, on_event: EventSink | None = None) -> ExportResult:
    """Write out_dir/NAME.tar.gz; everything is checked before anything is written."""
    if target.engine != "openlambda":
        raise ExportError(f"an OpenLambda registry entry needs an OpenLambda target, not {target.label}")
    check_lambda(name, code)
    for requirement in requirements:
        if "\n" in requirement or "\r" in requirement:
            raise ExportError(f"lambda {name!r}: the requirement {requirement!r} spans lines; give one per item")
    config = ol_yaml(name, environment)
    contents = lambda_contents(name, code, requirements, target, index=index, sandbox=sandbox, caches=caches,
                               limits=limits, on_event=on_event)
    files = [
        Member("f.py", data=code.encode("utf-8")),
        Member("ol.yaml", data=config.encode("utf-8")),
        Member(LOCK_NAME, data=target_lock(target, requirements, contents.packages).encode("utf-8")),
        Member("requirements.in", data="".join(f"{line}\n" for line in requirements).encode("utf-8")),
        Member("requirements.txt", data=pinned_requirements(contents.closure, target, index).encode("utf-8")),
    ]
    archive = f"{name}.tar.gz"
    with publishing(out_dir) as scratch:
        write_tar_gz(scratch / archive, files)
    return ExportResult(name=name, target=target.label, files=(out_dir / archive,),
                        packages=tuple(package.exported() for package in contents.packages))


def pinned_requirements(closure: Closure, target: Target, index: IndexConfig) -> str:
    """requirements.txt as OpenLambda's worker reads it (see the module's docstring): one pin per
    line; the index and the sha256 of every file the target may install in comments."""
    source = simple_url(index.label)
    option = f"--index-url {source}" if source else f"--no-index --find-links {index.label}"
    lines = [
        f"# {option}",
        f"# Pinned by ol-notebook for {target.label}.",
        "# OpenLambda reads one requirement per line and drops what follows '#': the index and the",
        "# files' hashes are comments; pylock.toml has the same pins with each file's URL and hash.",
    ]
    for pin in closure.pins:
        usable = [wheel.sha256 for wheel in pin.wheels if target.wheel_rank(wheel.filename) is not None]
        if not usable and pin.sdist is not None:
            usable = [pin.sdist.sha256]
        hashes = " ".join(f"--hash=sha256:{digest}" for digest in sorted(set(usable)))
        lines.append(f"{pin.name}=={pin.version}" + (f"  # {hashes}" if hashes else ""))
    return "\n".join(lines) + "\n"


def ol_yaml(name: str, environment: Mapping[str, str]) -> str:
    """ol.yaml: an HTTP trigger (POST, how events arrive) and the lambda's environment, every
    string double-quoted with everything but printable ASCII escaped, so no value can add a key."""
    lines = [f"# OpenLambda configuration of the ol-notebook lambda {name}", "triggers:", "  http:",
             '    - method: "POST"']
    if environment:
        lines.append("environment:")
    for key in sorted(environment):
        value = environment[key]
        if not isinstance(key, str) or not _ENV_NAME.fullmatch(key):
            raise ExportError(f"lambda {name!r}: environment variable name {key!r} is not allowed in ol.yaml: use "
                              "letters, digits and '_', not starting with a digit")
        if key == _ENTRY_VARIABLE:
            raise ExportError(f"lambda {name!r}: the environment sets {_ENTRY_VARIABLE}, which would make OpenLambda "
                              "run another file than the exported f.py; remove it")
        if not isinstance(value, str) or "\0" in value or not _encodable(value):
            raise ExportError(f"lambda {name!r}: environment variable {key} must be text without NUL characters "
                              "or lone surrogates")
        lines.append(f"  {_quoted(key)}: {_quoted(value)}")
    return "\n".join(lines) + "\n"


def upload_openlambda(archive: Path, registry_url: str, name: str, timeout: float = 60) -> str:
    """POST the archive to {registry_url}/registry/{name} as OpenLambda's `ol admin install` does;
    ExportError naming the URL, the status and the registry's answer unless it answers 201."""
    check_lambda(name)
    parts = urlsplit(registry_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExportError(f"the OpenLambda registry URL {registry_url!r} is not an http(s):// URL")
    url = f"{registry_url.rstrip('/')}/registry/{quote(name)}"
    try:
        body = archive.read_bytes()
    except OSError as error:
        raise ExportError(f"cannot read {archive} to upload it: {error.strerror}") from None
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/gzip"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, reason, answer = response.status, response.reason, response.read()
    except urllib.error.HTTPError as error:
        status, reason, answer = error.code, error.reason, error.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        why = getattr(error, "reason", None) or error
        raise ExportError(f"cannot upload {archive.name} to the OpenLambda registry at {url}: {why}") from None
    if status != 201:
        shown = answer.decode("utf-8", "replace").strip()[:_REGISTRY_ANSWER_SHOWN] or "(an empty body)"
        raise ExportError(f"the OpenLambda registry at {url} answered {status} {reason} to the upload of "
                          f"{archive.name}, not 201 Created: {shown}")
    return f"uploaded {archive.name} ({len(body):,} bytes) to {url}"


def _quoted(text: str) -> str:
    escaped = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            escaped.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            escaped.append(char)
        else:
            escaped.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return '"' + "".join(escaped) + '"'


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
