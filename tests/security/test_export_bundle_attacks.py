"""Attacks on the bundles an export writes: a lambda name or code, or an environment, that would
inject into lambda_function.py or ol.yaml; wheel members that would land outside the bundle or on
our own files; zip name tricks. Each is refused with an error naming the culprit, or is shown to
change nothing."""

from __future__ import annotations

import stat
import zipfile

import pytest
import yaml

from ol_notebook.export.archive import Member, write_zip
from ol_notebook.export.aws import RESERVED, entry_point, export_aws
from ol_notebook.export.checks import check_no_overlap
from ol_notebook.export.model import ExportError
from ol_notebook.export.openlambda import export_openlambda, ol_yaml, upload_openlambda
from ol_notebook.export.target import aws_target, openlambda_target
from ol_notebook.export.unpack import package_files
from ol_notebook.index import IndexConfig
from tests.export.bundles import make_wheel, raw_wheel
from tests.export.test_wheels import LIMITS, caches_in

HOSTILE_NAMES = ['adder"""\nimport os\n"""', "../adder", "adder/../../x", "a b", "", "-rf", "x" * 65, "é",
                 "adder\n  - method: GET", "adder\0"]


@pytest.fixture
def caches(tmp_path):
    return caches_in(tmp_path / "caches")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_lambda_name_is_refused_before_anything_is_done(name, sandbox, caches, tmp_path):
    common = dict(index=IndexConfig("url", "http://127.0.0.1:9/simple"), sandbox=sandbox, caches=caches,
                  limits=LIMITS)
    with pytest.raises(ExportError, match=r"lambda name .* is not allowed"):
        export_aws(name, "def f(event):\n    return 1\n", [], aws_target(), out_dir=tmp_path / "out", layer=False,
                   **common)
    with pytest.raises(ExportError, match=r"lambda name .* is not allowed"):
        export_openlambda(name, "def f(event):\n    return 1\n", [], openlambda_target(), out_dir=tmp_path / "out",
                          environment={}, **common)
    with pytest.raises(ExportError, match=r"lambda name .* is not allowed"):
        upload_openlambda(tmp_path / "x.tar.gz", "http://127.0.0.1:9", name)
    assert not (tmp_path / "out").exists()


def test_the_entry_point_varies_only_by_the_validated_name_and_never_holds_code():
    """The code goes into its own module; lambda_function.py is a fixed text around the name."""
    assert entry_point("adder").replace("adder", "NAME") == entry_point("other_one-2").replace("other_one-2", "NAME")
    compile(entry_point("a-b_c"), "lambda_function.py", "exec")


def test_code_that_tries_to_redefine_the_handler_stays_in_its_own_module(sandbox, caches, tmp_path,
                                                                         platform_index):
    code = ('"""\n"""\ndef lambda_handler(event, context):\n    return "hijacked"\n'
            "import lambda_function\nlambda_function.lambda_handler = lambda_handler\n\n"
            "def f(event):\n    return event\n")
    result = export_aws("adder", code, [], aws_target("x86_64", "3.11"), out_dir=tmp_path / "out", layer=False,
                        index=IndexConfig("url", platform_index.url), sandbox=sandbox, caches=caches,
                        limits=LIMITS)
    with zipfile.ZipFile(result.files[0]) as archive:
        assert archive.read("lambda_function.py").decode() == entry_point("adder")
        assert archive.read("_ol_notebook_lambda.py").decode() == code


@pytest.mark.parametrize("environment", [
    {"A": "x\ntriggers:\n  http:\n    - method: GET"},
    {"A": '"\nOL_ENTRY_FILE: "evil.py'},
    {"A": "!!python/object/apply:os.system ['id']"},
    {"A": "&anchor value", "B": "*anchor", "C": "{inline: map}", "D": "- list", "E": "'single'", "F": "\\\\\"",
     "G": "\u2028\u2029\x85\x00".replace("\x00", ""), "H": "", "YES": "no", "null": "~"},
])
def test_environment_values_cannot_add_keys_or_triggers_to_ol_yaml(environment):
    config = yaml.safe_load(ol_yaml("adder", environment))
    assert config == {"triggers": {"http": [{"method": "POST"}]}, "environment": environment}


