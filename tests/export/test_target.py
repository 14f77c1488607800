"""Export targets: each AWS runtime and OpenLambda's worker as uv flags, wheel tags and markers that
describe the target, never this host; bad values are refused naming the field and what is allowed."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from ol_notebook.export.model import ExportError
from ol_notebook.export.target import Target, aws_target, openlambda_target
from ol_notebook.lock import environment_marker


@pytest.mark.parametrize(
    ("arch", "python", "full", "glibc", "platform"),
    [
        ("x86_64", "3.12", "3.12.11", (2, 34), "x86_64-manylinux_2_34"),
        ("arm64", "3.13", "3.13.5", (2, 34), "aarch64-manylinux_2_34"),
        ("x86_64", "3.11", "3.11.13", (2, 26), "x86_64-manylinux_2_17"),
        ("arm64", "3.9.7", "3.9.7", (2, 26), "aarch64-manylinux_2_17"),
    ],
)
def test_aws_runtimes_resolve_for_their_os_and_python(arch, python, full, glibc, platform) -> None:
    target = aws_target(arch, python)
    assert (target.engine, target.python, target.glibc) == ("aws-lambda", full, glibc)
    assert target.uv_args == ("--python-version", full, "--python-platform", platform)
    assert target.machine == {"x86_64": "x86_64", "arm64": "aarch64"}[arch]
    assert target.python_minor == full.rsplit(".", 1)[0]


def test_the_label_names_runtime_arch_and_platform() -> None:
    assert aws_target("arm64", "3.12").label == "AWS Lambda python3.12 arm64 (manylinux_2_34_aarch64)"
    assert aws_target("x86_64", "3.11").label == "AWS Lambda python3.11 x86_64 (manylinux_2_26_x86_64)"


def test_tags_accept_what_runs_there_best_first() -> None:
    target = aws_target("arm64", "3.12")
    assert str(target.tags[0]) == "cp312-cp312-manylinux_2_34_aarch64"
    rank = target.wheel_rank
    native = rank("fast-1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl")
    abi3 = rank("fast-1-cp38-abi3-manylinux_2_17_aarch64.whl")
    pure = rank("fast-1-py3-none-any.whl")
    assert native is not None and abi3 is not None and pure is not None
    assert rank("fast-1-cp312-cp312-manylinux_2_34_aarch64.whl") < native < abi3 < pure
    for foreign in ("fast-1-cp312-cp312-manylinux_2_17_x86_64.whl",  # another machine
                    "fast-1-cp311-cp311-manylinux_2_17_aarch64.whl",  # another Python
                    "fast-1-cp312-cp312-manylinux_2_35_aarch64.whl",  # a newer glibc
                    "fast-1-cp312-cp312-linux_aarch64.whl",  # not manylinux
                    "fast-1-cp312-cp312-musllinux_1_2_aarch64.whl",
                    "fast-1-cp312-cp312-macosx_11_0_arm64.whl",
                    "not-a-wheel.tar.gz"):
        assert rank(foreign) is None, foreign


def test_amazon_linux_2_takes_its_true_glibc_not_just_manylinux_2_17() -> None:
    target = aws_target("x86_64", "3.11")
    assert target.wheel_rank("np-1-cp311-cp311-manylinux_2_24_x86_64.whl") is not None
    assert target.wheel_rank("np-1-cp311-cp311-manylinux1_x86_64.whl") is not None
    assert target.wheel_rank("np-2-cp311-cp311-manylinux_2_28_x86_64.whl") is None
    assert aws_target("arm64", "3.11").wheel_rank("np-1-cp311-cp311-manylinux2014_aarch64.whl") is not None


def test_markers_are_evaluated_for_the_target() -> None:
    arm, x86 = aws_target("arm64", "3.12"), aws_target("x86_64", "3.11")
    requirement = Requirement('requests; platform_machine == "aarch64"')
    assert requirement.marker.evaluate(arm.environment)
    assert not requirement.marker.evaluate(x86.environment)
    assert Marker('python_version >= "3.12"').evaluate(arm.environment)
    assert not Marker('python_version >= "3.12"').evaluate(x86.environment)
    assert Marker(environment_marker(arm)).evaluate(arm.environment)
    assert not Marker(environment_marker(arm)).evaluate(aws_target("arm64", "3.12.3").environment)


def test_elf_machine() -> None:
    assert aws_target("x86_64").elf_machine == 62
    assert aws_target("arm64").elf_machine == 183


def test_openlambda_is_its_worker_image() -> None:
    target = openlambda_target()
    assert (target.engine, target.machine, target.python, target.glibc) == ("openlambda", "x86_64", "3.10.12", (2, 35))
    assert target.uv_args[-1] == "x86_64-manylinux_2_35"
    assert openlambda_target("3.12.4").python == "3.12.4"
    assert openlambda_target("3.12").python == "3.12.0"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: aws_target("arm", "3.12"), ["architecture", "'arm'", "x86_64", "arm64"]),
        (lambda: aws_target("x86_64", "3.8"), ["python3.8", "3.9", "3.13"]),
        (lambda: aws_target("x86_64", "three"), ["three", "3.12"]),
        (lambda: openlambda_target("2.7"), ["python", "'2.7'"]),
        (lambda: Target("gcp", "x86_64", "3.12.1", (2, 34), "x"), ["engine", "'gcp'", "aws-lambda"]),
        (lambda: Target("aws-lambda", "riscv64", "3.12.1", (2, 34), "x"), ["machine", "'riscv64'", "aarch64"]),
        (lambda: Target("aws-lambda", "x86_64", "3.12", (2, 34), "x"), ["full version", "'3.12'"]),
    ],
)
def test_bad_values_name_the_field_and_what_is_allowed(make, words) -> None:
    with pytest.raises(ExportError) as caught:
        make()
    for word in words:
        assert word in str(caught.value)
