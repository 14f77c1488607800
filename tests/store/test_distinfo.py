from ol_notebook.store.distinfo import import_names


def test_plain_package_and_module():
    assert import_names(["alpha/__init__.py", "alpha/x.py", "six.py", "alpha-1.0.dist-info/RECORD"]) == ("alpha", "six")


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


def test_regenerated_bytecode_is_not_a_record_mismatch(tmp_path):
    from ol_notebook.store.distinfo import RecordRow
    from ol_notebook.store.store import _record_problems

    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"recompiled")
    (tmp_path / "pkg" / "__pycache__" / "orphan.cpython-311.pyc").write_bytes(b"no source")
    record = [
        RecordRow("pkg/mod.py", "sha256", "7dyI-Y3l4dT7_Qcn5B7N7N2r6Hdbc5gWjCqLS3s38f0", 6),
        RecordRow("pkg/__pycache__/mod.cpython-311.pyc", "sha256", "shipped-by-the-wheel", 10),
        RecordRow("pkg/__pycache__/orphan.cpython-311.pyc", "sha256", "shipped-by-the-wheel", 9),
    ]
    assert _record_problems(tmp_path, record) == [
        "pkg/mod.py does not match its sha256 in RECORD",
        "pkg/__pycache__/orphan.cpython-311.pyc does not match its sha256 in RECORD",
    ]
