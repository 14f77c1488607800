"""split_target: a shared `uv pip install --target` of several wheels, divided among them, holds
exactly what installing each alone does; what cannot be divided safely is a SplitError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ol_notebook.index import uv_binary, uv_environment
from ol_notebook.index.uv import UV_COMMON_FLAGS
from ol_notebook.install import SplitError, split_target

WHEELS = {  # a console script, two parts of one namespace directory, a platform wheel, a plain one,
    # two top-level modules (their bytecode shares the top-level __pycache__)
    "toolpkg": "toolpkg-1.0-py3-none-any.whl",
    "py-widget": "py_widget-1.0-py3-none-any.whl",
    "olbuild": "olbuild-1.0-py3-none-any.whl",
    "nsp-one": "nsp_one-1.0-py3-none-any.whl",
    "nsp-two": "nsp_two-1.0-py3-none-any.whl",
    "platpkg": "platpkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "six": "six-1.17.0-py3-none-any.whl",
}


def uv_install(wheels: list[Path], target: Path, cache: Path) -> None:
    command = [uv_binary(), "pip", "install", *UV_COMMON_FLAGS, "--no-deps", "--offline", "--no-index", "--quiet",
               "--target", str(target), "--cache-dir", str(cache), "--python", sys.executable,
               "--link-mode", "hardlink", "--compile-bytecode", *map(str, wheels)]
    subprocess.run(command, check=True, env=uv_environment(cache.parent), capture_output=True)


def tree(root: Path) -> dict[str, bytes | None]:
    """Relative path -> bytes (None for bytecode, which embeds the path it was compiled at)."""
    return {str(path.relative_to(root)): None if path.suffix == ".pyc" else path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file() and path.name != ".lock"}


def test_each_distribution_gets_what_installing_it_alone_gives(local_index, tmp_path):
    wheels = {name: local_index.files_dir / filename for name, filename in WHEELS.items()}
    shared, cache = tmp_path / "shared", tmp_path / "cache"
    uv_install(list(wheels.values()), shared, cache)
    destinations = {name: tmp_path / "split" / name for name in wheels}
    split_target(shared, destinations)
    for name, wheel in wheels.items():
        alone = tmp_path / "alone" / name
        uv_install([wheel], alone, cache)
        assert tree(destinations[name]) == tree(alone), name
        assert any(path.endswith(".pyc") for path in tree(alone)), name  # bytecode follows its source
    assert tree(shared) == {}  # nothing of any package stays behind


def fake_install(target: Path, records: dict[str, list[str]]) -> None:
    """A target as an installer would leave it, with the RECORDs given (files exist for each row)."""
    for dist_info, rows in records.items():
        (target / dist_info).mkdir(parents=True)
        (target / dist_info / "RECORD").write_text("".join(f"{row},,\n" for row in rows))
        for row in rows:
            if not row.startswith(("/", "..")) and row != f"{dist_info}/RECORD":
                (target / row).parent.mkdir(parents=True, exist_ok=True)
                (target / row).write_text(row)


@pytest.mark.parametrize(("records", "message"), [
    ({"a-1.dist-info": ["shared/x.py"], "b-1.dist-info": ["shared/x.py"]}, "'shared/x.py' was installed by two"),
    ({"a-1.dist-info": ["../outside.py"], "b-1.dist-info": []}, "outside the install directory"),
    ({"a-1.dist-info": ["/etc/passwd"], "b-1.dist-info": []}, "outside the install directory"),
    ({"a-1.dist-info": [], "b-1.dist-info": [], "c-1.dist-info": []}, "holds c-1.dist-info, which was not asked"),
    ({"a-1.dist-info": []}, "holds no .dist-info for b"),
])
def test_what_cannot_be_divided_safely_is_refused(tmp_path, records, message):
    fake_install(tmp_path / "shared", records)
    with pytest.raises(SplitError, match=message):
        split_target(tmp_path / "shared", {"a": tmp_path / "a", "b": tmp_path / "b"})
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # refused before moving anything
