"""Refuse a bad lambda before anything is stored: unsafe names, code that cannot run.

The name becomes a directory and a URL path segment, so it is held to a strict pattern;
the code is parsed and must bind a top-level `f` that can be a function, so the mistake is
reported with its line number at deploy time rather than as a failure on first invoke.
"""

from __future__ import annotations

import ast
import re

from ol_notebook.errors import OLError

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


class InvalidLambda(OLError):
    """The lambda's name or code is refused; nothing was stored."""


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise InvalidLambda(
            f"lambda name {name!r} is not allowed: use 1 to 64 letters, digits, '_' or '-', starting with a "
            "letter or '_' (it becomes a directory and a URL)"
        )
    return name


def validate_code(code: str, name: str, line_offset: int = 0) -> None:
    """The code parses and binds a top-level `f` that is not a plain constant.

    `line_offset` shifts reported lines, so code cut out of a larger text (a notebook cell
    below its magic line) is reported against the lines its author sees.
    """
    try:
        tree = ast.parse(code, filename=f"<lambda {name}>")
    except SyntaxError as error:
        line = (error.lineno or 1) + line_offset
        where = f"line {line}" + (f", column {error.offset}" if error.offset else "")
        shown = f"\n{error.text.rstrip()}" if error.text else ""
        raise InvalidLambda(f"lambda {name!r} has a syntax error at {where}: {error.msg}{shown}") from None
    binding = _last_binding_of_f(tree)
    if binding is None:
        raise InvalidLambda(f"lambda {name!r} defines no function f(event): add `def f(event): ...` at top level")
    if isinstance(binding, ast.AsyncFunctionDef):
        raise InvalidLambda(
            f"lambda {name!r}: f at line {binding.lineno + line_offset} is async; write a plain `def f(event)`"
        )
    if isinstance(binding, ast.Assign) and isinstance(binding.value, ast.Constant):
        raise InvalidLambda(
            f"lambda {name!r}: f is bound to a constant at line {binding.lineno + line_offset}, "
            "but it must be callable as f(event)"
        )


def _last_binding_of_f(tree: ast.Module) -> ast.stmt | None:
    found = None
    for node in tree.body:
        if _binds_f(node):
            found = node
    return found


def _binds_f(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == "f"
    if isinstance(node, ast.Assign):
        return any(isinstance(target, ast.Name) and target.id == "f" for target in node.targets)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any((alias.asname or alias.name) == "f" for alias in node.names)
    return False
