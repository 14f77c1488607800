from pathlib import Path

import pytest

from ol_notebook.resolve import InvalidRequirementError, parse_requirements, read_requirements_file


def test_comments_blank_lines_and_hashes_are_skipped(tmp_path: Path):
    path = tmp_path / "requirements.txt"
    path.write_text("# top\n\nalpha==2.0 \\\n    --hash=sha256:abc\nbeta>=1 # why\n", encoding="utf-8")
    assert [str(r) for r in read_requirements_file(path)] == ["alpha==2.0", "beta>=1"]


def test_malformed_requirement_names_line_and_position():
    with pytest.raises(InvalidRequirementError) as caught:
        parse_requirements(["alpha==2.0", "beta >= 1 !"], source="cell")
    message = str(caught.value)
    assert "cell, line 2: invalid requirement 'beta >= 1 !'" in message
    assert "^" in message  # packaging's caret under the offending column


def test_options_are_refused_with_advice():
    with pytest.raises(InvalidRequirementError, match="option '--index-url' is not supported here"):
        parse_requirements(["--index-url http://x"])


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(InvalidRequirementError, match=r"cannot read requirements file .*nope\.in"):
        read_requirements_file(tmp_path / "nope.in")
