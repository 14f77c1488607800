"""A lambda as an AWS Lambda deployment: NAME.zip, and with a layer NAME-layer.zip.

The function zip holds `lambda_function.py` (AWS's default handler, `lambda_function.lambda_handler`),
which calls the lambda's `f(event)` from HANDLER_MODULE, a module holding the lambda's code as
written; and, without a layer, every package at the top level (AWS puts /var/task on sys.path).
A layer zip holds the packages under `python/` (layers unpack into /opt, and /opt/python is on
sys.path). Each zip carries the pylock.toml of exactly what it holds (the function zip's lists no
packages when they are in the layer), so what was deployed can always be read back.

The lambda's code goes into its own module, never into lambda_function.py, which only the
lambda's (validated) name varies: no code or name can change what the entry point does. A
package providing either module, or writing pylock.toml, is refused by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ol_notebook.export.archive import Member, write_zip
from ol_notebook.export.checks import (
    AWS_DIRECT_UPLOAD_LIMIT,
    AWS_UNZIPPED_LIMIT,
    check_no_overlap,
    check_unpacked_size,
    upload_warning,
)
from ol_notebook.export.contents import lambda_contents, publishing
from ol_notebook.export.lock import LOCK_NAME, target_lock
from ol_notebook.export.model import ExportCaches, ExportError, ExportResult
from ol_notebook.export.target import Target
from ol_notebook.export.unpack import PackageFiles
from ol_notebook.index import IndexConfig
from ol_notebook.puller import EventSink, PullEvent
from ol_notebook.sandbox import Limits, Sandbox

ENTRY_MODULE = "lambda_function"
# The lambda's code. A leading underscore and our name: no published distribution ships it, and
# check_no_overlap refuses one that does.
HANDLER_MODULE = "_ol_notebook_lambda"
LAYER_PREFIX = "python/"
RESERVED = {
    f"{ENTRY_MODULE}.py": "the handler AWS Lambda calls",
    f"{HANDLER_MODULE}.py": "the lambda's code",
    LOCK_NAME: "the bundle's lock",
}


def entry_point(name: str) -> str:
    """lambda_function.py for the lambda `name` (validated: letters, digits, '_' and '-')."""
    return (
        f'"""AWS Lambda\'s entry point for the ol-notebook lambda {name}.\n\n'
        f"AWS calls {ENTRY_MODULE}.lambda_handler(event, context); the lambda's code is the module\n"
        f"{HANDLER_MODULE}, whose f(event) takes the event (it takes no context, as in the notebook).\n"
        '"""\n\n'
        f"from {HANDLER_MODULE} import f\n\n\n"
        "def lambda_handler(event, context):\n"
        "    return f(event)\n"
    )


def export_aws(name: str, code: str, requirements: Sequence[str], target: Target, *, out_dir: Path, layer: bool,
               index: IndexConfig, sandbox: Sandbox, caches: ExportCaches, limits: Limits,
               on_event: EventSink | None = None, unzipped_limit: int = AWS_UNZIPPED_LIMIT,
               upload_limit: int = AWS_DIRECT_UPLOAD_LIMIT) -> ExportResult:
    """Write out_dir/NAME.zip (and with `layer` out_dir/NAME-layer.zip); ExportResult.files in that
    order. Everything is checked before anything is written; ExportError names what is wrong."""
    if target.engine != "aws-lambda":
        raise ExportError(f"an AWS Lambda bundle needs an AWS Lambda target, not {target.label}")
    contents = lambda_contents(name, code, requirements, target, index=index, sandbox=sandbox, caches=caches,
                               limits=limits, on_event=on_event)
    packages = contents.packages
    check_no_overlap(packages, RESERVED)
    lock = Member(LOCK_NAME, data=target_lock(target, requirements, packages).encode("utf-8"))
    function = [
        Member(f"{ENTRY_MODULE}.py", data=entry_point(name).encode("utf-8")),
        Member(f"{HANDLER_MODULE}.py", data=code.encode("utf-8")),
    ]
    if layer:  # the function zip's lock lists no packages: they are in the layer
        archives = {f"{name}.zip": [*function, Member(LOCK_NAME, data=target_lock(target, requirements, [])
                                                      .encode("utf-8"))],
                    f"{name}-layer.zip": [*_installed(packages, LAYER_PREFIX), lock]}
    else:
        archives = {f"{name}.zip": [*function, *_installed(packages, ""), lock]}
    own = sum(member.size for members in archives.values() for member in members if member.source is None)
    check_unpacked_size(packages, own, unzipped_limit, "AWS Lambda's unzipped limit for a function and its layers")
    with publishing(out_dir) as scratch:
        for archive, members in archives.items():
            write_zip(scratch / archive, members)
        warnings = tuple(warning for archive in archives
                         if (warning := upload_warning(scratch / archive, upload_limit, layer)) is not None)
    for warning in warnings:
        if on_event is not None:
            on_event(PullEvent("warning", name, message=warning))
    return ExportResult(name=name, target=target.label, files=tuple(out_dir / archive for archive in archives),
                        packages=tuple(package.exported() for package in packages), warnings=warnings)


def _installed(packages: Sequence[PackageFiles], prefix: str) -> list[Member]:
    """Every package's members under `prefix`; a file two packages ship alike goes in once
    (check_no_overlap refused those that differ)."""
    seen: dict[str, Member] = {}
    for package in packages:
        for member in package.under(prefix):
            seen.setdefault(member.name, member)
    return list(seen.values())
