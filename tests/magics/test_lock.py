"""%ol_lock: the PEP 751 lock of the notebook's requirements or of a lambda, shown or written to a
file, on both paths (an engine in the kernel, the Jupyter server's)."""

from __future__ import annotations

import tomllib

import pytest
from IPython.core.error import UsageError

from ol_notebook.lock import LockError, read_lock
from ol_notebook.registry import RegistryError
from tests.magics.cells import cell, line

VERSION = "import alpha\n\ndef f(event):\n    return alpha.__version__\n"


def pinned(text: str) -> dict[str, str]:
    return {package["name"]: package["version"] for package in tomllib.loads(text)["packages"]}


def test_the_notebook_s_requirements_lock_shows_as_toml(ipython, local_index):
    line(ipython, "ol_requirements", "py-widget 'alpha<2'")
    shown = line(ipython, "ol_lock").value
    assert pinned(str(shown)) == {"alpha": "1.1", "py-widget": "1.0"}
    assert repr(shown).startswith('lock-version = "1.0"\n') and "\\n" not in repr(shown)
    data = tomllib.loads(shown.text)
    assert data["tool"]["ol-notebook"]["requirements"] == ["py-widget", "alpha<2"]
    widget = next(package for package in data["packages"] if package["name"] == "py-widget")
    assert widget["index"] == local_index.url
    assert widget["tool"]["ol-notebook"]["import-names"] == ["widget_helpers", "widgetlib"]


def test_a_lambda_s_lock_is_written_to_a_pep_751_file(ipython, tmp_path):
    cell(ipython, "ol_lambda", "locked_one --requirements 'alpha==1.0'", VERSION)
    cell(ipython, "ol_lambda", "locked_one --requirements 'alpha==2.0'", VERSION)
    path = tmp_path / "pylock.locked_one.toml"
    ran = line(ipython, "ol_lock", f"locked_one --version 1 -o {path}")
    assert ran.value is None and ran.stdout == f"wrote the lock of 1 package to {path}\n"
    assert [(package.name, str(package.version)) for package in read_lock(path).packages] == [("alpha", "1.0")]
    assert pinned(str(line(ipython, "ol_lock", "locked_one").value)) == {"alpha": "2.0", "beta": "1.5"}


def test_what_cannot_be_locked_says_why(ipython, tmp_path):
    with pytest.raises(UsageError, match="the notebook has no requirements to lock"):
        line(ipython, "ol_lock")
    with pytest.raises(UsageError, match="--version is a version of a lambda"):
        line(ipython, "ol_lock", "--version 2")
    with pytest.raises(LockError, match=r"PEP 751 names lock files pylock\.toml or pylock\.NAME\.toml"):
        line(ipython, "ol_lock", f"-o {tmp_path / 'lock.toml'}")
    with pytest.raises(RegistryError, match="there is no lambda named 'no_such_lambda'"):
        line(ipython, "ol_lock", "no_such_lambda")
