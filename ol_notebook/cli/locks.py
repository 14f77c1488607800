"""The CLI's lock commands: lock (requirements to a PEP 751 pylock.toml) and freeze (the lock a
lambda version runs), over the Worker. The lock goes to stdout, or whole to -o FILE."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ol_notebook.cli.packages import _requirements as requirements_given
from ol_notebook.lock import check_lock_path, write_lock_file, written
from ol_notebook.progress import ProgressPrinter
from ol_notebook.worker import Worker

OUTPUT_HELP = "write the lock here (named pylock.toml or pylock.NAME.toml, as PEP 751 says; default: stdout)"


def add_lock_commands(commands: argparse._SubParsersAction) -> None:
    lock = commands.add_parser("lock", help="compile and pull requirements, then write their PEP 751 lock "
                               "(pylock.toml: each file's index, URL and sha256, and its import names)")
    lock.add_argument("requirements", nargs="*", metavar="REQUIREMENT", help="PEP 508 requirement, e.g. alpha==1.0")
    lock.add_argument("-r", "--requirement", dest="files", action="append", type=Path, default=[],
                      metavar="FILE", help="read requirements from a requirements.in file (repeatable)")
    lock.add_argument("-o", "--output", type=Path, metavar="FILE", help=OUTPUT_HELP)
    lock.set_defaults(run=cmd_lock, lambda_command=True)

    freeze = commands.add_parser("freeze", help="the PEP 751 lock of exactly what lambda NAME runs")
    freeze.add_argument("name", metavar="NAME")
    freeze.add_argument("--version", dest="number", type=int, metavar="N",
                        help="a kept version of it (default: the current one)")
    freeze.add_argument("-o", "--output", type=Path, metavar="FILE", help=OUTPUT_HELP)
    freeze.set_defaults(run=cmd_freeze, lambda_command=True)


async def cmd_lock(args: argparse.Namespace, worker: Worker) -> int:
    if args.output:
        check_lock_path(args.output)  # before any work
    requirements = "\n".join(str(requirement) for requirement in requirements_given(args))
    text = await worker.lock(requirements, source="command line", on_event=ProgressPrinter(sys.stderr))
    _emit(text, args.output)
    return 0


async def cmd_freeze(args: argparse.Namespace, worker: Worker) -> int:
    if args.output:
        check_lock_path(args.output)
    _emit(await worker.freeze(args.name, args.number), args.output)
    return 0


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    write_lock_file(output, text)
    print(written(text, output), file=sys.stderr)
