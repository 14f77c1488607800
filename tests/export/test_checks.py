"""The checks a bundle passes before it is written (checks.py), each on made-up wheels."""

from __future__ import annotations

import pytest

from ol_notebook.export.aws import RESERVED
from ol_notebook.export.checks import (
    check_no_overlap,
    check_shared_objects,
    check_unpacked_size,
    check_wheel_tags,
    upload_warning,
)
from ol_notebook.export.model import ExportError
from ol_notebook.export.target import aws_target
from ol_notebook.export.unpack import package_files
from tests.export.bundles import EM_AARCH64, EM_X86_64, elf_header, make_wheel

ARM = aws_target("arm64", "3.12")
X86 = aws_target("x86_64", "3.12")


def _package(tmp_path, name, files=None, tag="py3-none-any", version="1.0"):
    return package_files(make_wheel(tmp_path / name, name, version, files, tag))


def test_wheel_tags_must_run_on_the_target(tmp_path):
    good = _package(tmp_path, "good", tag="cp312-cp312-manylinux_2_17_aarch64")
    abi3 = _package(tmp_path, "abi3", tag="cp38-abi3-manylinux_2_28_aarch64")
    newer = _package(tmp_path, "newer", tag="cp312-cp312-manylinux_2_35_aarch64")  # glibc above AL2023's 2.34
    other = _package(tmp_path, "other", tag="cp311-cp311-manylinux_2_17_aarch64")
    check_wheel_tags([good, abi3], ARM)
    with pytest.raises(ExportError) as raised:
        check_wheel_tags([good, newer, other], ARM)
    message = str(raised.value)
    assert "2 wheels that cannot run on AWS Lambda python3.12 arm64" in message
    assert "newer 1.0: wheel newer-1.0-cp312-cp312-manylinux_2_35_aarch64.whl" in message
    assert "other 1.0: wheel other-1.0-cp311-cp311-manylinux_2_17_aarch64.whl" in message
    assert "good" not in message


def test_every_elf_file_whatever_its_name_must_match_the_target_machine(tmp_path):
    package = _package(tmp_path, "mixed", {
        "mixed/__init__.py": b"",
        "mixed/_ok.cpython-312-aarch64-linux-gnu.so": elf_header(EM_AARCH64),
        "mixed/_bad.cpython-312-aarch64-linux-gnu.so": elf_header(EM_X86_64),
        "mixed.libs/libz-1.so.1.2.13": elf_header(EM_X86_64),
        "mixed/bin/helper": elf_header(EM_X86_64),  # no suffix: found by its magic
        "mixed/_thirtytwo.so": elf_header(EM_AARCH64, elf_class=1),
        "mixed/_bigendian.so": elf_header(EM_AARCH64, encoding=2),
        "mixed/_cut.so": b"\x7fELF\x02\x01",
        "mixed/notes.txt": b"ELF is not at the start here \x7fELF",
    }, tag="cp312-cp312-manylinux_2_17_aarch64")
    with pytest.raises(ExportError) as raised:
        check_shared_objects([package], ARM)
    lines = str(raised.value).splitlines()
    assert lines[0] == "6 shared objects that cannot load on AWS Lambda python3.12 arm64 (manylinux_2_34_aarch64):"
    text = "\n".join(lines)
    assert ("mixed 1.0: mixed/_bad.cpython-312-aarch64-linux-gnu.so is built for 64-bit little-endian x86_64 "
            "(e_machine 62), but the target needs 64-bit little-endian aarch64 (e_machine 183)") in text
    for name in ("mixed.libs/libz-1.so.1.2.13", "mixed/bin/helper", "mixed/_thirtytwo.so is built for 32-bit",
                 "mixed/_bigendian.so is built for 64-bit big-endian aarch64", "mixed/_cut.so is a truncated ELF"):
        assert name in text
    assert "_ok" not in text and "notes.txt" not in text
    check_shared_objects([_package(tmp_path, "fine", {"fine/_x.so": elf_header(EM_X86_64)})], X86)


def test_no_package_may_overwrite_our_files_or_shadow_our_modules(tmp_path):
    entry = _package(tmp_path, "entry", {"lambda_function.py": b"def lambda_handler(e, c): pass\n"})
    handler = _package(tmp_path, "handler", {"_ol_notebook_lambda/__init__.py": b"f = print\n"})
    lock = _package(tmp_path, "lock", {"pylock.toml": b"lock-version = '1.0'\n"})
    with pytest.raises(ExportError) as raised:
        check_no_overlap([entry, handler, lock], RESERVED)
    text = str(raised.value)
    assert "entry 1.0 provides the module 'lambda_function', which would replace the handler AWS Lambda calls" in text
    assert "entry 1.0: its file lambda_function.py would overwrite the handler AWS Lambda calls" in text
    assert "handler 1.0 provides the module '_ol_notebook_lambda', which would replace the lambda's code" in text
    assert "lock 1.0: its file pylock.toml would overwrite the bundle's lock" in text


def test_two_packages_may_share_a_file_only_with_the_same_content(tmp_path):
    same_a = _package(tmp_path, "a", {"shared/__init__.py": b"", "a.py": b""})
    same_b = _package(tmp_path, "b", {"shared/__init__.py": b"", "b.py": b""})
    check_no_overlap([same_a, same_b], RESERVED)
    other = _package(tmp_path, "c", {"shared/__init__.py": b"import os\n"})
    with pytest.raises(ExportError, match=r"c 1.0 and a 1.0 both install shared/__init__.py, with different"):
        check_no_overlap([same_a, same_b, other], RESERVED)


def test_the_unpacked_size_limit_names_the_largest_packages(tmp_path):
    packages = [_package(tmp_path, f"p{size}", {f"p{size}/blob.bin": bytes(size * 1000)}) for size in range(1, 8)]
    total = sum(package.size for package in packages)
    check_unpacked_size(packages, 100, total + 100, "the limit")
    with pytest.raises(ExportError) as raised:
        check_unpacked_size(packages, 100, total + 99, "AWS Lambda's unzipped limit")
    text = str(raised.value)
    assert f"({total + 100:,} bytes), over AWS Lambda's unzipped limit" in text
    assert "the largest packages: p7 1.0 (" in text and "p3 1.0" in text and "p2 1.0" not in text


def test_a_zip_over_the_direct_upload_limit_gets_a_warning(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(bytes(2000))
    assert upload_warning(archive, 2000, layered=False) is None
    warning = upload_warning(archive, 1999, layered=False)
    assert "big.zip is 2.0 KB zipped, over the 2.0 KB AWS Lambda takes by direct upload" in warning
    assert "S3Bucket=BUCKET,S3Key=big.zip" in warning and "--layer" in warning
    assert "--layer" not in upload_warning(archive, 1999, layered=True)
