"""The magics: declare the notebook's requirements, deploy cells as lambdas, get their handles, look at them.

Each magic parses its line, calls the client, and returns something that displays itself
(a table, a handle), so its result is also a value (`table = %ol_lambdas`). Engine errors
are shown by their message, never with the frames of this module.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ol_notebook.errors import OLError
from ol_notebook.export.target import AWS_ARCHES
from ol_notebook.export.target import ENGINES as EXPORT_ENGINES
from ol_notebook.lock import check_lock_path, read_lock, write_lock_file, written
from ol_notebook.magics.client import Client, connect
from ol_notebook.magics.errors import MagicError, rendered, shows_errors
from ol_notebook.magics.export import ExportView, export_lambda
from ol_notebook.magics.handle import LambdaHandle
from ol_notebook.magics.lambdas import Binding, Lambdas, bind, described
from ol_notebook.magics.progress import LiveProgress
from ol_notebook.magics.script import check_python, read_script_metadata
from ol_notebook.magics.views import (
    InvocationRecord,
    LockText,
    Table,
    declared_table,
    full_record,
    lambdas_table,
    logs_table,
    packages_table,
    pulled_table,
)
from ol_notebook.registry import validate_code, validate_name
from ol_notebook.resolve import read_requirements_file
from ol_notebook.sizes import parse_size

# The body of a cell magic starts below its `%%ol_lambda` line: body line 1 is cell line 2.
CELL_LINE_OFFSET = 1
AUTO_INSTALL_ON = ("auto-install is on: lambdas deployed from cells from now on get the packages of what they "
                   "import added to their requirements")


@magics_class
class OLMagics(Magics):
    def __init__(self, shell: Any):
        super().__init__(shell)
        self.requirements: list[str] = []  # the notebook's, as last pulled by %ol_requirements
        self.auto_install = False  # %ol_requirements --auto-install: cells deployed afterwards install imports
        self.lock: Lock | None = None  # %ol_requirements --lock FILE: what cells without their own get
        self._client: Client | None = None
        self._from_cells: set[str] = set()  # lambdas deployed from cells of this session
        self.lambdas = Lambdas(lambda: (self.client, self.handle))

    @property
    def client(self) -> Client:
        """Connected on first use, so `%load_ext` is instant and reads the environment of that moment."""
        if self._client is None:
            self._client = connect()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("requirements", nargs="*", metavar="REQUIREMENT",
              help="PEP 508 requirements, quoted like in a shell: requests==2.20 'numpy<2.2'")
    @argument("-r", "--requirement", dest="files", action="append", default=[], metavar="FILE",
              help="also read requirements from this requirements.in file (repeatable)")
    @argument("--add", action="store_true",
              help="add to the current requirements (replacing any for the same package) instead of replacing them")
    @argument("--show", action="store_true", help="show the current requirements; compile and pull nothing")
    @argument("--auto-install", action="store_true",
              help="lambdas deployed from cells from now on get the packages of what they import added "
                   "(like %%%%ol_lambda NAME --auto-install)")
    @argument("--lock", metavar="FILE",
              help="the notebook's packages are exactly this PEP 751 lock's (pylock.toml): pulled without "
                   "resolving, and cells without requirements of their own are deployed from it")
    @line_magic
    @shows_errors
    def ol_requirements(self, line: str) -> Table | None:
        """Declare the notebook's requirements: lambdas get them unless they declare their own.

        Compiles them to a pinned closure, pulls what the store lacks (with live progress), and
        shows every pinned package, already in the store or pulled now. Without requirements,
        like --show. With --auto-install, every %%ol_lambda cell deployed afterwards in this
        session also gets the distributions of the modules it imports that no package provides.
        """
        args = _parse(self.ol_requirements, line)
        if args is None:
            return None
        given = [*args.requirements, *(str(req) for path in args.files for req in read_requirements_file(Path(path)))]
        if args.auto_install:
            self.auto_install = True
            print(AUTO_INSTALL_ON)
        if args.lock is not None:
            if given or args.add or args.show:
                raise UsageError("--lock takes exactly the lock's packages: give no requirements, -r, --add or --show")
            return self._pull_lock(Lock.read(args.lock))
        if args.show or not given:
            if given:
                raise UsageError("--show takes no requirements: it shows the current ones")
            return declared_table(self.requirements)
        wanted = _merged(self.requirements, given) if args.add else given
        with LiveProgress(f"Pulling {' '.join(wanted)}") as progress:
            pulled = self.client.pull("\n".join(wanted), progress)
            progress.finish(f"{len(pulled['installed'])} pulled, {len(pulled['hits'])} already in the store")
        self.requirements, self.lock = wanted, None
        return pulled_table(wanted, pulled)

    def _pull_lock(self, lock: Lock) -> Table:
        with LiveProgress(f"Pulling the lock {lock.source}") as progress:
            pulled = self.client.pull_lock(lock.text, lock.source, progress)
            progress.finish(f"{len(pulled['installed'])} pulled, {len(pulled['hits'])} already in the store")
        self.requirements, self.lock = list(pulled["closure"]["requirements"]), lock
        return pulled_table(self.requirements, pulled)

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the lambda's name, and the variable of its handle ('-' becomes '_')")
    @argument("--timeout", type=float, help="seconds per invocation (default 30)")
    @argument("--memory", type=parse_size, help="memory of its sandbox, e.g. 512M (the default)")
    @argument("--no-network", action="store_true", help="no network inside the lambda")
    @argument("--host-network", action="store_true",
              help="share this machine's network, kernels' ports included (warns on every deploy)")
    @argument("--env", action="append", default=[], metavar="K=V", help="an environment variable (repeatable)")
    @argument("--requirements", metavar="'REQ ...'",
              help="this lambda's requirements instead of the notebook's, e.g. --requirements 'alpha==1.0 beta'")
    @argument("--instances", type=int, help="workers at once (default 4); more callers wait in a queue")
    @argument("--auto-install", action="store_true",
              help="add the distributions of the modules it imports that no package provides to its requirements")
    @argument("--force", action="store_true",
              help="deploy a new version even if code, requirements, settings and pins are unchanged")
    @argument("--lock", metavar="FILE",
              help="deploy with exactly this PEP 751 lock's packages (pylock.toml), nothing resolved; the "
                   "version records them as NAME==VERSION")
    @cell_magic
    @shows_errors
    def ol_lambda(self, line: str, cell: str) -> LambdaHandle | None:
        """Deploy the cell, which defines f(event), as a lambda, and put its handle in a variable.

        It gets the notebook's requirements (%ol_requirements), unless --requirements or a PEP 723
        block at the top of the cell (`# /// script` ... `dependencies = [...]` ... `# ///`) says otherwise.
        Then `NAME(event)` invokes it and returns its result.
        """
        args = _parse(self.ol_lambda, line)
        if args is None:
            return None
        name = validate_name(args.name)
        validate_code(cell, name, line_offset=CELL_LINE_OFFSET)
        lock = self._lambda_lock(name, cell, args)
        requirements = [] if lock else self._lambda_requirements(name, cell, args.requirements)
        settings = _settings(args)
        if self.auto_install and not lock:
            settings["auto_install"] = True
        with LiveProgress(f"Deploying {name}" + (f" from the lock {lock.source}" if lock else "")) as progress:
            try:
                if lock:
                    deployed = self.client.deploy_lock(name, cell, lock.text, lock.source, settings, progress,
                                                       force=args.force)
                else:
                    deployed = self.client.deploy(name, cell, "\n".join(requirements), settings, progress,
                                                  force=args.force)
            except OLError as error:  # e.g. its import failed: the traceback is in the cell's lines
                raise rendered(error, CELL_LINE_OFFSET) from None
            # The handle shown below says the version; what it cannot say (unchanged, added) stays up.
            progress.finish(_deployed(deployed), keep=bool(deployed.get("unchanged") or deployed.get("added")))
        self._from_cells.add(name)
        return self._bound(self.handle(name))

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the lambda to invoke")
    @argument("event", nargs="?", metavar="EVENT_JSON", help="the event: the rest of the line, as JSON (default {})")
    @line_magic
    @no_var_expand
    @shows_errors
    def ol_invoke(self, line: str) -> Any:
        """Invoke a lambda with a JSON event and return its result; what it prints is shown too."""
        name, _, text = line.strip().partition(" ")
        if not name or name.startswith("-"):  # only the name (or --help) is read like arguments
            _parse(self.ol_invoke, name)
            return None
        try:
            event = json.loads(text.strip() or "{}")
        except json.JSONDecodeError as error:
            raise MagicError(f"the event for lambda {name!r} is not valid JSON: {error}: {text.strip()}") from None
        return self.handle(name)(event)

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the deployed lambda")
    @line_magic
    @shows_errors
    def ol_handle(self, line: str) -> LambdaHandle | None:
        """Get the handle of a deployed lambda without deploying it again (e.g. after a kernel restart),
        and put it in its variable ('-' becomes '_'), like %%ol_lambda does."""
        args = _parse(self.ol_handle, line)
        if args is None:
            return None
        return self._bound(self.lambdas[args.name])

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("--bind", action="store_true",
              help="put every lambda's handle in its variable (after a kernel restart), except where the "
                   "variable holds something else")
    @line_magic
    @shows_errors
    def ol_lambdas(self, line: str) -> Table | None:
        """The deployed lambdas: version, pins, state, latency."""
        args = _parse(self.ol_lambdas, line)
        if args is None:
            return None
        lambdas = self.client.lambdas()
        if args.bind:
            self._bind_all([item["name"] for item in lambdas])
        return lambdas_table(lambdas, self.client.where)

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @line_magic
    @shows_errors
    def ol_packages(self, line: str) -> Table | None:
        """The packages in the store: version, size, import names, index."""
        if _parse(self.ol_packages, line) is None:
            return None
        return packages_table(self.client.packages())

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the lambda")
    @argument("-n", "--limit", type=int, default=20, help="how many invocations (default 20)")
    @argument("--full", type=int, metavar="N",
              help="show invocation #N (#1 is the newest) whole: its error, stdout and stderr")
    @line_magic
    @shows_errors
    def ol_logs(self, line: str) -> Table | InvocationRecord | None:
        """A lambda's recent invocations, newest last, numbered from the newest (#1): time, version,
        latency, outcome, and the last lines of their output; --full N shows one whole."""
        args = _parse(self.ol_logs, line)
        if args is None:
            return None
        if args.full is not None:
            if args.full < 1:
                raise UsageError(f"--full takes an invocation's number, 1 (the newest) or more, not {args.full}")
            return full_record(args.name, self.client.logs(args.name, args.full), args.full)
        if args.limit < 1:
            raise UsageError(f"--limit must be at least 1, not {args.limit}")
        return logs_table(args.name, self.client.logs(args.name, args.limit))

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the lambda to remove")
    @line_magic
    @shows_errors
    def ol_rm(self, line: str) -> None:
        """Remove a lambda, and its variable if it still holds that lambda's handle; its packages stay
        in the store until a gc."""
        args = _parse(self.ol_rm, line)
        if args is None:
            return
        self.client.remove(args.name)
        self._from_cells.discard(args.name)
        variable = args.name.replace("-", "_")
        held = self.shell.user_ns.get(variable)
        if isinstance(held, LambdaHandle) and held.name == args.name:
            del self.shell.user_ns[variable]
            removed = f"removed lambda {args.name} and the variable {variable} (its handle)"
        elif variable in self.shell.user_ns:
            removed = (f"removed lambda {args.name}; the variable {variable} stays (it holds "
                       f"{described(held)}, not this lambda's handle)")
        else:
            removed = f"removed lambda {args.name}"
        print(f"{removed}; its packages stay in the store until a gc")

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", nargs="?", metavar="NAME", help="a deployed lambda (default: the notebook's requirements)")
    @argument("--version", dest="number", type=int, metavar="N", help="a kept version of the lambda (default: current)")
    @argument("-o", "--output", metavar="FILE",
              help="write the lock to FILE (pylock.toml or pylock.NAME.toml, as PEP 751 names them) instead of "
                   "showing it")
    @line_magic
    @shows_errors
    def ol_lock(self, line: str) -> LockText | None:
        """The PEP 751 lock (pylock.toml) of the notebook's requirements (%ol_requirements), or of exactly
        what lambda NAME runs: each package's index, the file installed (URL, size, sha256), its import
        names; pip and uv install it (`pip install -r pylock.toml`)."""
        args = _parse(self.ol_lock, line)
        if args is None:
            return None
        output = check_lock_path(Path(args.output)) if args.output else None
        if args.name is not None:
            text = self.client.freeze(args.name, args.number)
        elif args.number is not None:
            raise UsageError("--version is a version of a lambda: give the lambda's NAME too")
        elif not self.requirements:
            raise UsageError("the notebook has no requirements to lock: declare them with %ol_requirements, or "
                             "give a lambda's NAME")
        else:
            text = self.client.lock("\n".join(self.requirements))
        if output is None:
            return LockText(text)
        write_lock_file(output, text)
        print(written(text, output))
        return None

    @magic_arguments()
    @argument("-h", "--help", action="help", help="show this help")
    @argument("name", metavar="NAME", help="the deployed lambda")
    @argument("--to", required=True, choices=EXPORT_ENGINES, help="the engine the bundle is for")
    @argument("--arch", choices=tuple(AWS_ARCHES), help="aws-lambda: the function's architecture (default x86_64)")
    @argument("--python", metavar="X.Y",
              help="the target's Python: aws-lambda 3.9 to 3.13 (default 3.12) or a full X.Y.Z; openlambda: its "
                   "worker's (default its image's)")
    @argument("--layer", action="store_true",
              help="aws-lambda: the packages in a separate layer zip (NAME-layer.zip, under python/)")
    @argument("--version", dest="number", type=int, metavar="N", help="a kept version of the lambda (default: current)")
    @argument("-o", "--output", metavar="DIR", help="where to write (default: beside the notebook)")
    @argument("--upload", metavar="URL",
              help="openlambda: then POST the tarball to this OpenLambda registry (a worker, e.g. http://HOST:5000)")
    @line_magic
    @shows_errors
    def ol_export(self, line: str) -> ExportView | None:
        """Export a deployed lambda to run elsewhere: an AWS Lambda zip (and layer zip) or an OpenLambda
        tarball, resolved again for the target's platform and Python; shows its packages (version, size,
        wheel tags, whether built from an sdist) and the files written beside the notebook."""
        args = _parse(self.ol_export, line)
        if args is None:
            return None
        return export_lambda(self.client, args)

    def handle(self, name: str) -> LambdaHandle:
        """A handle on this engine; its tracebacks in cell lines if a cell of this session deployed it."""
        return LambdaHandle(self.client, name, CELL_LINE_OFFSET if name in self._from_cells else None)

    def _bound(self, handle: LambdaHandle) -> LambdaHandle:
        """`handle`, also put in its variable: the user named the lambda, so even over another value
        (saying what it replaced)."""
        _warn(bind(self.shell.user_ns, handle, clobber=True))
        return handle

    def _bind_all(self, names: Sequence[str]) -> None:
        """Every lambda's handle in its variable, except where that would replace something else."""
        bindings = [bind(self.shell.user_ns, self.handle(name), clobber=False) for name in names]
        bound = [binding.variable for binding in bindings if binding.bound]
        print(f"bound {len(bound)} handle{'' if len(bound) == 1 else 's'}{': ' if bound else ''}{', '.join(bound)}")
        for binding in bindings:
            _warn(binding)

    def _lambda_lock(self, name: str, cell: str, args: argparse.Namespace) -> Lock | None:
        """--lock FILE, else the notebook's lock (%ol_requirements --lock) for a cell that declares no
        requirements of its own (--requirements or a `# /// script` block); a lock is exact, so it
        takes no requirements and no --auto-install beside it."""
        declares = args.requirements is not None or read_script_metadata(cell, name) is not None
        if args.lock is None:
            if declares or self.lock is None:
                return None
            if args.auto_install:
                raise UsageError(f"the notebook's packages are exactly the lock {self.lock.source}, and --auto-install "
                                 f"adds nothing to a lock: give lambda {name!r} its own --requirements to use it")
            return self.lock
        if declares or args.auto_install:
            raise UsageError(f"lambda {name!r} is deployed from the lock {args.lock}: give it no --requirements, "
                             "`# /// script` dependencies or --auto-install")
        return Lock.read(args.lock)

    def _lambda_requirements(self, name: str, cell: str, option: str | None) -> list[str]:
        """The cell's `# /// script` dependencies, else --requirements, else the notebook's."""
        metadata = read_script_metadata(cell, name)
        if metadata is not None and metadata.requires_python is not None:
            check_python(metadata, self.client.info()["python"], name)
        declared = metadata.dependencies if metadata is not None else None
        if declared is not None and option is not None:
            raise MagicError(f"lambda {name!r} declares its requirements twice, in its `# /// script` block and "
                             "with --requirements: keep one")
        if declared is not None:
            return list(declared)
        if option is not None:
            return _split(option)
        return list(self.requirements)


