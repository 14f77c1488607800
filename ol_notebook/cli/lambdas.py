"""The CLI's lambda commands: deploy, invoke, lambdas, logs, rm, rollback (over the Worker)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ol_notebook.cli.table import print_table
from ol_notebook.errors import OLError
from ol_notebook.lock import read_lock
from ol_notebook.progress import ProgressPrinter
from ol_notebook.puller import PullEvent
from ol_notebook.registry import LambdaSettings
from ol_notebook.runtime import LambdaRuntimeError
from ol_notebook.sizes import parse_size
from ol_notebook.worker import Worker


def add_lambda_commands(commands: argparse._SubParsersAction) -> None:
    deploy = commands.add_parser("deploy", help="deploy FILE (which defines f(event)) as lambda NAME")
    deploy.add_argument("name", metavar="NAME")
    deploy.add_argument("file", type=Path, metavar="FILE", help="Python file defining f(event)")
    deploy.add_argument("-r", "--requirement", dest="requirements_file", type=Path, metavar="FILE",
                        help="the lambda's requirements.in")
    deploy.add_argument("--requirements", default="", metavar="'REQ ...'",
                        help="requirements inline, space-separated (e.g. 'requests==2.20 numpy')")
    deploy.add_argument("--lock", type=Path, metavar="FILE",
                        help="deploy with exactly this PEP 751 lock's packages (pylock.toml): nothing is resolved; "
                        "the version records them as NAME==VERSION")
    deploy.add_argument("--timeout", dest="lambda_timeout", type=float, default=30.0, help="seconds per invocation")
    deploy.add_argument("--memory", dest="lambda_memory", type=parse_size, default=512 << 20,
                        help="memory of the lambda's sandbox, e.g. 512M (default)")
    deploy.add_argument("--processes", type=int, default=64, help="processes and threads at once (default 64)")
    network = deploy.add_mutually_exclusive_group()
    network.add_argument("--no-network", dest="network", action="store_const", const=False, default=True,
                         help="no network inside the lambda (default: internet, but not this machine)")
    network.add_argument("--host-network", dest="network", action="store_const", const="host",
                         help="share this machine's network, loopback services included (warns on every deploy)")
    deploy.add_argument("--env", action="append", default=[], metavar="K=V", help="environment variable (repeatable)")
    deploy.add_argument("--instances", type=int, default=4, help="concurrent workers (default 4)")
    deploy.add_argument("--auto-install", action="store_true",
                        help="add the distributions of modules the code imports that no requirement provides")
    deploy.add_argument("--force", action="store_true",
                        help="deploy a new version even if code, requirements, settings and pins are unchanged")
    deploy.set_defaults(run=cmd_deploy, lambda_command=True)

    invoke = commands.add_parser("invoke", help="invoke lambda NAME with a JSON event and print the JSON result")
    invoke.add_argument("name", metavar="NAME")
    invoke.add_argument("event", nargs="?", default="{}", metavar="EVENT_JSON",
                        help="the event (default {}; - reads it from stdin)")
    invoke.set_defaults(run=cmd_invoke, lambda_command=True)

    lambdas = commands.add_parser("lambdas", help="list deployed lambdas")
    lambdas.add_argument("--json", action="store_true", help="machine-readable output")
    lambdas.set_defaults(run=cmd_lambdas, lambda_command=True)

    logs = commands.add_parser("logs", help="recent invocations of lambda NAME")
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")
    logs.set_defaults(run=cmd_logs, lambda_command=True)

    remove = commands.add_parser("rm", help="remove lambda NAME (its packages stay until gc)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=cmd_rm, lambda_command=True)

    rollback = commands.add_parser("rollback", help="serve an earlier version of lambda NAME again")
    rollback.add_argument("name", metavar="NAME")
    rollback.add_argument("version", nargs="?", type=int,
                          help="version number (default: the one that was current before the present one)")
    rollback.set_defaults(run=cmd_rollback, lambda_command=True)


async def cmd_deploy(args: argparse.Namespace, worker: Worker) -> int:
    try:
        code = args.file.read_text(encoding="utf-8")
        requirements = args.requirements_file.read_text(encoding="utf-8") if args.requirements_file else ""
    except OSError as error:
        raise OLError(f"cannot read {error.filename}: {error.strerror}") from error
    requirements += "\n".join(args.requirements.split())
    settings = LambdaSettings(
        timeout=args.lambda_timeout, memory=args.lambda_memory, processes=args.processes,
        network=args.network, env=dict(_pair(item) for item in args.env), instances=args.instances,
        auto_install=args.auto_install,
    )
    printer = ProgressPrinter(sys.stderr)

    def show(event: PullEvent) -> None:
        if event.kind != "warning":  # the engine logs warnings, and main() prints its log
            printer(event)

    if args.lock:
        if requirements.strip() or args.auto_install:
            raise OLError("--lock deploys exactly the lock's packages: give no -r, --requirements or --auto-install "
                          "with it")
        deployment = await worker.deploy_from_lock(args.name, code, read_lock(args.lock), str(args.lock), settings,
                                                   on_event=show, force=args.force)
    else:
        deployment = await worker.deploy(args.name, code, requirements, settings, on_event=show, force=args.force)
    pins = ", ".join(pin.key for pin in deployment.closure.pins) or "no packages"
    print(f"{deployment.summary} ({pins})")
    return 0


async def cmd_invoke(args: argparse.Namespace, worker: Worker) -> int:
    text = sys.stdin.read() if args.event == "-" else args.event
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        raise OLError(f"the event is not valid JSON: {error}") from None
    try:
        result = await worker.invoke(args.name, event, _print_output)
    except LambdaRuntimeError as error:
        _show_failure(error)
        raise  # main() prints the one `error:` line last, and exits 1
    if result.auto_installed:
        print(f"added {', '.join(result.auto_installed)} to lambda {args.name} for an import of f, redeployed it "
              "and called it again", file=sys.stderr)
    print(json.dumps(result.value))
    return 0


def _print_output(stream: str, text: str) -> None:
    """What the lambda prints, on stderr as it prints it: stdout carries only the result."""
    sys.stderr.write(text)
    sys.stderr.flush()


def _show_failure(error: LambdaRuntimeError) -> None:
    """On stderr, after what the failed call printed (streamed already), the lambda's traceback
    (of the handler that raised, or of handler.py's import that failed)."""
    traceback = getattr(error, "traceback", "")
    if traceback:
        sys.stderr.write(traceback if traceback.endswith("\n") else traceback + "\n")


async def cmd_lambdas(args: argparse.Namespace, worker: Worker) -> int:
    described = worker.lambdas()
    if args.json:
        print(json.dumps(described, indent=1))
        return 0
    print_table(("NAME", "VERSION", "DEPLOYED", "PINS"), [
        (item["name"], str(item["version"]), item["created_at"], ", ".join(item["pins"]) or "-")
        for item in described
    ])
    print(f"{len(described)} lambdas in {worker.registry.root}", file=sys.stderr)
    return 0


async def cmd_logs(args: argparse.Namespace, worker: Worker) -> int:
    for record in worker.logs(args.name, args.lines):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.at))
        outcome = "ok" if record.ok else f"ERROR {record.error}"
        start = "cold" if record.cold else "warm"
        print(f"{when} v{record.version} {record.duration * 1000:8.2f} ms {start} {outcome}")
        for line in (record.stdout + record.stderr).splitlines():
            print(f"    | {line}")
    return 0


async def cmd_rm(args: argparse.Namespace, worker: Worker) -> int:
    await worker.remove(args.name)
    print(f"removed {args.name}; its packages stay in the store until `ol-notebook gc --delete`")
    return 0


async def cmd_rollback(args: argparse.Namespace, worker: Worker) -> int:
    print((await worker.rollback(args.name, args.version)).message)
    return 0


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise OLError(f"--env {text!r} is not KEY=VALUE")
    return key, value
