"""What a lambda's code imports, and which distribution provides a module its packages do not.

A cell's imports are its real requirements; reading them with `ast` (never running the code)
lets a deploy say, before the lambda starts, that `import yaml` will fail and that PyYAML is
what provides it. The store's recorded import names (read from RECORD) answer first, because
they are facts about real packages; a short table covers the well-known names that differ from
their distribution's; else PyPI's usual convention, the module's own name.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ol_notebook.store import EntryMetadata

# Modules whose distribution is not named like them (dotted keys match that module and below).
KNOWN_DISTRIBUTIONS = {
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python-headless",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "attr": "attrs",
    "jwt": "PyJWT",
    "google.protobuf": "protobuf",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "serial": "pyserial",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "git": "GitPython",
    "fitz": "PyMuPDF",
    "zmq": "pyzmq",
    "MySQLdb": "mysqlclient",
    "magic": "python-magic",
    "slugify": "python-slugify",
    "multipart": "python-multipart",
}
NO_MODULE = re.compile(r"No module named '([\w.]+)'")
# A frame of a formatted traceback and the source line shown under it.
FRAME_SOURCE = re.compile(r'^  File "[^"\n]*", line \d+, in [^\n]*\n {4}([^\n]*)$', re.MULTILINE)
LEADING_IMPORT = re.compile(r"(?:from|import)\s+([\w.]+)")


@dataclass(frozen=True)
class Import:
    module: str  # dotted, as written: `import a.b` and `from a.b import c` both give "a.b"
    line: int
    lazy: bool  # only inside functions: it runs when f runs, not when the handler is imported


@dataclass(frozen=True)
class MissingImport:
    """A module the code imports that neither the standard library nor its packages provide."""

    module: str
    distribution: str  # what to add to the requirements
    line: int
    lazy: bool


def imports_of(code: str) -> list[Import]:
    """Every absolute import of `code`, first occurrence per module, in order; conditional
    imports count (an `if` or `try` may well run). A module is lazy only if every import of it is."""
    found: dict[str, Import] = {}
    for node, lazy in _walk(ast.parse(code), lazy=False):
        for module in _modules(node):
            seen = found.get(module)
            if seen is None:
                found[module] = Import(module, node.lineno, lazy)
            elif seen.lazy and not lazy:
                found[module] = Import(module, node.lineno, False)
    return sorted(found.values(), key=lambda item: item.line)


def is_stdlib(module: str) -> bool:
    return module.partition(".")[0] in sys.stdlib_module_names


def provides(import_name: str, module: str) -> bool:
    """Whether a distribution recording `import_name` makes `module` importable: `google.api`
    provides `google.api.http_pb2`, and any `google.*` provides the namespace `google`."""
    return module == import_name or module.startswith(import_name + ".") or import_name.startswith(module + ".")


def distribution_for(module: str, known: Iterable[EntryMetadata] = ()) -> str:
    """The distribution that provides `module`: a store entry recording it, else the table of
    well-known mismatches, else the module's top-level name (PyPI's usual convention)."""
    for entry in sorted(known, key=lambda entry: (entry.name, entry.version)):
        if any(provides(name, module) for name in entry.import_names):
            return entry.name
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if (name := KNOWN_DISTRIBUTIONS.get(".".join(parts[:end]))) is not None:
            return name
    return parts[0]


def missing_imports(code: str, provided: Iterable[str], known: Iterable[EntryMetadata] = ()) -> list[MissingImport]:
    """The imports of `code` that no name of `provided` (its packages' import names) covers."""
    names = tuple(provided)
    unprovided = [item for item in imports_of(code)
                  if not is_stdlib(item.module) and not any(provides(name, item.module) for name in names)]
    known = tuple(known) if unprovided else ()  # read (the whole store) only when something is missing
    return [MissingImport(item.module, distribution_for(item.module, known), item.line, item.lazy)
            for item in unprovided]


def imported_by_statement(traceback: str, module: str) -> bool:
    """Whether the innermost frame of a ModuleNotFoundError's traceback is an import statement
    naming `module` literally (in the lambda's code or a package's): an import the code states,
    not a name computed when it runs (`importlib.import_module(event)`, `exec`), which an event
    could choose."""
    frames = FRAME_SOURCE.findall(traceback)
    if not frames:
        return False
    line = frames[-1].strip()
    try:
        statement = ast.parse(line).body[0]
    except (SyntaxError, IndexError):  # the first line of a longer statement: its start names the module
        start = LEADING_IMPORT.match(line)
        named = [start.group(1)] if start else []
    else:
        named = _modules(statement) if isinstance(statement, ast.Import | ast.ImportFrom) else []
        if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            named += [f"{statement.module}.{alias.name}" for alias in statement.names]
    return any(name == module or name.startswith(module + ".") for name in named)


def missing_module(message: str) -> str | None:
    """The module a ModuleNotFoundError's message names ("No module named 'yaml'")."""
    match = NO_MODULE.search(message)
    return match.group(1) if match else None


def _walk(node: ast.AST, lazy: bool) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, lazy
        yield from _walk(child, lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or node.module in (None, "__future__"):  # relative: the lambda's own code, never a package
        return []
    return [node.module]
