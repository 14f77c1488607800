"""%ol_export on both paths: an engine in the kernel, and a real Jupyter server's REST API (which answers
the archive; the kernel writes it beside the notebook and reads the summary from it)."""

from __future__ import annotations

import contextlib
import urllib.error
import zipfile

import nbformat
import pytest
from IPython.core.error import UsageError

from ol_notebook.errors import OLError
from ol_notebook.export.model import MissingPackages
from ol_notebook.registry import RegistryError
from tests.export import test_cli_export, test_rest_export
from tests.export.registry_double import Upload
from tests.jupyter_fixtures import execute_notebook
from tests.magics import conftest as magics_fixtures
from tests.magics.cells import cell, line

# The magics' own fixtures (a shell with the extension, on each path), here on the platform index:
# the REST path's server is one on the platform index for this module (the session's is on the catalogue).
shell, path, ipython = magics_fixtures.shell, magics_fixtures.path, magics_fixtures.ipython
jupyter_server_url = test_rest_export.platform_server
local_index, registry = test_cli_export.local_index, test_cli_export.registry  # the platform index; an OL registry

CODE = "import fastmath\n\ndef f(event):\n    return fastmath.add(event['a'], event['b'])\n"


@pytest.fixture
def notebook_dir(tmp_path, monkeypatch):
    """The kernel's working directory: where the notebook is."""
    directory = tmp_path / "notebooks"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def deploy(ipython, name: str, requirements: str, code: str = CODE) -> None:
    cell(ipython, "ol_lambda", f"{name} --requirements '{requirements}'", code)


def test_an_export_is_written_beside_the_notebook_with_its_summary(ipython, notebook_dir):
    deploy(ipython, "mx_calc", "fastmath armdep")
    view = line(ipython, "ol_export", "mx_calc --to aws-lambda --arch arm64").value
    archive = notebook_dir / "mx_calc.zip"
    assert view.files == [(str(archive), archive.stat().st_size)]
    rows = {row[0]: row for row in view.table.rows}
    assert set(rows) == {"fastmath", "armdep", "armonly", "plainpy"}  # armonly: the marker, for aarch64
    assert rows["fastmath"][3] == "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64"
    assert view.table.caption.startswith("mx_calc for AWS Lambda python3.12 arm64 (manylinux_2_34_aarch64): 4 packages")
    html = view._repr_html_()
    assert "<th" in html and "mx_calc.zip" in html and "fastmath" in html
    assert "lambda_function.py" in zipfile.ZipFile(archive).namelist()


def test_a_layer_goes_where_o_says_and_its_summary_comes_from_the_layer(ipython, notebook_dir, tmp_path):
    deploy(ipython, "mx_layered", "fastmath")
    view = line(ipython, "ol_export", f"mx_layered --to aws-lambda --layer --python 3.11 -o {tmp_path / 'out'}").value
    assert [path for path, _ in view.files] == [str(tmp_path / "out" / "mx_layered.zip"),
                                                 str(tmp_path / "out" / "mx_layered-layer.zip")]
    assert [row[:1] + row[3:4] for row in view.table.rows] == [
        ("fastmath", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")]
    assert not list(notebook_dir.iterdir())


def test_an_openlambda_export_is_uploaded_from_the_kernel(ipython, notebook_dir, registry):
    deploy(ipython, "mx_ol", "puresdist", "import puresdist\n\ndef f(event):\n    return 1\n")
    ran = line(ipython, "ol_export", f"mx_ol --to openlambda --upload {registry.url}")
    assert registry.uploads == [Upload("mx_ol", "application/gzip", (notebook_dir / "mx_ol.tar.gz").read_bytes())]
    assert ran.value.uploaded and "mx_ol" in repr(ran.value)
    assert [(row[0], row[4]) for row in ran.value.table.rows] == [("puresdist", "sdist")]


def test_what_cannot_be_exported_says_why(ipython, notebook_dir):
    with pytest.raises(RegistryError, match="there is no lambda named 'mx_none'"):
        line(ipython, "ol_export", "mx_none --to aws-lambda")
    with pytest.raises(UsageError, match="--upload is for --to openlambda"):
        line(ipython, "ol_export", "mx_none --to aws-lambda --upload http://127.0.0.1:9")
    deploy(ipython, "mx_cc", "needscc", "def f(event):\n    return 1\n")
    deploy(ipython, "mx_plain", "", "def f(event):\n    return 1\n")
    (notebook_dir / "taken").write_text("a file, not a directory")
    with pytest.raises(OLError, match=f"cannot write .*{notebook_dir / 'taken'}"):
        line(ipython, "ol_export", "mx_plain --to aws-lambda -o taken")
    with pytest.raises(MissingPackages) as missing:
        line(ipython, "ol_export", "mx_cc --to aws-lambda --arch arm64")
    assert [item.name for item in missing.value.missing] == ["needscc"]
    assert [path.name for path in notebook_dir.iterdir()] == ["taken"]


def test_in_a_kernel_the_server_started_the_export_lands_beside_the_notebook(jupyter_server_url):
    """A real kernel started by the server (its working directory is the notebook's), through the REST API."""
    server = jupyter_server_url
    notebook = server.root_dir / "exporting.ipynb"
    cells = ["%load_ext ol_notebook", f"%%ol_lambda nb_calc --requirements fastmath\n{CODE}",
             "%ol_export nb_calc --to aws-lambda --arch arm64"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text) for text in cells]), notebook)
    try:
        shown = execute_notebook(server, notebook).cells[2].outputs[-1]["data"]
    finally:
        with contextlib.suppress(urllib.error.HTTPError):
            server.request("DELETE", "ol/lambdas/nb_calc")
    archive = server.root_dir / "nb_calc.zip"
    assert "fastmath.cpython-312-aarch64-linux-gnu.so" in zipfile.ZipFile(archive).namelist()
    assert "cp312-cp312-manylinux_2_17_aarch64" in shown["text/html"] and str(archive) in shown["text/plain"]
