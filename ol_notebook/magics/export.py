"""`%ol_export NAME --to aws-lambda|openlambda`: a deployed lambda as a bundle for another engine, written
beside the notebook (the kernel's working directory) unless -o says where, and shown as a summary.

The export runs where the engine runs (the Jupyter server answers the archive, which is written here);
an OpenLambda `--upload` is made from here, so the registry needs to be reachable from the kernel only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from ol_notebook.export.openlambda import upload_openlambda
from ol_notebook.magics.client import Client
from ol_notebook.magics.progress import LiveProgress
from ol_notebook.magics.views import Table
from ol_notebook.sizes import format_size

COLUMNS = ("package", "version", "size", "wheel tags", "built")


@dataclass
class ExportView:
    """The packages of an export as a table, then the files written, its warnings and an upload's answer;
    `data` is the export's summary as the client answered it (name, target, files, packages, warnings)."""

    table: Table
    files: list[tuple[str, int]]  # path, bytes
    warnings: list[str]
    uploaded: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        files = "".join(f"<li>wrote <code>{escape(path)}</code> ({format_size(size)})</li>"
                        for path, size in self.files)
        notes = [f'<div style="color:var(--jp-warn-color0)">warning: {escape(text)}</div>' for text in self.warnings]
        if self.uploaded:
            notes.append(f"<div>{escape(self.uploaded)}</div>")
        return f"<div>{self.table._repr_html_()}<ul>{files}</ul>{''.join(notes)}</div>"

    def __repr__(self) -> str:
        lines = [repr(self.table), *(f"wrote {path} ({format_size(size)})" for path, size in self.files),
                 *(f"warning: {text}" for text in self.warnings)]
        return "\n".join([*lines, self.uploaded] if self.uploaded else lines)


def export_lambda(client: Client, args: argparse.Namespace) -> ExportView:
    """Run the export `args` describes (the magic's arguments) through `client`, with live progress."""
    if args.upload and args.to != "openlambda":
        raise UsageError("--upload is for --to openlambda: an AWS zip is deployed with the AWS CLI")
    options = {"to": args.to, "arch": args.arch or "x86_64", "python": args.python, "layer": args.layer,
               "version": args.number}
    out_dir = Path.cwd() / Path(args.output).expanduser() if args.output else Path.cwd()
    with LiveProgress(f"Exporting {args.name} to {args.to}") as progress:
        exported = client.export(args.name, options, out_dir, progress)
        progress.finish(f"exported for {exported['target']}")
    uploaded = upload_openlambda(Path(exported["files"][0]), args.upload, args.name) if args.upload else None
    files = [(path, Path(path).stat().st_size) for path in exported["files"]]
    unsaid = [text for text in exported["warnings"] if text not in progress.view.warnings]  # shown by the progress
    return ExportView(export_table(exported), files, unsaid, uploaded, exported)


def export_table(exported: dict[str, Any]) -> Table:
    packages = exported["packages"]
    rows = [(item["name"], item["version"], format_size(item["size"]), item["tags"], item["built"] or "-")
            for item in packages]
    total = format_size(sum(item["size"] for item in packages))
    noun = "package" if len(packages) == 1 else "packages"
    caption = f"{exported['name']} for {exported['target']}: {len(packages)} {noun}, {total} unpacked"
    return Table(caption, COLUMNS, rows, packages)
