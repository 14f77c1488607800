"""Where an export will run: engine, machine, glibc and full Python version, as data.

Everything that must be decided FOR THE TARGET, never the host, comes from here: the uv flags that
resolve for it with no target Python installed (`uv_args`), the wheel tags it accepts in
preference order (`tags`, `wheel_rank`), the PEP 508 marker environment its requirements are
evaluated in (`environment`) and the ELF machine its shared objects must be built for.

glibc is the target's real one (Amazon Linux 2: 2.26), so a manylinux_2_24 wheel is accepted;
uv's `--python-platform` only knows some manylinux levels (2_17, 2_28, 2_31..2_40), so the
resolve asks for the highest of those at or below the target's glibc (2_17 on Amazon Linux 2):
uv may then pass over a version whose only wheels are manylinux_2_24, which is safe, never wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from packaging import tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ol_notebook.export.model import ExportError

ENGINES = ("aws-lambda", "openlambda")
MACHINES = {"x86_64": 62, "aarch64": 183}  # uname -m -> ELF e_machine (EM_X86_64, EM_AARCH64)
AWS_ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}  # AWS's architecture names -> uname -m

# The manylinux levels `uv pip compile --python-platform` accepts (uv 0.13, `--help`): 2_17 to 2_40
# but no 2_18..2_27 or 2_29/2_30.
UV_MANYLINUX = ((2, 17), (2, 28), *((2, minor) for minor in range(31, 41)))
# The oldest manylinux level per machine: manylinux1 (glibc 2.5) for x86_64; aarch64 wheels start
# at manylinux2014 (2.17). Older wheels run on a newer glibc, so every level down to these counts.
OLDEST_GLIBC = {"x86_64": (2, 5), "aarch64": (2, 17)}
LEGACY_MANYLINUX = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}

# AWS Lambda's managed Python runtimes: (full Python version, glibc). The patch versions are the ones
# the runtimes' base images (public.ecr.aws/lambda/python:3.X) carried in 2025; AWS patches them
# in place, so they only matter to `python_full_version` markers (pass --python X.Y.Z to be exact).
# Operating systems per AWS's "Building Lambda functions with Python" page: 3.12 and 3.13 run on
# Amazon Linux 2023 (glibc 2.34), 3.9 to 3.11 on Amazon Linux 2 (glibc 2.26).
AWS_RUNTIMES = {
    "3.9": ("3.9.23", (2, 26)),
    "3.10": ("3.10.18", (2, 26)),
    "3.11": ("3.11.13", (2, 26)),
    "3.12": ("3.12.11", (2, 34)),
    "3.13": ("3.13.5", (2, 34)),
}
# OpenLambda's worker image (open-lambda min-image/Dockerfile: FROM ubuntu:22.04, apt's python3):
# Python 3.10.12 on glibc 2.35, x86_64. Its python is settable since users build their own image.
OPENLAMBDA_PYTHON = "3.10.12"
OPENLAMBDA_GLIBC = (2, 35)

_VERSION = re.compile(r"3\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Target:
    """An engine's platform and interpreter; every field is what the target itself would report."""

    engine: str  # "aws-lambda" | "openlambda"
    machine: str  # "x86_64" | "aarch64" (uname -m on the target)
    python: str  # the full version resolved for, e.g. "3.12.11"
    glibc: tuple[int, int]  # the target's glibc, e.g. (2, 34)
    label: str  # for messages and summaries

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ExportError(f"unknown export engine {self.engine!r}: use one of {', '.join(ENGINES)}")
        if self.machine not in MACHINES:
            raise ExportError(f"unknown target machine {self.machine!r}: use one of {', '.join(MACHINES)}")
        if not _VERSION.fullmatch(self.python) or not _VERSION.fullmatch(self.python).group(2):
            raise ExportError(f"the target's python must be a full version 3.X.Y, not {self.python!r}")
        if self.glibc < OLDEST_GLIBC[self.machine]:
            raise ExportError(f"glibc {self.glibc[0]}.{self.glibc[1]} is older than any manylinux "
                              f"wheel for {self.machine} allows")

    @property
    def python_minor(self) -> str:
        """e.g. "3.12"."""
        return ".".join(self.python.split(".")[:2])

    @property
    def key(self) -> str:
        """A directory-safe id of everything a wheel's fit depends on, e.g.
        aws-lambda-3.12.11-manylinux_2_34_aarch64 (caches and closures are keyed by it)."""
        return f"{self.engine}-{self.python}-{self.manylinux}"

    @property
    def manylinux(self) -> str:
        """The target's own platform tag, e.g. manylinux_2_34_aarch64."""
        return f"manylinux_{self.glibc[0]}_{self.glibc[1]}_{self.machine}"

    @property
    def uv_platform(self) -> str:
        """The `--python-platform` value uv knows that is closest to, never above, the target's glibc."""
        level = max(level for level in UV_MANYLINUX if level <= self.glibc)
        return f"{self.machine}-manylinux_{level[0]}_{level[1]}"

    @property
    def uv_args(self) -> tuple[str, ...]:
        """Resolve for the target, with no target Python present."""
        return ("--python-version", self.python, "--python-platform", self.uv_platform)

    @cached_property
    def platforms(self) -> tuple[str, ...]:
        """The platform tags the target runs, best (its own glibc) first, legacy aliases beside theirs."""
        found: list[str] = []
        oldest = OLDEST_GLIBC[self.machine]
        for minor in range(self.glibc[1], oldest[1] - 1, -1):
            found.append(f"manylinux_2_{minor}_{self.machine}")
            if (legacy := LEGACY_MANYLINUX.get((2, minor))) is not None:
                found.append(f"{legacy}_{self.machine}")
        return tuple(found)

    @cached_property
    def tags(self) -> tuple[tags.Tag, ...]:
        """Every wheel tag the target accepts, best first: cpXY, then abi3 down to cp32, then none."""
        version = tuple(int(part) for part in self.python.split(".")[:2])
        interpreter = f"cp{version[0]}{version[1]}"
        return (
            *tags.cpython_tags(version, abis=[interpreter], platforms=self.platforms),
            *tags.compatible_tags(version, interpreter=interpreter, platforms=self.platforms),
        )

    @cached_property
    def _rank(self) -> dict[str, int]:
        return {str(tag): position for position, tag in reversed(list(enumerate(self.tags)))}

    @cached_property
    def environment(self) -> dict[str, str]:
        """The PEP 508 marker environment of the target (what `default_environment()` says there)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python,
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": self.python,
            "python_version": self.python_minor,
            "sys_platform": "linux",
        }

    @property
    def elf_machine(self) -> int:
        """e_machine every shared object must carry (ELF class is 64-bit for both machines)."""
        return MACHINES[self.machine]

    def wheel_rank(self, filename: str) -> int | None:
        """How well a wheel fits (lower is better), or None when it cannot run on the target."""
        try:
            _, _, _, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        ranks = [self._rank[str(tag)] for tag in wheel_tags if str(tag) in self._rank]
        return min(ranks) if ranks else None


def aws_target(arch: str = "x86_64", python: str = "3.12") -> Target:
    """An AWS Lambda managed Python runtime: arch is AWS's name (x86_64 | arm64), python X.Y or X.Y.Z."""
    if arch not in AWS_ARCHES:
        raise ExportError(f"unknown AWS Lambda architecture {arch!r}: use one of {', '.join(AWS_ARCHES)}")
    match = _VERSION.fullmatch(python)
    minor = f"3.{match.group(1)}" if match else None
    if minor not in AWS_RUNTIMES:
        raise ExportError(f"AWS Lambda has no python{python} runtime: use one of {', '.join(AWS_RUNTIMES)} "
                          "(or a full version of one, e.g. 3.12.11)")
    full, glibc = AWS_RUNTIMES[minor]
    if match.group(2) is not None:
        full = python
    machine = AWS_ARCHES[arch]
    platform = f"manylinux_{glibc[0]}_{glibc[1]}_{machine}"
    return Target(engine="aws-lambda", machine=machine, python=full, glibc=glibc,
                  label=f"AWS Lambda python{minor} {arch} ({platform})")


