"""What an sdist build hands back is an archive on its stdout: only one plain top-level wheel is taken."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from ol_notebook.build_output import BuildOutputError, extract_wheel
from ol_notebook.sandbox import Limits, Sandbox, SandboxDiskExceeded, SandboxSpec


def archive(tmp_path: Path, members: list[tuple[str, bytes | str]]) -> Path:
    """A tar with regular files (bytes) and symlinks (str: the link's target)."""
    path = tmp_path / "out.tar"
    with tarfile.open(path, "w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


def test_the_one_wheel_is_taken(tmp_path: Path) -> None:
    wheel, digest = extract_wheel(archive(tmp_path, [("./a-1.0-py3-none-any.whl", b"zip"), ("./build.log", b"x")]),
                                  tmp_path, "building a")
    assert wheel == tmp_path / "a-1.0-py3-none-any.whl" and wheel.read_bytes() == b"zip" and len(digest) == 64


@pytest.mark.parametrize("members", [
    [("./a-1.0-py3-none-any.whl", "/etc/passwd")],  # a link to a host file
    [("../../etc/a-1.0-py3-none-any.whl", b"zip")],  # a path out of the directory
    [("./sub/a-1.0-py3-none-any.whl", b"zip")],  # not at the top
    [("./a-1.0-py3-none-any.whl", b"zip"), ("./b-1.0-py3-none-any.whl", b"zip")],  # two
    [],
], ids=["symlink", "traversal", "nested", "two", "none"])
def test_anything_else_is_refused_and_nothing_is_written_outside(tmp_path: Path, members: list) -> None:
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(BuildOutputError, match="building a produced"):
        extract_wheel(archive(tmp_path, members), into, "building a")
    assert list(into.iterdir()) == []
    assert not (tmp_path.parent / "etc").exists()


def test_an_endless_output_is_cut_at_the_disk_limit(tmp_path: Path) -> None:
    with (tmp_path / "out.tar").open("wb") as spool, pytest.raises(SandboxDiskExceeded):
        Sandbox().run(SandboxSpec(["sh", "-c", "yes wheel"], python=False, limits=Limits(timeout=30, disk=4 << 20)),
                      stdout=spool)
    assert (tmp_path / "out.tar").stat().st_size <= 4 << 20
