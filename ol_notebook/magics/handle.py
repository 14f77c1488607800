"""A deployed lambda as a Python callable in the notebook: `scraper(event)` returns its result.

What the lambda prints is written to the notebook's own stdout and stderr while it runs (so
a lambda printing a line a second shows a line a second, and what it printed before a
timeout stays in the cell); an exception in the lambda is raised here as the engine's
`LambdaError`, shown with the lambda's traceback in the lines of the cell it was deployed
from. Interrupting the kernel cancels the call in the engine too, and shows one line.
"""

from __future__ import annotations

import sys
from html import escape
from typing import Any

from ol_notebook.errors import OLError
from ol_notebook.magics.client import Client
from ol_notebook.magics.errors import rendered
from ol_notebook.magics.views import Table, lambda_table, logs_table
from ol_notebook.puller import PullEvent


class LambdaHandle:
    def __init__(self, client: Client, name: str, cell_line_offset: int | None = None):
        """`cell_line_offset`: where the code starts in the cell it came from, when this session knows."""
        self.name = name
        self._client = client
        self._cell_line_offset = cell_line_offset

    def __call__(self, event: Any) -> Any:
        try:
            answer = self._client.invoke(self.name, event, _echo)
        except OLError as error:
            raise rendered(error, self._cell_line_offset) from None
        except KeyboardInterrupt:
            raise CallInterrupted(self.name) from None
        if answer.get("auto_installed"):
            print(f"lambda {self.name}: added {', '.join(answer['auto_installed'])} for an import of f, "
                  "redeployed and called again", file=sys.stderr)
        return answer["result"]

    def describe(self) -> dict[str, Any]:
        """Version, pins, settings, state, code and the versions a rollback can go to."""
        return self._client.describe(self.name)

    def logs(self, limit: int = 20) -> Table:
        return logs_table(self.name, self._client.logs(self.name, limit))

    def __repr__(self) -> str:
        summary = self._summary()
        if isinstance(summary, str):
            return f"<lambda {self.name}: {summary}>"
        pins = ", ".join(summary["pins"]) or "no packages"
        return f"<lambda {self.name} version {summary['version']} ({pins}), {summary['state']}>"

    def _repr_html_(self) -> str:
        summary = self._summary()
        if isinstance(summary, str):
            return f"<p>lambda <code>{escape(self.name)}</code>: {escape(summary)}</p>"
        return lambda_table(summary)._repr_html_()

    def _summary(self) -> dict[str, Any] | str:
        """Fresh from the engine (the state changes); the reason instead when it cannot say (e.g. removed)."""
        try:
            return self._client.describe(self.name)
        except OLError as error:
            return str(error)


class CallInterrupted(KeyboardInterrupt):
    """The kernel was interrupted during a call: a KeyboardInterrupt (loops that stop on one still
    do), shown as one line, for the engine cancelled the call and there is nothing more to see."""

    def __init__(self, name: str):
        super().__init__(f"the call of lambda {name!r} was cancelled; its worker was killed")

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self}"]


def _echo(event: PullEvent) -> None:
    """What the lambda prints, where the notebook prints."""
    stream = sys.stdout if event.kind == "stdout" else sys.stderr if event.kind == "stderr" else None
    if stream is not None:
        stream.write(event.message)
        stream.flush()