def openlambda_target(python: str = OPENLAMBDA_PYTHON) -> Target:
    """OpenLambda's worker image (x86_64, Ubuntu 22.04's glibc). python is settable for a worker
    image of one's own: X.Y.Z, or X.Y meaning X.Y.0 (only `python_full_version` markers see the patch)."""
    match = _VERSION.fullmatch(python)
    if match is None:
        raise ExportError(f"the OpenLambda worker's python must be a version like 3.10.12, not {python!r}")
    full = python if match.group(2) is not None else f"{python}.0"
    platform = f"manylinux_{OPENLAMBDA_GLIBC[0]}_{OPENLAMBDA_GLIBC[1]}_x86_64"
    return Target(engine="openlambda", machine="x86_64", python=full, glibc=OPENLAMBDA_GLIBC,
                  label=f"OpenLambda python{full} x86_64 ({platform})")


def export_target(to: str, arch: str = "x86_64", python: str | None = None, layer: bool = False) -> Target:
    """The target an export's options name; ExportError naming the option that does not fit
    (front ends call this first to refuse a bad request before any work)."""
    if to == "aws-lambda":
        return aws_target(arch) if python is None else aws_target(arch, python)
    if to != "openlambda":
        raise ExportError(f"export target {to!r} is not known: use one of {', '.join(ENGINES)}")
    if arch != "x86_64":
        raise ExportError(f"arch {arch!r} is for AWS Lambda: an OpenLambda worker runs x86_64 only")
    if layer:
        raise ExportError("layer is for AWS Lambda: an OpenLambda tarball holds no layer")
    return openlambda_target() if python is None else openlambda_target(python)
