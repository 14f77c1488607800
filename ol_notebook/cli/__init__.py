"""`ol-notebook`: the command line over the same engine the Jupyter extension uses.

Layout: parser (the grammar: global options anywhere, the commands), packages (compile, pull,
packages, verify, gc over the PackageService), lambdas (deploy, invoke, lambdas, logs, rm,
rollback over the Worker), locks (lock, freeze over the Worker), export (export over the Worker),
table (the one way listings are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace

from ol_notebook.cli.parser import build_parser
from ol_notebook.errors import OLError
from ol_notebook.index import IndexConfig
from ol_notebook.packages import PackageService
from ol_notebook.runtime import LambdaCancelled
from ol_notebook.settings import Settings
from ol_notebook.worker import Worker


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The engine's warnings (a lambda on the host's network, unsafe mode) as one line each.
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    try:
        settings = _settings(args)
        if getattr(args, "lambda_command", False):
            return asyncio.run(_with_worker(args, settings))
        return args.run(args, PackageService(settings))
    except LambdaCancelled as error:  # Ctrl-C during a call: the engine cancelled it
        print(f"interrupted: {error}", file=sys.stderr)
        return 130
    except OLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-installed is visible in the store", file=sys.stderr)
        return 130


async def _with_worker(args: argparse.Namespace, settings: Settings) -> int:
    worker = Worker(settings)
    try:
        return await args.run(args, worker)
    finally:
        await worker.close()


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings with the options given (global ones may be absent: see parser)."""
    settings = Settings()
    given = vars(args)
    changes: dict = {}
    if given.get("store"):
        changes["store_dir"] = given["store"]
    if given.get("lambdas"):
        changes["registry_dir"] = given["lambdas"]
    if given.get("index_url") or given.get("mirror"):
        changes["index"] = IndexConfig.from_options(given.get("index_url"), given.get("mirror"))
    if given.get("bwrap"):
        changes["bwrap"] = given["bwrap"]
    if given.get("unsafe_no_sandbox"):
        changes["unsafe_no_sandbox"] = True
    limits = {key: given.get(key) for key in ("timeout", "memory", "disk")}
    if any(value is not None for value in limits.values()):
        chosen = {key: value for key, value in limits.items() if value is not None}
        changes["install_limits"] = replace(settings.install_limits, **chosen)
    if given.get("jobs"):
        changes["concurrency"] = given["jobs"]
    return replace(settings, **changes)


__all__ = ["build_parser", "main"]
