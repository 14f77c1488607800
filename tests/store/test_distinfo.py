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

