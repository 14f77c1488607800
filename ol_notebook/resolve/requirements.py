"""Parse requirement input (PEP 508 strings, requirements.in text) before uv sees it.

Checking here gives errors that point at the line and column of the user's own text,
instead of uv's message about a temporary file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ol_notebook.errors import OLError


class InvalidRequirementError(OLError):
    """A requirement string is not valid PEP 508."""


def parse_requirements(lines: Iterable[str], source: str = "requirements") -> list[Requirement]:
    """Parse one requirement per line; blank lines, comments and `--hash` options are skipped."""
    parsed = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("-"):
            raise InvalidRequirementError(
                f"{source}, line {number}: option {text.split()[0]!r} is not supported here; "
                "give plain requirements (use --index-url/--mirror for indexes, -r for files)"
            )
        text = text.split(" --hash", 1)[0].rstrip(" \\")
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as error:
            raise InvalidRequirementError(f"{source}, line {number}: invalid requirement {text!r}\n{error}") from None
    return parsed


def read_requirements_file(path: Path) -> list[Requirement]:
    """A requirements.in (or hashed requirements.txt) file, with errors naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidRequirementError(f"cannot read requirements file {path}: {error.strerror}") from error
    return parse_requirements(_join_continuations(text), source=str(path))


def _join_continuations(text: str) -> list[str]:
    """Join backslash-continued lines, keeping one entry per original line so numbers stay right."""
    lines = text.splitlines()
    joined: list[str] = []
    carry = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            carry += line.rstrip()[:-1] + " "
            joined.append("")
            continue
        joined.append(carry + line)
        carry = ""
    return joined
