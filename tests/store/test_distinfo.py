"""Import names from RECORD: the top-level packages and modules a distribution provides, by the rule in
`distinfo.import_names`, checked on real RECORDs (tests/store/records/: the paths of published wheels)."""

import json
import os
from pathlib import Path

from ol_notebook.store import Store, entry_key
from ol_notebook.store.distinfo import import_names
from tests.store.test_integrity import publish

RECORDS = Path(__file__).with_name("records")


def recorded_paths(name: str) -> list[str]:
    return (RECORDS / f"{name}.txt").read_text(encoding="utf-8").split()


def test_plain_package_and_module():
    assert import_names(["alpha/__init__.py", "alpha/x.py", "six.py", "alpha-1.0.dist-info/RECORD"]) == ("alpha", "six")


def test_a_single_module_distribution():
    assert import_names(["six.py", "six-1.16.0.dist-info/RECORD", "six-1.16.0.dist-info/top_level.txt"]) == ("six",)


def test_namespace_package_gives_the_real_import_name_not_top_level():
    record = ["nsp/one/__init__.py", "nsp/one/sub/__init__.py", "nsp_one-1.0.dist-info/top_level.txt"]
    assert import_names(record) == ("nsp.one",)


def test_import_name_differs_from_distribution_name():
    assert import_names(["widgetlib/__init__.py", "widget_helpers.py", "py_widget-1.0.dist-info/METADATA"]) == (
        "widget_helpers",
        "widgetlib",
    )


def test_extension_modules_count_and_data_scripts_pth_do_not():
    record = [
        "fast.cpython-311-x86_64-linux-gnu.so",
        "bin/tool",
        "extra.pth",
        "pkg.data/scripts/x",
        "__pycache__/six.cpython-311.pyc",
        "../../bin/outside",
    ]
    assert import_names(record) == ("fast",)


def test_googleapis_common_protos_gives_its_namespace_levels_not_68_pb2_modules():
    """1.66.0 has no __init__.py at all: google/, google/api/, google/rpc/ are namespace directories."""
    paths = recorded_paths("googleapis_common_protos-1.66.0")
    assert sum(path.endswith("_pb2.py") for path in paths) >= 60 and not any("__init__" in path for path in paths)
    assert import_names(paths) == ("google.api", "google.cloud", "google.gapic.metadata", "google.logging.type",
                                   "google.longrunning", "google.rpc", "google.type")


def test_a_namespace_level_that_is_a_regular_package_in_other_versions_reads_the_same():
    with_init = [*recorded_paths("googleapis_common_protos-1.66.0"), "google/api/__init__.py", "google/rpc/__init__.py"]
    assert import_names(with_init) == import_names(recorded_paths("googleapis_common_protos-1.66.0"))


def test_zope_interface_is_zope_dot_interface_not_zope():
    """No zope/__init__.py; its .so extension modules and its tests stay inside zope.interface."""
    paths = recorded_paths("zope.interface-7.2-cp311-manylinux")
    assert "zope/__init__.py" not in paths and any(path.endswith(".so") for path in paths)
    assert import_names(paths) == ("zope.interface",)


def test_a_chain_of_namespace_directories_is_followed_to_the_package():
    record = ["google/cloud/storage/__init__.py", "google/cloud/storage/blob.py", "google/cloud/storage/_http.py"]
    assert import_names(record) == ("google.cloud.storage",)
    assert import_names(["azure/mgmt/compute/__init__.py", "azure/mgmt/compute/v2023/models.py"]) == (
        "azure.mgmt.compute",)


def test_a_tests_package_at_the_top_is_not_an_import_name():
    record = ["mylib/__init__.py", "tests/__init__.py", "tests/test_mylib.py", "test/__init__.py", "mylib/tests/x.py"]
    assert import_names(record) == ("mylib",)


def test_entries_recorded_under_the_first_rule_are_listed_by_todays(tmp_path):
    """A store written before the rule changed lists the names the rule gives now (meta.json stays as written)."""
    store = Store(tmp_path / "store", "cp311-cp311-linux_x86_64")
    publish(store, "protos", extra={"google/api/http_pb2.py": "", "google/api/auth_pb2.py": ""})
    assert store.get(entry_key("protos", "1.0")).metadata.import_names == ("google.api", "protos")
    meta = store.packages_dir / entry_key("protos", "1.0") / "meta.json"
    written = json.loads(meta.read_text())
    os.chmod(meta.parent, 0o755)
    os.chmod(meta, 0o644)
    old = {key: value for key, value in written.items() if key != "import_names_rule"}
    meta.write_text(json.dumps({**old, "import_names": ["google.api.auth_pb2", "google.api.http_pb2", "protos"]}))
    fresh = Store(tmp_path / "store", "cp311-cp311-linux_x86_64")
    assert fresh.get(entry_key("protos", "1.0")).metadata.import_names == ("google.api", "protos")
    assert json.loads(meta.read_text())["import_names"][0] == "google.api.auth_pb2"
