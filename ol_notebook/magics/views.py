"""What the magics show: tables of lambdas, packages, logs and pulled closures.

Each is a `Table`: HTML in a notebook, aligned text in a terminal, with every value escaped.
The values it was made from stay in `data`, so `table = %ol_lambdas` is also useful to code.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from ol_notebook.sizes import format_size

CELL_STYLE = "text-align:left; vertical-align:top; white-space:pre-wrap"


@dataclass
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    data: list[dict[str, Any]] = field(default_factory=list)

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="{CELL_STYLE}">{escape(column)}</th>' for column in self.columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="{CELL_STYLE}">{escape(cell)}</td>' for cell in row) + "</tr>"
            for row in self.rows
        )
        return (f'<table><caption style="text-align:left">{escape(self.caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def __repr__(self) -> str:
        """Aligned first lines; the further lines of a cell (printed output) indented below its row."""
        firsts = [tuple(cell.split("\n", 1)[0] for cell in row) for row in self.rows]
        widths = [max(len(text) for text in column) for column in zip(self.columns, *firsts, strict=True)]
        lines = [self.caption, _aligned(self.columns, widths)]
        for row, first in zip(self.rows, firsts, strict=True):
            lines.append(_aligned(first, widths))
            lines.extend(f"    | {extra}" for cell in row for extra in cell.split("\n")[1:])
        return "\n".join(lines)


def _aligned(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def pulled_table(requirements: Sequence[str], pulled: dict[str, Any]) -> Table:
    """The pinned closure of the notebook's requirements, and what this pull had to install."""
    installed = set(pulled["installed"])
    packages = pulled["packages"]
    rows = [(entry["name"], entry["version"], format_size(entry["size"]),
             "pulled now" if entry["key"] in installed else "in store") for entry in packages]
    caption = (f"{_count(len(packages), 'package')} pinned for {' '.join(requirements) or 'no requirements'}: "
               f"{len(installed)} pulled now, {len(packages) - len(installed)} already in the store "
               f"({pulled['seconds']:.1f} s)")
    return Table(caption, ("package", "version", "size", "status"), rows, packages)


def declared_table(requirements: Sequence[str]) -> Table:
    caption = (f"the notebook declares {_count(len(requirements), 'requirement')} (lambdas get them unless their cell "
               "declares its own)" if requirements else "the notebook declares no requirements yet")
    return Table(caption, ("requirement",), [(text,) for text in requirements],
                 [{"requirement": text} for text in requirements])


def lambdas_table(lambdas: list[dict[str, Any]], where: str) -> Table:
    rows = [(item["name"], str(item["version"]), ", ".join(item["pins"]) or "-", item["state"],
             str(item["instances"]), _latency(item["last_latency"]), item["created_at"]) for item in lambdas]
    columns = ("lambda", "version", "pins", "state", "instances", "last latency", "deployed")
    return Table(f"{_count(len(lambdas), 'lambda')} on {where}", columns, rows, lambdas)


def packages_table(packages: list[dict[str, Any]]) -> Table:
    rows = [(entry["name"], entry["version"], format_size(entry["size"]), ", ".join(entry["import_names"]),
             entry["index"], entry["installed_at"]) for entry in packages]
    total = format_size(sum(entry["size"] for entry in packages))
    columns = ("package", "version", "size", "imports", "index", "installed")
    return Table(f"{_count(len(packages), 'package')} in the store ({total})", columns, rows, packages)


def logs_table(name: str, logs: list[dict[str, Any]]) -> Table:
    rows = [(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(log["at"])), str(log["version"]),
             _latency(log["duration"]), "cold" if log["cold"] else "warm",
             "ok" if log["ok"] else f"error: {log['error']}", (log["stdout"] + log["stderr"]).rstrip("\n"))
            for log in logs]
    columns = ("time", "version", "latency", "start", "outcome", "output")
    return Table(f"last {_count(len(logs), 'invocation')} of {name}", columns, rows, logs)


def lambda_table(summary: dict[str, Any]) -> Table:
    """One lambda, field by field (what its handle shows)."""
    settings = summary["settings"]
    fields = {
        "version": str(summary["version"]),
        "pins": ", ".join(summary["pins"]) or "-",
        "state": f"{summary['state']} ({summary['instances']} instances)",
        "limits": (f"timeout {settings['timeout']:g} s, memory {format_size(settings['memory'])}, "
                   f"network {_network(settings['network'])}, up to {settings['instances']} instances"),
        "deployed": summary["created_at"],
    }
    return Table(f"lambda {summary['name']}", ("", ""), list(fields.items()), [summary])


def _latency(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _network(mode: object) -> str:
    return "of this machine (host)" if mode == "host" else "on" if mode else "off"
