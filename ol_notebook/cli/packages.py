"""The CLI's package commands: compile, pull, packages, verify, gc (over the PackageService)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from ol_notebook.cli.table import print_table
from ol_notebook.errors import OLError
from ol_notebook.lock import read_lock
from ol_notebook.packages import PackageService
from ol_notebook.progress import ProgressPrinter
from ol_notebook.resolve import Closure, parse_requirements, read_requirements_file
from ol_notebook.sizes import format_size, parse_size
from ol_notebook.store import entry_key


def add_package_commands(commands: argparse._SubParsersAction) -> None:
    def with_requirements(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("requirements", nargs="*", metavar="REQUIREMENT",
                         help="PEP 508 requirement, e.g. requests==2.20")
        sub.add_argument("-r", "--requirement", dest="files", action="append", type=Path, default=[],
                         metavar="FILE", help="read requirements from a requirements.in file (repeatable)")

    compile_ = commands.add_parser("compile", help="resolve requirements to a pinned, hashed closure")
    with_requirements(compile_)
    compile_.add_argument("-o", "--output", type=Path,
                          help="write here (.json: the closure; else hashed requirements.txt)")
    compile_.set_defaults(run=cmd_compile)

    pull = commands.add_parser("pull", help="compile, then install every missing package of the closure into the store")
    with_requirements(pull)
    pull.add_argument("--closure", type=Path, help="pull a closure written by `compile -o X.json` instead of compiling")
    pull.add_argument("--lock", type=Path, metavar="FILE",
                      help="install a PEP 751 lock (pylock.toml, e.g. from uv or pip) instead of compiling: "
                      "nothing is resolved, each file is checked against the lock's sha256 and size")
    pull.add_argument("--root", help="keep these packages on `gc` under this name")
    pull.add_argument("--jobs", type=int, help="downloads and sdist builds at once (default: 2 x cores, 2 to 8)")
    pull.add_argument("--timeout", type=float, help="seconds per install (default 900)")
    pull.add_argument("--memory", type=parse_size, help="memory per install, e.g. 2G (default 4G)")
    pull.add_argument("--disk", type=parse_size, help="disk per install, e.g. 500M (default 8G)")
    pull.set_defaults(run=cmd_pull)

    packages = commands.add_parser("packages", help="list the store's packages")
    packages.add_argument("--json", action="store_true", help="machine-readable output")
    packages.set_defaults(run=cmd_packages)

    verify = commands.add_parser("verify", help="re-hash every installed file against its RECORD")
    verify.set_defaults(run=cmd_verify)

    gc = commands.add_parser("gc", help="remove packages that no root or lock references (dry run by default)")
    gc.add_argument("--delete", action="store_true", help="really delete (default: only show)")
    gc.add_argument("--keep-lock", action="append", type=Path, default=[], metavar="FILE",
                    help="also keep what this compiled requirements.txt pins (repeatable)")
    gc.add_argument("--forget-root", action="append", default=[], metavar="NAME",
                    help="first drop this root (made by `pull --root NAME`), so its packages can go (repeatable)")
    gc.set_defaults(run=cmd_gc)


def _requirements(args: argparse.Namespace) -> list:
    found = parse_requirements(args.requirements, source="command line")
    for path in args.files:
        found += read_requirements_file(path)
    if not found:
        raise OLError("no requirements: give some (e.g. requests==2.20) or -r requirements.in")
    return found


def cmd_compile(args: argparse.Namespace, service: PackageService) -> int:
    closure = service.compile(_requirements(args))
    text = closure.to_json() + "\n" if args.output and args.output.suffix == ".json" else closure.to_requirements_txt()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(closure.pins)} pins to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_pull(args: argparse.Namespace, service: PackageService) -> int:
    printer = ProgressPrinter(sys.stderr)
    if args.lock:
        if args.closure or args.requirements or args.files:
            raise OLError("--lock installs exactly the lock's packages: give no requirements, -r or --closure with it")
        closure = service.closure_from_lock(read_lock(args.lock), str(args.lock), printer)
    elif args.closure:
        closure = Closure.from_json(args.closure.read_text(encoding="utf-8"))
    else:
        closure = service.compile(_requirements(args))
    report = service.pull(closure, on_event=printer, root=args.root)
    total = sum(entry.metadata.size for entry in report.entries.values())
    print(
        f"{len(closure.pins)} packages ready in {service.store.root} ({format_size(total)}): "
        f"{len(report.installed)} installed, {len(report.hits)} already there, {report.seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


def cmd_packages(args: argparse.Namespace, service: PackageService) -> int:
    entries = service.packages()
    if args.json:
        print(json.dumps([asdict(entry.metadata) for entry in entries], indent=1))
        return 0
    print_table(("NAME", "VERSION", "SIZE", "IMPORT NAMES", "INDEX"), [
        (e.metadata.name, e.metadata.version, format_size(e.metadata.size), ", ".join(e.metadata.import_names) or "-",
         e.metadata.index)
        for e in entries
    ])
    print(f"{len(entries)} packages in {service.store.runtime_dir}", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace, service: PackageService) -> int:
    corrupt = service.verify()
    for item in corrupt:
        print(f"CORRUPT {item.key}: " + "; ".join(item.problems[:5]))
    count = len(service.store.entries())
    advice = " (remove them with `gc --delete`, then pull again)" if corrupt else ""
    print(f"verified {count} packages: {len(corrupt)} corrupt{advice}")
    return 1 if corrupt else 0


def cmd_gc(args: argparse.Namespace, service: PackageService) -> int:
    for name in args.forget_root:
        service.store.remove_root(name)
    keep = set()
    for path in args.keep_lock:
        keep |= {entry_key(req.name, _pinned_version(req, path)) for req in read_requirements_file(path)}
    report = service.gc(keep, delete=args.delete)
    verb = "removed" if args.delete else "would remove"
    for key in report.removed:
        print(f"{verb} {key}")
    print(f"{verb} {len(report.removed)} packages ({format_size(report.freed_bytes)}), kept {len(report.kept)}"
          + ("" if args.delete else "; run with --delete to delete"))
    return 0


def _pinned_version(requirement, path: Path) -> str:
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==":
        raise OLError(f"{path}: {requirement} is not pinned with ==; give a compiled requirements.txt")
    return specifiers[0].version
