"""%ol_requirements --lock FILE and %%ol_lambda NAME --lock FILE, on both paths (local engine, REST)."""

import pytest
from IPython.core.error import UsageError

from ol_notebook.lock import LockError
from tests.lock.makers import uv_lock
from tests.magics.cells import cell, line

CODE = "import alpha, beta\n\ndef f(event):\n    return [alpha.__version__, beta.__version__]\n"


def test_the_notebooks_lock_is_pulled_and_cells_are_deployed_from_it(ipython, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock")
    table = line(ipython, "ol_requirements", f"--lock {lock}").value
    assert [row[:2] for row in table.rows] == [("alpha", "2.0"), ("beta", "1.5")]
    assert line(ipython, "ol_requirements", "--show").value.rows == [("alpha==2.0",), ("beta==1.5",)]
    handle = cell(ipython, "ol_lambda", "lock-nb", CODE).value
    assert handle({}) == ["2.0", "1.5"] and handle.describe()["requirements"] == "alpha==2.0\nbeta==1.5"
    with pytest.raises(UsageError, match=r"--auto-install adds nothing to a lock: give lambda 'lock-auto' its own"):
        cell(ipython, "ol_lambda", "lock-auto --auto-install", CODE)
    own = cell(ipython, "ol_lambda", "lock-own --requirements 'alpha==1.1 beta==1.0'", CODE).value
    assert own({}) == ["1.1", "1.0"]  # a cell's own requirements win over the notebook's lock


def test_a_cell_deployed_from_its_own_lock(ipython, local_index, tmp_path):
    lock = uv_lock(local_index.url, ["alpha==2.0"], tmp_path / "lock")
    handle = cell(ipython, "ol_lambda", f"lock-cell --lock {lock}", CODE).value
    assert handle({}) == ["2.0", "1.5"]
    with pytest.raises(UsageError, match=r"'lock-bad' is deployed from the lock .* give it no --requirements"):
        cell(ipython, "ol_lambda", f"lock-bad --lock {lock} --requirements alpha", CODE)
    with pytest.raises(UsageError, match="--lock takes exactly the lock's packages"):
        line(ipython, "ol_requirements", f"--lock {lock} delta")
    with pytest.raises(LockError, match=r"requirements\.toml is not named like a PEP 751 lock"):
        line(ipython, "ol_requirements", f"--lock {tmp_path / 'requirements.toml'}")
