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

from ol_notebook.magics.errors import MagicError
from ol_notebook.runtime.output import CUT_MARK
from ol_notebook.sizes import format_size

CELL_STYLE = "text-align:left; vertical-align:top; white-space:pre-wrap"
# What a log table shows of each invocation's output: its last lines, at most about this many characters.
TAIL_LINES = 3
TAIL_CHARACTERS = 300
HEADING_STYLE = "margin:0 0 0.4em 0; font-size:inherit; font-weight:bold"


@dataclass
class Table:
    """A caption above rows; no `columns` for a key/value table (it has no header row)."""

    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    data: list[dict[str, Any]] = field(default_factory=list)

    def _repr_html_(self) -> str:
        # A heading, not a <caption>: a caption is as wide as its table, so a long one wrapped in a narrow column.
        heading = f'<h4 style="{HEADING_STYLE}">{escape(self.caption)}</h4>'
        if not self.rows:
            return f"<div>{heading}</div>"
        head = "".join(f'<th style="{CELL_STYLE}">{escape(column)}</th>' for column in self.columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="{CELL_STYLE}">{escape(cell)}</td>' for cell in row) + "</tr>"
            for row in self.rows
        )
        thead = f"<thead><tr>{head}</tr></thead>" if self.columns else ""
        return f"<div>{heading}<table>{thead}<tbody>{body}</tbody></table></div>"

    def __repr__(self) -> str:
        """Aligned first lines; the further lines of a cell (printed output) indented below its row."""
        if not self.rows:
            return self.caption
        header = [self.columns] if self.columns else []
        firsts = [tuple(cell.split("\n", 1)[0] for cell in row) for row in self.rows]
        widths = [max(len(text) for text in column) for column in zip(*header, *firsts, strict=True)]
        lines = [self.caption, *(_aligned(columns, widths) for columns in header)]
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


@dataclass(repr=False)  # Table's own text, not the dataclass's
class LogsTable(Table):
    """Recent invocations, numbered from the newest (#1), each output as a short tail."""

    name: str = ""

    def full(self, number: int) -> InvocationRecord:
        """Invocation #`number` (1: the newest) whole: what `%ol_logs NAME --full N` shows."""
        return full_record(self.name, self.data, number)


def logs_table(name: str, logs: list[dict[str, Any]]) -> LogsTable:
    """`logs` newest last, numbered so #1 is the newest whatever the limit: `--full N` names one."""
    rows = [(f"#{len(logs) - index}", _time(log), str(log["version"]), _latency(log["duration"]),
             "cold" if log["cold"] else "warm", _outcome(log), _tail(log))
            for index, log in enumerate(logs)]
    columns = ("#", "time", "version", "latency", "start", "outcome", "output")
    caption = f"last {_count(len(logs), 'invocation')} of {name}, newest last"
    if logs:
        caption += f" (%ol_logs {name} --full N shows invocation #N whole)"
    return LogsTable(caption, columns, rows, logs, name=name)


@dataclass
class InvocationRecord:
    """One invocation's record whole, as text: its outcome, error, stdout and stderr."""

    name: str
    number: int
    log: dict[str, Any]

    def __repr__(self) -> str:
        log = self.log
        lines = [f"invocation #{self.number} of {self.name} (#1 is the newest): {_time(log)}, version "
                 f"{log['version']}, {_latency(log['duration'])}, {'cold' if log['cold'] else 'warm'} start, "
                 f"{'ok' if log['ok'] else 'failed'}"]
        if log["error"]:
            lines += ["--- error ---", log["error"]]
        for stream in ("stdout", "stderr"):
            cut = log.get(f"{stream}_cut", 0)
            text = _kept(log[stream], cut)
            if text or cut:
                note = f" (its first {format_size(cut)} were not kept)" if cut else ""
                lines += [f"--- {stream}{note} ---", text.rstrip("\n")]
        if len(lines) == 1:
            lines.append("(it printed nothing)")
        return "\n".join(lines)


@dataclass
class LockText:
    """A pylock.toml shown as itself (a str would show quoted, its newlines escaped); `str()` of it,
    or `.text`, is the TOML."""

    text: str

    def __repr__(self) -> str:
        return self.text.rstrip("\n")

    def __str__(self) -> str:
        return self.text


def full_record(name: str, logs: list[dict[str, Any]], number: int) -> InvocationRecord:
    """Invocation #`number` of `logs` (newest last; #1 is the newest)."""
    if not 1 <= number <= len(logs):
        if not logs:
            raise MagicError(f"lambda {name!r} has no logged invocations yet")
        raise MagicError(f"lambda {name!r} has no invocation #{number} in its log: #1 (the newest) to "
                         f"#{len(logs)} are kept")
    return InvocationRecord(name, number, logs[-number])


def _time(log: dict[str, Any]) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(log["at"]))


def _outcome(log: dict[str, Any]) -> str:
    if log["ok"]:
        return "ok"
    error = f"error: {log['error']}"
    return error if len(error) <= TAIL_CHARACTERS else error[:TAIL_CHARACTERS - 1] + "…"


def _tail(log: dict[str, Any]) -> str:
    """The last TAIL_LINES lines of what the call printed, at most about TAIL_CHARACTERS, below a mark
    saying how much more there is."""
    stdout_cut, stderr_cut = log.get("stdout_cut", 0), log.get("stderr_cut", 0)
    printed = (_kept(log["stdout"], stdout_cut) + _kept(log["stderr"], stderr_cut)).rstrip("\n")
    lines = printed.split("\n") if printed else []
    shown = "\n".join(lines[-TAIL_LINES:])
    if len(shown) > TAIL_CHARACTERS:
        shown = "…" + shown[1 - TAIL_CHARACTERS:]
    hidden = len(lines) - min(len(lines), TAIL_LINES)
    cut = stdout_cut + stderr_cut
    if not hidden and not cut:
        return shown
    more = f"[... {_count(hidden, 'more line')}" + (f", and {format_size(cut)} before them not kept]" if cut else "]")
    return f"{more}\n{shown}"


def _kept(text: str, cut: int) -> str:
    """`text` without the mark the log puts before it when its start was cut."""
    mark = CUT_MARK.format(cut)
    return text[len(mark):] if cut and text.startswith(mark) else text


def lambda_table(summary: dict[str, Any]) -> Table:
    """One lambda, field by field (what its handle shows): a key/value table, so no header row."""
    settings = summary["settings"]
    fields = {
        "version": str(summary["version"]),
        "pins": ", ".join(summary["pins"]) or "-",
        "state": _state(summary["state"], summary["instances"]),
        "limits": (f"timeout {settings['timeout']:g} s, memory {format_size(settings['memory'])}, "
                   f"network {_network(settings['network'])}, up to {settings['instances']} instances"),
        "deployed": summary["created_at"],
    }
    return Table(f"lambda {summary['name']}", (), list(fields.items()), [summary])


def _state(state: str, workers: int) -> str:
    """"warm (0 instances)" read as a contradiction: warm means its handler is imported, workers are forked per call."""
    if workers:
        return f"{state}, {_count(workers, 'worker')} running"
    if state == "warm":
        return "warm: handler imported, no worker running"
    if state == "cold":
        return "cold: starts on the next call"
    return state


def _latency(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _network(mode: object) -> str:
    return "of this machine (host)" if mode == "host" else "on" if mode else "off"
