"""Aligned text tables: every listing of the CLI (and its help's list of variables) is one."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO


def format_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """One line per row; every column but the last is padded to its widest cell, so a long last
    column (URLs, pin lists) does not widen the others."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)] if rows else []
    return ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip()
            for row in rows]


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO | None = None) -> None:
    """A header row, then the rows."""
    for line in format_table([header, *rows]):
        print(line, file=stream or sys.stdout)
