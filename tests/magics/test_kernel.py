"""The magics in a real Jupyter kernel (ipykernel, via nbclient): progress updated in place through its
display id, the handler's prints as a stream, the lambda's traceback as the cell's error."""

import nbformat
import pytest
from nbclient import NotebookClient

CELLS = [
    "%load_ext ol_notebook",
    "%ol_requirements alpha==1.0",
    "%%ol_lambda hello\nimport alpha\n\ndef f(event):\n    print('hello', event)\n    return alpha.__version__\n",
    "hello('kernel')",
    "%%ol_lambda boom\n\ndef f(event):\n    raise ValueError(event)\n",
    "boom(1)",
    "%ol_rm hello\n%ol_rm boom",
]


@pytest.fixture
def executed(path) -> list[list[dict]]:
    """The outputs of each cell of a notebook run by a kernel that sees this path's environment."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return [cell.outputs for cell in notebook.cells]


def test_the_magics_in_a_kernel(executed):
    load, requirements, deploy, call, _, failing, remove = executed
    assert load == []

    progress, table = requirements
    assert progress.output_type == "display_data"  # the display, as its last update left it: it gave way to
    assert progress.data == {"text/html": ""}  # the result below, which says it all once
    assert table.output_type == "execute_result" and "<table>" in table.data["text/html"]
    assert "already in the store" in table.data["text/plain"]

    progress, handle = deploy
    assert progress.data == {"text/html": ""}
    assert handle.data["text/plain"] == "<lambda hello version 1 (alpha==1.0), warm>"

    printed, result = call
    assert (printed.name, printed.text) == ("stdout", "hello kernel\n")
    assert result.data["text/plain"] == "'1.0'"

    (error,) = failing
    assert (error.ename, error.evalue) == ("LambdaError", "lambda 'boom' raised ValueError: 1")
    assert '  File "%%ol_lambda boom", line 4, in f' in error.traceback

    assert "".join(output.text for output in remove) == (
        "removed lambda hello and the variable hello (its handle); its packages stay in the store until a gc\n"
        "removed lambda boom and the variable boom (its handle); its packages stay in the store until a gc\n")
