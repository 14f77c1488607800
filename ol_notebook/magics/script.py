"""A cell's own dependencies, declared by PEP 723 inline script metadata:

    # /// script
    # requires-python = ">=3.11"
    # dependencies = ["alpha==1.0"]
    # ///

Parsed as the PEP's reference implementation does (its regex, then TOML), so a block that
uv or pipx accept means the same here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ol_notebook.magics.errors import MagicError

BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


@dataclass(frozen=True)
class ScriptMetadata:
    dependencies: tuple[str, ...] | None  # None: the block does not say
    requires_python: SpecifierSet | None


def read_script_metadata(code: str, name: str) -> ScriptMetadata | None:
    """The `script` block of lambda `name`'s code, or None when it has none."""
    blocks = [match for match in BLOCK.finditer(code) if match.group("type") == "script"]
    if not blocks:
        return None
    if len(blocks) > 1:
        raise MagicError(f"lambda {name!r} has {len(blocks)} `# /// script` blocks; PEP 723 allows one")
    content = "".join(line[2:] if line.startswith("# ") else line[1:]
                      for line in blocks[0].group("content").splitlines(keepends=True))
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        raise MagicError(f"the `# /// script` block of lambda {name!r} is not valid TOML: {error}") from None
    dependencies = data.get("dependencies")
    if dependencies is not None and not (
        isinstance(dependencies, list) and all(isinstance(item, str) for item in dependencies)
    ):
        raise MagicError(f"the `# /// script` block of lambda {name!r}: dependencies must be a list of strings, "
                         f'like dependencies = ["requests==2.20"], not {dependencies!r}')
    return ScriptMetadata(None if dependencies is None else tuple(dependencies),
                          _specifiers(data.get("requires-python"), name))


def check_python(metadata: ScriptMetadata, python: str, name: str) -> None:
    """Refuse a lambda whose block requires a Python the engine's runtime is not."""
    if metadata.requires_python is not None and not metadata.requires_python.contains(python, prereleases=True):
        raise MagicError(f"lambda {name!r} requires Python {metadata.requires_python} (its `# /// script` block), "
                         f"but lambdas run on Python {python}")


def _specifiers(value: object, name: str) -> SpecifierSet | None:
    if value is None:
        return None
    try:
        return SpecifierSet(str(value))
    except InvalidSpecifier:
        raise MagicError(f"the `# /// script` block of lambda {name!r}: requires-python {value!r} is not a "
                         'version specifier like ">=3.11"') from None
