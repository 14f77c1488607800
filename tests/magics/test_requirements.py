"""%ol_requirements: compile and pull with live progress, then the pinned closure; --show, --add, -r."""

import re

import pytest

from ol_notebook.resolve import InvalidRequirementError, PackageNotFound
from tests.magics.cells import line, run_cell


def statuses(table) -> dict[str, str]:
    return {row[0]: row[3] for row in table.rows}


def test_requirements_show_live_progress_then_the_pinned_closure(ipython):
    ran = line(ipython, "ol_requirements", "'epsilon>=1.0'")  # quoted like in a shell

    first, *updates = ran.displays
    assert not first.update and first.data["text/plain"] == "Pulling epsilon>=1.0: resolving"
    assert updates and all(output.update for output in updates)
    assert any(text.startswith("Pulling epsilon>=1.0: pulling (1/2 packages)") for text in ran.texts)
    *_, final, emptied = ran.texts  # the last progress shown, then none: the table below says the outcome
    assert final.startswith("Pulling epsilon>=1.0: pulling (2/2 packages)") and emptied == ""
    assert re.search(r"epsilon==1\.0\s+done\s+\d", final) and re.search(r"eta==1\.0\s+done", final)

    table = ran.value
    assert statuses(table) == {"epsilon": "pulled now", "eta": "pulled now"}  # theta is for Windows only
    assert table.caption.startswith("2 packages pinned for epsilon>=1.0: 2 pulled now, 0 already in the store")
    assert "<td" in table._repr_html_() and "pulled now</td>" in table._repr_html_()
    assert [row[:2] for row in table.rows] == [(entry["name"], entry["version"]) for entry in table.data]

    again = line(ipython, "ol_requirements", "'epsilon>=1.0'")
    assert statuses(again.value) == {"epsilon": "in store", "eta": "in store"}
    assert not any("queued" in text for text in again.texts)
    assert line(ipython, "ol_requirements", "--show").value.data == [{"requirement": "epsilon>=1.0"}]


def test_add_replaces_the_requirement_of_a_package_and_files_are_read(ipython, tmp_path):
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("# what the notebook needs\nalpha==1.0\n")
    first = line(ipython, "ol_requirements", f"-r {requirements_in}")
    assert [row[:2] for row in first.value.rows] == [("alpha", "1.0")]

    added = line(ipython, "ol_requirements", "--add beta==1.0 'alpha>=1.1,<2'")
    assert {row[0]: row[1] for row in added.value.rows} == {"alpha": "1.1", "beta": "1.0"}
    shown = line(ipython, "ol_requirements").value  # no requirements: like --show
    assert shown.rows == [("beta==1.0",), ("alpha>=1.1,<2",)]
    assert shown.caption.startswith("the notebook declares 2 requirements")


def test_an_unknown_package_is_named_and_the_declared_requirements_stay(ipython):
    line(ipython, "ol_requirements", "alpha==1.0")
    with pytest.raises(PackageNotFound, match="package 'no-such-package' was not found on the index"):
        line(ipython, "ol_requirements", "alpha==1.0 no-such-package")
    assert line(ipython, "ol_requirements", "--show").value.rows == [("alpha==1.0",)]

    shown = run_cell(ipython, "%ol_requirements no-such-package")
    assert shown.stdout.startswith("PackageNotFound: package 'no-such-package' was not found")
    assert "Traceback" not in shown.stdout and "ol_notebook" not in shown.stdout
    assert shown.texts[-1] == "Pulling no-such-package: failed (PackageNotFound)"


def test_an_invalid_requirement_and_a_missing_file_are_named(ipython, tmp_path):
    with pytest.raises(InvalidRequirementError, match=r"invalid requirement 'alpha=1\.0'"):
        line(ipython, "ol_requirements", "alpha=1.0")
    with pytest.raises(InvalidRequirementError, match=f"cannot read requirements file {tmp_path}/missing.in"):
        line(ipython, "ol_requirements", f"-r {tmp_path}/missing.in")
