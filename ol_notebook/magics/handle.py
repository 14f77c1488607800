"""A deployed lambda as a Python callable in the notebook: `scraper(event)` returns its result.

What the lambda printed is written to the notebook's own stdout and stderr; an exception in
the lambda is raised here as the engine's `LambdaError`, shown with the lambda's traceback
in the lines of the cell it was deployed from.
"""

from __future__ import annotations

import sys
from html import escape
from typing import Any

from ol_notebook.errors import OLError
from ol_notebook.magics.client import Client
from ol_notebook.magics.errors import rendered
from ol_notebook.magics.views import Table, lambda_table, logs_table
from ol_notebook.runtime import LambdaError


class LambdaHandle:
    def __init__(self, client: Client, name: str, cell_line_offset: int | None = None):
        """`cell_line_offset`: where the code starts in the cell it came from, when this session knows."""
        self.name = name
        self._client = client
        self._cell_line_offset = cell_line_offset

    def __call__(self, event: Any) -> Any:
        try:
            answer = self._client.invoke(self.name, event)
        except OLError as error:
            if isinstance(error, LambdaError):
                _echo(error.stdout, error.stderr)
            raise rendered(error, self._cell_line_offset) from None
        _echo(answer["stdout"], answer["stderr"])
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


def _echo(stdout: str, stderr: str) -> None:
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
