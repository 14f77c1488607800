"""What must hold before a bundle is written: it runs on its target, fits its limits, and no
package overwrites our own files or another package's.

Each check collects every problem and raises one ExportError listing them, each naming the
package and the file, so a user fixes all of them in one go. Shared objects are found by
content, not name (ELF magic: a `.so`, a `.so.1`, a file in `.libs/`, a binary named anything),
reading only the first 20 bytes of each member (e_ident and e_machine), inflated from the wheel
as far as needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ol_notebook.export.archive import member_heads
from ol_notebook.export.model import ExportError
from ol_notebook.export.target import Target
from ol_notebook.export.unpack import PackageFiles
from ol_notebook.sizes import format_size

AWS_UNZIPPED_LIMIT = 262_144_000  # bytes: function and all its layers, unzipped (AWS Lambda quotas)
AWS_DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024  # bytes: a zip uploaded directly, not through S3
ELF_MAGIC = b"\x7fELF"
_ELF_HEADER = 20  # e_ident (16), e_type (2), e_machine (2)
_ELFCLASS64 = 2
_ELFDATA2LSB = 1  # little-endian: both x86_64 and aarch64 Lambda hosts
MACHINE_NAMES = {3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390", 40: "arm", 62: "x86_64", 183: "aarch64",
                 243: "riscv"}
_PYCACHE = re.compile(r"__pycache__/([^./]+)\.[^/]*")  # a root module's cached bytecode
_LARGEST_SHOWN = 5
_PROBLEMS_SHOWN = 20


def check_wheel_tags(packages: Sequence[PackageFiles], target: Target) -> None:
    """Every wheel's tags are ones the target runs (its Python, ABI, glibc and machine)."""
    problems = [f"{package.label}: wheel {package.wheel.wheel.name} does not run there (tags {package.tags})"
                for package in packages if target.wheel_rank(package.wheel.wheel.name) is None]
    _raise(problems, f"wheels that cannot run on {target.label}")


def check_shared_objects(packages: Sequence[PackageFiles], target: Target) -> None:
    """Every ELF member is 64-bit, little-endian and built for the target's machine."""
    owner = {id(member): package for package in packages for member in package.members}
    problems = []
    for member, head in member_heads((m for package in packages for m in package.members), _ELF_HEADER):
        if not head.startswith(ELF_MAGIC):
            continue
        where = f"{owner[id(member)].label}: {member.name}"
        if len(head) < _ELF_HEADER:
            problems.append(f"{where} is a truncated ELF file ({len(head)} bytes)")
            continue
        elf_class, encoding = head[4], head[5]
        machine = int.from_bytes(head[18:20], "little" if encoding == _ELFDATA2LSB else "big")
        if elf_class != _ELFCLASS64 or encoding != _ELFDATA2LSB or machine != target.elf_machine:
            built = (f"{64 if elf_class == _ELFCLASS64 else 32}-bit {'little' if encoding == _ELFDATA2LSB else 'big'}"
                     f"-endian {_machine(machine)}")
            problems.append(f"{where} is built for {built}, but the target needs 64-bit little-endian "
                            f"{_machine(target.elf_machine)}")
    _raise(problems, f"shared objects that cannot load on {target.label}")


def check_no_overlap(packages: Sequence[PackageFiles], reserved: Mapping[str, str]) -> None:
    """No package writes a file of ours (`reserved`: path -> what it is), shadows one of our
    modules (by import name: a package directory or an extension module wins over a .py; or by a
    `__pycache__/` entry, which an unchecked-hash pyc makes load whatever the source), or writes
    a file another package writes with other content."""
    problems = []
    ours = {path.removesuffix(".py"): what for path, what in reserved.items() if path.endswith(".py")}
    owners: dict[str, tuple[PackageFiles, int, int]] = {}
    for package in packages:
        for module in package.import_names:
            if module in ours:
                problems.append(f"{package.label} provides the module {module!r}, which would replace {ours[module]}")
        for member in package.members:
            if (top := member.name.split("/", 1)[0]) in reserved:
                problems.append(f"{package.label}: its file {member.name} would overwrite {reserved[top]}")
            elif (cached := _PYCACHE.fullmatch(member.name)) is not None and cached.group(1) in ours:
                problems.append(f"{package.label}: its file {member.name} is bytecode Python could load in place "
                                f"of {ours[cached.group(1)]}")
            content = (member.size, member.source.info.CRC)
            first = owners.setdefault(member.name, (package, *content))
            if first[0] is not package and first[1:] != content:
                problems.append(f"{package.label} and {first[0].label} both install {member.name}, with different "
                                "content")
    _raise(problems, "files that would overwrite others")


def check_unpacked_size(packages: Sequence[PackageFiles], own_bytes: int, limit: int, what: str) -> None:
    """The unpacked bundle (packages and our own files) fits `limit`; the error names the largest packages."""
    total = own_bytes + sum(package.size for package in packages)
    if total <= limit:
        return
    largest = sorted(packages, key=lambda package: (-package.size, package.wheel.name))[:_LARGEST_SHOWN]
    shown = ", ".join(f"{package.label} ({format_size(package.size)})" for package in largest)
    raise ExportError(f"the bundle unpacks to {format_size(total)} ({total:,} bytes), over {what} of "
                      f"{format_size(limit)} ({limit:,} bytes); the largest packages: {shown}. Drop or split "
                      "requirements, or pin smaller versions")


def upload_warning(archive: Path, limit: int, layered: bool) -> str | None:
    """A warning when a zip is too big to upload to AWS Lambda directly (it still deploys via S3)."""
    size = archive.stat().st_size
    if size <= limit:
        return None
    advice = "" if layered else ", or export with --layer to move the packages into a layer zip"
    return (f"{archive.name} is {format_size(size)} zipped, over the {format_size(limit)} AWS Lambda takes by direct "
            f"upload: put it in S3 and deploy from there (aws lambda create-function ... --code "
            f"S3Bucket=BUCKET,S3Key={archive.name}){advice}")


def _machine(number: int) -> str:
    return f"{MACHINE_NAMES.get(number, 'an unknown machine')} (e_machine {number})"


def _raise(problems: list[str], what: str) -> None:
    if problems:
        shown = [f"  {problem}" for problem in problems[:_PROBLEMS_SHOWN]]
        if len(problems) > _PROBLEMS_SHOWN:
            shown.append(f"  ... and {len(problems) - _PROBLEMS_SHOWN} more")
        raise ExportError(f"{len(problems)} {what}:\n" + "\n".join(shown))