@dataclass(frozen=True)
class Lock:
    """A lock file's text, checked here (so its errors name the file) and sent to the engine as text."""

    source: str
    text: str

    @classmethod
    def read(cls, path: str) -> Lock:
        file = Path(path).expanduser()
        read_lock(file)  # a badly named, unreadable or invalid lock is refused naming the file
        return cls(str(file), file.read_text(encoding="utf-8"))


def _warn(binding: Binding) -> None:
    if binding.message:
        print(f"warning: {binding.message}", file=sys.stderr)


def _parse(magic: Callable[..., Any], line: str) -> argparse.Namespace | None:
    """The magic's arguments, split like a shell; None when --help printed the usage."""
    try:
        return magic.parser.parse_args(_split(line))  # type: ignore[attr-defined]
    except SystemExit:  # argparse's help action exits; errors raise UsageError instead
        return None


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(f"cannot split {line!r}: {error}") from None


def _merged(current: Sequence[str], added: Sequence[str]) -> list[str]:
    """`current` plus `added`, where an added requirement replaces the current ones for its package."""
    replaced = {_package(text) for text in added}
    return [text for text in current if _package(text) not in replaced] + list(added)


def _package(requirement: str) -> str:
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement  # the engine reports it, naming the requirement


def _deployed(deployed: dict[str, Any]) -> str:
    """What a deploy did, for the end of its progress display."""
    pins = ", ".join(deployed["pins"]) or "no packages"
    if deployed.get("unchanged"):
        return f"unchanged, still version {deployed['version']} ({pins})"
    added = f" with {', '.join(deployed['added'])} added for its imports" if deployed.get("added") else ""
    return f"version {deployed['version']} deployed{added} ({pins})"


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Only the settings the line gives: the engine's defaults fill the rest."""
    given = {
        "timeout": args.timeout,
        "memory": args.memory,
        "instances": args.instances,
        "network": _network(args),
        "env": dict(_pair(item) for item in args.env) or None,
        "auto_install": args.auto_install or None,
    }
    return {key: value for key, value in given.items() if value is not None}


def _network(args: argparse.Namespace) -> bool | str | None:
    if args.no_network and args.host_network:
        raise UsageError("--no-network and --host-network contradict each other: give one")
    return False if args.no_network else "host" if args.host_network else None


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"--env {text!r} is not KEY=VALUE")
    return key, value
