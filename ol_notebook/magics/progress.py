"""Live progress of a pull or a deploy in the cell's output: one display, updated in place.

The engine reports progress per package (queued, downloading, building, installing, done,
failed) and per deploy stage (resolving, starting, deployed). `LiveProgress` is the event
sink the magics pass to the client; it is only ever called on the thread running the cell,
so updates reach the right output. A finished package and a new stage are shown at once;
other events (many per package) at most every REFRESH_SECONDS. On success the display gives
way to the result the magic returns (a table, a handle): it keeps only the warnings, so the
cell shows its result once; on failure it stays, saying what was done and what failed.
"""

from __future__ import annotations

import time
from html import escape
from types import TracebackType

from IPython.display import display

from ol_notebook.puller import PullEvent
from ol_notebook.sizes import format_size

PACKAGE_KINDS = ("queued", "downloading", "building", "installing", "done", "failed")
ACTIVE_KINDS = ("downloading", "building", "installing")  # the kinds with a moving bar
MILESTONES = ("done", "failed", "resolving", "starting", "deployed", "warning")  # always shown; others at most every:
REFRESH_SECONDS = 0.25


class ProgressView:
    """What an operation has done so far, as HTML for notebooks and as text elsewhere."""

    def __init__(self, title: str):
        self.title = title
        self.stage = "resolving"
        self.packages: dict[str, PullEvent] = {}
        self.warnings: list[str] = []  # shown for as long as the display lasts, unlike a stage
        self.finished = False  # succeeded: only the warnings (and a kept outcome) remain
        self.kept: str | None = None  # an outcome the result does not say (e.g. nothing changed)

    def add(self, event: PullEvent) -> None:
        if event.kind == "warning":
            self.warnings.append(event.message)
        elif event.kind in PACKAGE_KINDS:
            self.packages[event.key] = event
            if self.stage == "resolving":  # a pull reports no stage of its own once resolved
                self.stage = "pulling"
        else:
            self.stage = f"{event.kind} {event.message}".strip()

    @property
    def headline(self) -> str:
        finished = sum(event.kind in ("done", "failed") for event in self.packages.values())
        counts = f" ({finished}/{len(self.packages)} packages)" if self.packages else ""
        return f"{self.title}: {self.stage}{counts}"

    def _repr_html_(self) -> str:
        warnings = "".join(f'<div style="color:var(--jp-warn-color0)">warning: {escape(text)}</div>'
                           for text in self.warnings)
        if self.finished:
            kept = f"<div>{escape(self.title)}: {escape(self.kept)}</div>" if self.kept else ""
            return f"<div>{kept}{warnings}</div>" if kept or warnings else ""
        rows = "".join(
            f"<tr><td><code>{escape(key)}</code></td><td>{escape(event.kind)}</td><td>{_bar(event)}</td>"
            f"<td>{escape(_detail(event))}</td></tr>"
            for key, event in self.packages.items()
        )
        table = f'<table style="margin:0">{rows}</table>' if rows else ""
        return f"<div><b>{escape(self.headline)}</b>{warnings}{table}</div>"

    def __repr__(self) -> str:
        if self.finished:
            kept = [f"{self.title}: {self.kept}"] if self.kept else []
            return "\n".join([*kept, *(f"warning: {text}" for text in self.warnings)])
        lines = [f"  {key:30} {event.kind:11} {_detail(event)}".rstrip() for key, event in self.packages.items()]
        return "\n".join([self.headline, *(f"warning: {text}" for text in self.warnings), *lines])


class LiveProgress:
    """An event sink that keeps a display of a `ProgressView` up to date; a context manager that
    shows the outcome (`finish`, or the error that ended the operation) when it ends."""

    def __init__(self, title: str):
        self.view = ProgressView(title)
        self._handle = None
        self._shown_at = 0.0

    def __enter__(self) -> LiveProgress:
        self._handle = display(self.view, display_id=True)
        self._shown_at = time.monotonic()
        return self

    def __call__(self, event: PullEvent) -> None:
        self.view.add(event)
        if event.kind in MILESTONES or time.monotonic() - self._shown_at >= REFRESH_SECONDS:
            self._show()

    def finish(self, outcome: str, keep: bool = False) -> None:
        """The operation succeeded with `outcome`: shown when the block ends only with `keep` (for
        what the result does not say, such as "unchanged"); warnings stay either way."""
        self.view.stage = outcome
        self.view.kept = outcome if keep else None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(error, KeyboardInterrupt):
            self.view.stage = "interrupted"
        elif error is not None:
            self.view.stage = f"failed ({type(error).__name__})"
        else:
            self.view.finished = True
        self._show()

    def _show(self) -> None:
        if self._handle is not None:
            if repr(self.view):
                self._handle.update(self.view)
            else:  # nothing left to say: an empty output (no text, which a terminal would print as a blank line)
                self._handle.update({"text/html": ""}, raw=True)
        self._shown_at = time.monotonic()


def _bar(event: PullEvent) -> str:
    if event.kind == "done":
        return '<progress value="1" max="1"></progress>'
    if event.kind == "downloading" and event.bytes_total:
        return f'<progress value="{event.bytes_done}" max="{event.bytes_total}"></progress>'
    return "<progress></progress>" if event.kind in ACTIVE_KINDS else ""


def _detail(event: PullEvent) -> str:
    if event.kind == "done" and not event.message:
        return f"{format_size(event.bytes_done)} in {event.seconds:.2f} s"
    if event.kind in ("queued", "downloading") and event.bytes_total:
        return f"{format_size(event.bytes_done)} / {format_size(event.bytes_total)}"
    return event.message
