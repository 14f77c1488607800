"""`ol-notebook export NAME --to aws-lambda|openlambda`: a deployed lambda as a bundle for another engine.

Progress goes to stderr as a deploy's does; stdout gets the summary (what each package is, as which
wheel, and whether it was built), the files written and, for --upload, the registry's answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ol_notebook.cli.table import print_table
from ol_notebook.errors import OLError
from ol_notebook.export.model import ExportedPackage, ExportResult
from ol_notebook.export.openlambda import upload_openlambda
from ol_notebook.export.target import AWS_ARCHES, AWS_RUNTIMES, ENGINES
from ol_notebook.progress import ProgressPrinter
from ol_notebook.puller import PullEvent
from ol_notebook.sizes import format_size
from ol_notebook.worker import Worker

SUMMARY_COLUMNS = ("PACKAGE", "VERSION", "SIZE", "WHEEL TAGS", "BUILT")


def add_export_command(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export", help="write lambda NAME as an AWS Lambda zip or an OpenLambda tarball",
        description="Write a deployed lambda as a bundle for another engine. Its requirements are resolved "
        "again for the target's platform and Python (not this machine's): wheels only, an sdist built only "
        "into a pure-Python wheel; a package with no wheel for the target is an error naming it.")
    export.add_argument("name", metavar="NAME")
    export.add_argument("--to", required=True, choices=ENGINES, help="the engine the bundle is for")
    export.add_argument("--arch", choices=tuple(AWS_ARCHES),
                        help="aws-lambda: the function's architecture (default x86_64)")
    export.add_argument("--python", metavar="X.Y",
                        help=f"the target's Python: aws-lambda {', '.join(AWS_RUNTIMES)} (default 3.12), or a full "
                        "X.Y.Z; openlambda: its worker's Python (default the worker image's)")
    export.add_argument("--layer", action="store_true",
                        help="aws-lambda: put the packages in a separate layer zip (NAME-layer.zip, under python/)")
    export.add_argument("--version", dest="number", type=int, metavar="N",
                        help="a kept version of the lambda (default: the current one)")
    export.add_argument("-o", "--output", dest="out_dir", type=Path, default=Path("."), metavar="DIR",
                        help="the directory to write into (default: the current one)")
    export.add_argument("--upload", metavar="URL",
                        help="openlambda: then POST the tarball to this OpenLambda registry (a worker, e.g. "
                        "http://HOST:5000), as `ol admin install` does")
    export.set_defaults(run=cmd_export, lambda_command=True)


async def cmd_export(args: argparse.Namespace, worker: Worker) -> int:
    if args.upload and args.to != "openlambda":
        raise OLError("--upload is for --to openlambda: an AWS zip is deployed with the AWS CLI (see the README)")
    printer, warned = ProgressPrinter(sys.stderr), []

    def show(event: PullEvent) -> None:
        if event.kind == "warning":  # as it happens; the result's own warnings come again after the summary
            warned.append(event.message)
            print(f"warning: {event.message}", file=sys.stderr)
        else:
            printer(event)

    result = await worker.export(args.name, to=args.to, arch=args.arch or "x86_64", python=args.python,
                                 layer=args.layer, out_dir=args.out_dir, version=args.number, on_event=show)
    print_summary(result, warned)
    if args.upload:
        print(upload_openlambda(result.files[0], args.upload, result.name))
    return 0


def print_summary(result: ExportResult, warned: list[str]) -> None:
    """The packages as a table, then the files written, then the warnings not `warned` already (on stderr)."""
    total, count = sum(package.size for package in result.packages), len(result.packages)
    print(f"{result.name} for {result.target}: {count} package{'' if count == 1 else 's'}, {format_size(total)} "
          "unpacked")
    if result.packages:
        print_table(SUMMARY_COLUMNS, [summary_row(package) for package in result.packages])
    for path in result.files:
        print(f"wrote {path} ({format_size(path.stat().st_size)})")
    for warning in result.warnings:
        if warning not in warned:
            print(f"warning: {warning}", file=sys.stderr)


def summary_row(package: ExportedPackage) -> tuple[str, str, str, str, str]:
    return (package.name, package.version, format_size(package.size), package.tags, package.built or "-")
