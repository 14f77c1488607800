"""The deterministic writers (archive.py) and how a wheel becomes bundle members (unpack.py)."""

from __future__ import annotations

import gzip
import hashlib
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from ol_notebook.export.archive import Member, member_heads, write_tar_gz, write_zip
from ol_notebook.export.model import ExportError
from ol_notebook.export.unpack import package_files
from tests.export.bundles import EM_AARCH64, elf_header, make_wheel

BIG = bytes(range(256)) * 4096  # 1 MiB that deflates well but not to nothing


def _wheel(tmp_path: Path):
    return make_wheel(tmp_path / "wheels", "fastish", files={
        "fastish/__init__.py": b"from fastish._core import add\n",
        "fastish/_core.cpython-312-aarch64-linux-gnu.so": elf_header(EM_AARCH64) + BIG,
        "fastish.libs/libhelper-1a2b.so.1.2": elf_header(EM_AARCH64),
        "fastish/data.bin": BIG,
        "fastish-1.0.data/purelib/fastish_extra.py": b"EXTRA = 1\n",
        "fastish-1.0.data/platlib/fastish_plat/__init__.py": b"",
        "fastish-1.0.data/scripts/fastish-cli": b"#!python\nprint(1)\n",
        "fastish-1.0.data/headers/fastish.h": b"int add(int, int);\n",
        "fastish-1.0.data/data/share/fastish.txt": b"data\n",
    }, tag="cp312-cp312-manylinux_2_17_aarch64")


def test_a_wheel_installs_into_a_bundle_as_pip_target_would_minus_scripts_headers_and_data(tmp_path):
    package = package_files(_wheel(tmp_path))
    names = sorted(member.name for member in package.members)
    assert names == [
        "fastish-1.0.dist-info/METADATA", "fastish-1.0.dist-info/RECORD", "fastish-1.0.dist-info/WHEEL",
        "fastish.libs/libhelper-1a2b.so.1.2",
        "fastish/__init__.py", "fastish/_core.cpython-312-aarch64-linux-gnu.so", "fastish/data.bin",
        "fastish_extra.py", "fastish_plat/__init__.py",
    ]
    modes = {member.name: member.mode for member in package.members}
    assert modes["fastish/_core.cpython-312-aarch64-linux-gnu.so"] == 0o755
    assert modes["fastish.libs/libhelper-1a2b.so.1.2"] == 0o755
    assert modes["fastish/__init__.py"] == modes["fastish/data.bin"] == 0o644
    assert package.import_names == ("fastish", "fastish_extra", "fastish_plat")
    assert package.tags == "cp312-cp312-manylinux_2_17_aarch64"
    assert package.under("python/")[0].name.startswith("python/")


def _zip(tmp_path: Path, name: str) -> Path:
    package = package_files(_wheel(tmp_path))
    path = tmp_path / name
    write_zip(path, [Member("lambda_function.py", data=b"def lambda_handler(e, c):\n    return e\n"),
                     *reversed(package.members)])
    return path


def test_a_zip_is_sorted_timeless_with_fixed_modes_no_extras_and_byte_identical(tmp_path):
    first, second = _zip(tmp_path, "one.zip"), _zip(tmp_path, "two.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.extra == b"" and info.comment == b"" and info.create_system == 3
            assert info.external_attr >> 16 in (0o100644, 0o100755)
            assert not info.flag_bits & 0x8  # no data descriptor
        assert archive.read("fastish/data.bin") == BIG
        assert archive.read("fastish/_core.cpython-312-aarch64-linux-gnu.so") == elf_header(EM_AARCH64) + BIG
    # every local header too: no extra field, the fixed time (zipfile reads only the central directory's)
    data = first.read_bytes()
    offset = 0
    while data[offset:offset + 4] == b"PK\x03\x04":
        _, _, _, _, time, date, _, size, _, name_length, extra_length = struct.unpack(
            "<4sHHHHHIIIHH", data[offset:offset + 30])
        assert (time, date, extra_length) == (0, 0x21, 0)
        offset += 30 + name_length + size
    unzip = subprocess.run(["unzip", "-tq", str(first)], capture_output=True, text=True)
    assert unzip.returncode == 0, unzip.stdout + unzip.stderr


def test_wheel_members_are_copied_compressed_not_recompressed(tmp_path):
    wheel = _wheel(tmp_path)
    bundle = _zip(tmp_path, "bundle.zip")
    with zipfile.ZipFile(wheel.wheel) as source, zipfile.ZipFile(bundle) as copy:
        original = source.getinfo("fastish/data.bin")
        copied = copy.getinfo("fastish/data.bin")
        assert (copied.CRC, copied.compress_size, copied.file_size) == \
            (original.CRC, original.compress_size, original.file_size)


def test_member_heads_inflate_only_the_start(tmp_path):
    package = package_files(_wheel(tmp_path))
    heads = dict((member.name, head) for member, head in member_heads(package.members, 20))
    assert heads["fastish/_core.cpython-312-aarch64-linux-gnu.so"] == elf_header(EM_AARCH64)[:20]
    assert heads["fastish/data.bin"] == BIG[:20]
    assert heads["fastish_plat/__init__.py"] == b""


def test_a_failed_write_leaves_nothing(tmp_path):
    package = package_files(_wheel(tmp_path))
    package.wheel.wheel.write_bytes(b"")  # the wheel vanishes under the writer
    with pytest.raises(ExportError, match="fastish"):
        write_zip(tmp_path / "out.zip", package.members)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["wheels"]


def test_two_files_of_one_name_are_refused(tmp_path):
    with pytest.raises(ExportError, match=r"a\.py"):
        write_zip(tmp_path / "x.zip", [Member("a.py", data=b"1"), Member("a.py", data=b"2")])


def test_a_tar_gz_is_sorted_timeless_ownerless_ustar_and_byte_identical(tmp_path):
    files = [Member("requirements.txt", data=b"x==1\n"), Member("f.py", data=b"def f(e):\n    return e\n"),
             Member("ol.yaml", data=b"triggers: {}\n")]
    write_tar_gz(tmp_path / "one.tar.gz", files)
    write_tar_gz(tmp_path / "two.tar.gz", list(reversed(files)))
    first = (tmp_path / "one.tar.gz").read_bytes()
    assert first == (tmp_path / "two.tar.gz").read_bytes()
    assert first[4:8] == b"\0\0\0\0"  # gzip mtime
    raw = gzip.decompress(first)
    assert b"PaxHeader" not in raw and b"ustar\x0000" in raw
    with tarfile.open(tmp_path / "one.tar.gz") as archive:
        members = archive.getmembers()
        assert [member.name for member in members] == ["f.py", "ol.yaml", "requirements.txt"]
        for member in members:
            assert member.isfile() and member.mtime == 0 and member.uid == member.gid == 0
            assert member.uname == member.gname == "" and member.mode == 0o644
        assert hashlib.sha256(archive.extractfile("f.py").read()).digest() == \
            hashlib.sha256(b"def f(e):\n    return e\n").digest()
