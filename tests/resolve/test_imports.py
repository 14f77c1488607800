"""Reading a cell's imports with ast, and naming the distribution that provides a module."""

import pytest

from ol_notebook.resolve.imports import (
    Import,
    MissingImport,
    distribution_for,
    imports_of,
    missing_imports,
    missing_module,
    provides,
)
from ol_notebook.store import EntryMetadata

CELL = """from __future__ import annotations
import os, sys
import google.api.http_pb2 as pb
from yaml import safe_load
from . import sibling
from .helpers import thing
try:
    import ujson as json
except ImportError:
    import json

if os.environ.get("FAST"):
    import numpy

class Model:
    import PIL.Image

def f(event):
    import sklearn.linear_model
    from bs4 import BeautifulSoup
    import numpy
    return lambda: __import__("cv2")
"""


def entry(name: str, *import_names: str) -> EntryMetadata:
    return EntryMetadata(name, "1.0", f"{name}-1.0-py3-none-any.whl", "http://index/x.whl", "0" * 64, "http://index",
                         import_names=import_names)


def test_every_absolute_import_with_its_line_and_whether_it_runs_only_in_f():
    assert imports_of(CELL) == [
        Import("os", 2, False), Import("sys", 2, False), Import("google.api.http_pb2", 3, False),
        Import("yaml", 4, False), Import("ujson", 8, False), Import("json", 10, False), Import("numpy", 13, False),
        Import("PIL.Image", 16, False), Import("sklearn.linear_model", 19, True), Import("bs4", 20, True),
    ]  # relative imports and __future__ are the cell's own business; numpy counts where it runs first


def test_the_standard_library_is_never_missing_and_the_closures_names_provide():
    provided = ["google.api", "numpy", "ujson"]
    assert missing_imports(CELL, provided) == [
        MissingImport("yaml", "PyYAML", 4, False),
        MissingImport("PIL.Image", "Pillow", 16, False),
        MissingImport("sklearn.linear_model", "scikit-learn", 19, True),
        MissingImport("bs4", "beautifulsoup4", 20, True),
    ]


@pytest.mark.parametrize(("name", "module", "expected"), [
    ("google.api", "google.api.http_pb2", True),
    ("google.api", "google", True),  # a namespace: any of its parts makes it importable
    ("google.api", "google.rpc", False),
    ("yaml", "yaml", True),
    ("yaml", "yamlx", False),
    ("nsp.one", "nsp.two.x", False),
])
def test_what_a_recorded_import_name_provides(name, module, expected):
    assert provides(name, module) is expected


def test_the_store_answers_first_then_the_table_then_the_modules_own_name():
    store = [entry("py-widget", "widget_helpers", "widgetlib"), entry("pyyaml-fork", "yaml")]
    assert distribution_for("widgetlib.sub", store) == "py-widget"
    assert distribution_for("yaml", store) == "pyyaml-fork"
    assert distribution_for("yaml") == "PyYAML"
    assert distribution_for("google.protobuf.message") == "protobuf"
    assert distribution_for("dateutil.parser") == "python-dateutil"
    assert distribution_for("attr") == "attrs"
    assert distribution_for("requests.adapters") == "requests"


def test_the_module_a_module_not_found_error_names():
    assert missing_module("No module named 'google.api'") == "google.api"
    assert missing_module("cannot import name 'x'") is None
