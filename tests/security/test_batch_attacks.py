"""Batched installs, attacked: a wheel installed in one uv run with others must not reach their entries.

Wheels ready together share one `uv pip install --target` and are then divided by their installed
RECORDs (ol_notebook/install/). A hostile wheel may ship a file into another package's directory,
or list another package's file in its RECORD without shipping it; either way the victim's entry
must hold exactly the victim's files, and the hostile one fails alone or keeps only its own.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.puller import PullError
from tests.engine import make_service
from tests.localindex.backend import ZIP_DATE, record_hash, wheel_file_text, write_wheel
from tests.localindex.server import IndexServer

VICTIM = b"TRUSTED = True\n"
HOSTILE = b"HOSTILE = True\n"
BYSTANDERS = ["bystander0", "bystander1", "bystander2"]


def _metadata(name: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()


def _claiming_wheel(directory: Path) -> None:
    """`claimer` ships claimer/__init__.py, and its RECORD also lists victim/__init__.py (not shipped)."""
    contents = {"claimer/__init__.py": b"", "claimer-1.0.dist-info/METADATA": _metadata("claimer"),
                "claimer-1.0.dist-info/WHEEL": wheel_file_text("py3-none-any").encode()}
    rows = [f"{path},{record_hash(data)},{len(data)}" for path, data in contents.items()]
    rows.append(f"victim/__init__.py,{record_hash(HOSTILE)},{len(HOSTILE)}")
    contents["claimer-1.0.dist-info/RECORD"] = "\n".join([*rows, "claimer-1.0.dist-info/RECORD,,", ""]).encode()
    with zipfile.ZipFile(directory / "claimer-1.0-py3-none-any.whl", "w") as archive:
        for path, data in contents.items():
            archive.writestr(zipfile.ZipInfo(path, ZIP_DATE), data)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory) -> Iterator[IndexConfig]:
    files = tmp_path_factory.mktemp("batch-attacks")
    for name, shipped in [("victim", {"victim/__init__.py": VICTIM}),
                          ("squatter", {"victim/__init__.py": HOSTILE, "squatter/__init__.py": b""}),
                          *[(name, {f"{name}/__init__.py": b""}) for name in BYSTANDERS]]:
        write_wheel(str(files), name, "1.0", shipped, _metadata(name).decode())
    _claiming_wheel(files)
    with IndexServer(files) as server:
        yield IndexConfig.from_options(index_url=server.url)


def warm_pull(service, requirements: list[str]):
    """Pull once to fill the caches, remove every entry, pull again: all wheels ready at once (one batch)."""
    closure = service.compile(requirements)
    with contextlib.suppress(PullError):
        service.pull(closure)
    for entry in service.packages():
        service.store.remove(entry.key)
    return closure


def test_a_wheel_shipping_into_another_packages_directory_does_not_change_its_entry(tmp_path, hostile_index):
    service = make_service(tmp_path / "store", hostile_index)
    closure = warm_pull(service, ["victim", "squatter", *BYSTANDERS])
    service.pull(closure)
    assert (service.store.files_dir("victim==1.0") / "victim" / "__init__.py").read_bytes() == VICTIM
    assert service.verify() == []


def test_a_wheel_whose_record_claims_another_packages_file_fails_alone(tmp_path, hostile_index):
    service = make_service(tmp_path / "store", hostile_index)
    closure = warm_pull(service, ["victim", "claimer", *BYSTANDERS])
    with pytest.raises(PullError) as caught:
        service.pull(closure)
    assert list(caught.value.failures) == ["claimer==1.0"]
    assert "victim/__init__.py" in str(caught.value.failures["claimer==1.0"])
    assert (service.store.files_dir("victim==1.0") / "victim" / "__init__.py").read_bytes() == VICTIM
    assert sorted(entry.key for entry in service.packages()) == sorted(f"{n}==1.0" for n in ["victim", *BYSTANDERS])
    assert service.verify() == [] and list(service.store.staging_dir.iterdir()) == []