@pytest.mark.parametrize(("environment", "refused"), [
    ({"A B": "x"}, "environment variable name 'A B' is not allowed"),
    ({"A\ntriggers": "x"}, "is not allowed in ol.yaml"),
    ({"A=B": "x"}, "is not allowed in ol.yaml"),
    ({"OL_ENTRY_FILE": "other.py"}, "would make OpenLambda run another file than the exported f.py"),
    ({"A": "x\0y"}, "must be text without NUL"),
    ({"A": "\ud800"}, "lone surrogates"),
])
def test_environment_names_and_values_ol_yaml_cannot_carry_are_refused(environment, refused):
    with pytest.raises(ExportError, match=refused):
        ol_yaml("adder", environment)


def _record(members: dict[str, bytes], dist_info: str = "evil-1.0.dist-info") -> bytes:
    return "".join(f"{name},,\n" for name in [*members, f"{dist_info}/RECORD"]).encode()


@pytest.mark.parametrize(("member", "why"), [
    ("../escape.py", "would be written outside"),
    ("/etc/cron.d/evil", "would be written outside"),
    ("evil/..\\..\\x.py", "would be written outside"),
    ("./lambda_function.py", "'.'"),
    ("evil//lambda_function.py", "empty"),
    ("evil-1.0.data/purelib//etc/passwd", "empty"),
    ("evil-1.0.data/purelib/../../x.py", "would be written outside"),
])
def test_a_wheel_member_that_would_land_elsewhere_is_refused_naming_the_package(member, why, tmp_path):
    members = {member: b"x = 1\n", "evil-1.0.dist-info/METADATA": b"Name: evil\n"}
    wheel = raw_wheel(tmp_path, "evil", [*members.items(), ("evil-1.0.dist-info/RECORD", _record(members))])
    with pytest.raises(ExportError, match=rf"package evil 1.0 \(wheel evil-1.0-py3-none-any.whl\).*{why}"):
        package_files(wheel)


def test_a_symlink_member_is_refused(tmp_path):
    link = zipfile.ZipInfo("evil/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    members = {"evil-1.0.dist-info/METADATA": b"Name: evil\n"}
    wheel = raw_wheel(tmp_path, "evil", [(link, b"/etc/passwd"), *members.items(),
                                         ("evil-1.0.dist-info/RECORD", _record({"evil/link": b"", **members}))])
    with pytest.raises(ExportError, match=r"package evil 1\.0 .*is a symbolic link"):
        package_files(wheel)


def test_two_members_of_one_name_are_refused(tmp_path):
    members = [("evil/__init__.py", b"good = 1\n"), ("evil/__init__.py", b"import os\n"),
               ("evil-1.0.dist-info/METADATA", b"Name: evil\n")]
    record = _record({"evil/__init__.py": b"", "evil-1.0.dist-info/METADATA": b""})
    with pytest.warns(UserWarning, match="Duplicate name"):
        wheel = raw_wheel(tmp_path, "evil", [*members, ("evil-1.0.dist-info/RECORD", record)])
    with pytest.raises(ExportError, match=r"package evil 1\.0 .*two members that install as 'evil/__init__\.py'"):
        package_files(wheel)


@pytest.mark.parametrize("path", ["lambda_function.py", "pylock.toml", "_ol_notebook_lambda.py",
                                  "evil-1.0.data/purelib/lambda_function.py", "evil-1.0.data/platlib/pylock.toml",
                                  "lambda_function/__init__.py", "lambda_function.cpython-312-x86_64-linux-gnu.so",
                                  "__pycache__/lambda_function.cpython-312.pyc",
                                  "__pycache__/_ol_notebook_lambda.cpython-311.opt-1.pyc"])
def test_a_wheel_that_would_overwrite_our_files_is_refused_naming_the_package(path, tmp_path):
    package = package_files(make_wheel(tmp_path, "evil", files={path: b"def lambda_handler(e, c): pass\n"}))
    with pytest.raises(ExportError, match=r"evil 1\.0"):
        check_no_overlap([package], RESERVED)


def test_zip_names_are_written_as_given_sorted_and_unique(tmp_path):
    """No name trick reorders or duplicates entries: an unzip reads exactly one entry per name."""
    write_zip(tmp_path / "x.zip", [Member("b.py", data=b""), Member("A.py", data=b""), Member("ä.py", data=b"")])
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        assert archive.namelist() == ["A.py", "b.py", "ä.py"]
        assert all(info.flag_bits & 0x800 for info in archive.infolist() if not info.filename.isascii())
    with pytest.raises(ExportError, match="both named"):
        write_zip(tmp_path / "y.zip", [Member("a.py", data=b""), Member("a.py", data=b"")])
    assert not (tmp_path / "y.zip").exists()
