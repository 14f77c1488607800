"""`ol-notebook mirror DIR (--lock FILE... | REQUIREMENT...)`: a private mirror built from locks."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from ol_notebook.errors import OLError
from ol_notebook.lock import read_lock, refuse_direct_references, uv_version
from ol_notebook.mirror import (
    WantedFile,
    build_mirror,
    verify_mirror,
    wanted_from_closure,
    wanted_from_lock,
    write_relocked,
)
from ol_notebook.packages import PackageService
from ol_notebook.progress import ProgressPrinter
from ol_notebook.resolve import parse_requirements

Relock = tuple[Path, dict[str, Any], str | None]  # a lock to write as DIR/<its name>: its data, where it came from
LOCK_NAME = "pylock.toml"  # the lock of `mirror DIR REQUIREMENT...`, written as DIR/pylock.toml

DESCRIPTION = """\
Download every file the locks list (all their wheels and sdists, for every environment
they serve), check each sha256 and size, and lay them out as a bandersnatch mirror in DIR:
DIR/web/simple/ (PEP 503 and PEP 691 pages) and DIR/web/packages/ (the files). Adding a
lock adds files; a file already there with the right hash is kept, never rewritten. Each
lock is also written as DIR/<its file name>, every file in it a path inside DIR.
With --only-runtime, only the file of each package this machine's runtime installs.
With requirements instead of locks, they are compiled and pulled as `ol-notebook lock`
does, every file of the closure is mirrored, and their lock is written as DIR/pylock.toml.

Then, with no network: ol-notebook --mirror DIR pull|compile|deploy ...,
or pip/uv with --index-url file://DIR/web/simple. There, `mirror DIR --verify`
re-hashes every file the pages list."""


def add_mirror_command(commands: argparse._SubParsersAction) -> None:
    mirror = commands.add_parser(
        "mirror",
        help="download exactly the files of locks (or of requirements) into a bandersnatch mirror directory",
        description=DESCRIPTION,
    )
    mirror.add_argument("directory", type=Path, metavar="DIR", help="the mirror directory (created if missing)")
    mirror.add_argument("requirements", nargs="*", metavar="REQUIREMENT",
                        help="instead of locks: compile these on the configured index and mirror the closure")
    mirror.add_argument("--lock", dest="locks", action="append", type=Path, default=[], metavar="FILE",
                        help="a PEP 751 lock (pylock.toml, pylock.NAME.toml) whose files to mirror (repeatable)")
    mirror.add_argument("--only-runtime", action="store_true",
                        help="with --lock: only the file of each package this machine's runtime installs "
                        "(default: every file the locks list, for every environment they serve)")
    mirror.add_argument("--verify", action="store_true",
                        help="download nothing: re-hash every file the mirror's pages list, and name each one "
                        "missing or changed (exit 1 if any)")
    mirror.set_defaults(run=cmd_mirror)


def cmd_mirror(args: argparse.Namespace, service: PackageService) -> int:
    index = service.settings.index
    if args.verify:
        return _verify(args)
    if args.locks and args.requirements:
        raise OLError("give either --lock FILE... or requirements, not both: a lock already pins what to mirror")
    if args.locks:
        names = [path.name for path in args.locks]
        if twice := sorted({name for name in names if names.count(name) > 1}):
            raise OLError(f"two locks named {twice[0]}: each is rewritten as DIR/<its name>, so rename one "
                          "(pylock.NAME.toml): a second lock of one name replaces the first in DIR")
        only = service.runtime if args.only_runtime else None
        locks = [(path, read_lock(path)) for path in args.locks]
        wanted = [file for path, lock in locks for file in wanted_from_lock(lock, path, index, only)]
        relocks = [(path, tomllib.loads(path.read_text(encoding="utf-8")), None) for path in args.locks]
    elif args.requirements:
        if args.only_runtime:
            raise OLError("--only-runtime chooses among a lock's files: with requirements, the closure is compiled "
                          "for this runtime already")
        wanted, relocks = _requirements_locked(args.requirements, service)
    else:
        raise OLError("nothing to mirror: give --lock pylock.toml (repeatable) or requirements, e.g. requests==2.32")
    report = build_mirror(args.directory, wanted)
    for file, found in report.repaired:
        print(f"warning: {file.filename} in the mirror had changed since it was mirrored (sha256 {found}, "
              f"not {file.sha256}): replaced by a verified download", file=sys.stderr)
    mirrored = {file.filename for file in wanted}
    for path, data, source in relocks:
        print(f"wrote {write_relocked(report.root, path, data, mirrored, source)}", file=sys.stderr)
    print(f"mirrored {len(report.added) + len(report.kept) + len(report.repaired)} files of "
          f"{len(report.projects)} projects into {report.root}: {len(report.added)} downloaded, "
          f"{len(report.kept)} already there, {len(report.repaired)} replaced; "
          f"use it with --mirror {report.root}", file=sys.stderr)
    return 0


def _requirements_locked(requirements: list[str], service: PackageService
                         ) -> tuple[list[WantedFile], list[Relock]]:
    """Every file of the compiled closure, and its lock (as `ol-notebook lock` writes it: compiled,
    pulled, then locked from what the store installed), which the mirror rewrites as DIR/pylock.toml."""
    parsed = parse_requirements(requirements, source="command line")
    refuse_direct_references(parsed)
    closure = service.compile(parsed)
    service.pull(closure, ProgressPrinter(sys.stderr))
    lock = tomllib.loads(service.lock(closure, uv_version()))
    return wanted_from_closure(closure, service.settings.index), [(Path(LOCK_NAME), lock, _source(requirements))]


def _source(requirements: list[str]) -> str:
    return "the requirements " + " ".join(requirements)


def _verify(args: argparse.Namespace) -> int:
    if args.locks or args.requirements:
        raise OLError("--verify checks the mirror as it is: give no --lock or requirements with it")
    checked, damaged = verify_mirror(args.directory)
    for damage in damaged:
        print(f"DAMAGED {damage.project} {damage.filename}: {damage.problem}")
    advice = " (mirror the locks they came from again to replace them)" if damaged else ""
    print(f"verified {checked} files of {args.directory.resolve()}: {len(damaged)} damaged{advice}")
    return 1 if damaged else 0
