"""OpenLambda registry entries (openlambda.py): the tarball as `ol admin install` uploads it, read
the way OpenLambda's worker reads it, and the upload against a stand-in registry."""

from __future__ import annotations

import io
import socket
import tarfile
import threading
import tomllib

import pytest
import yaml
from packaging.pylock import Pylock

from ol_notebook.export.model import ExportError
from ol_notebook.export.openlambda import export_openlambda, upload_openlambda
from ol_notebook.export.summary import summary_of_archive
from ol_notebook.export.target import aws_target, openlambda_target
from ol_notebook.index import IndexConfig
from tests.export.registry_double import RegistryDouble
from tests.export.test_wheels import LIMITS, caches_in
from tests.runtime.conftest import sandbox  # noqa: F401  (the fixture)

CODE = "import abimath\n\n\ndef f(event):\n    return abimath.add(event['a'], event['b'])\n"
FILES = ["f.py", "ol.yaml", "pylock.toml", "requirements.in", "requirements.txt"]


@pytest.fixture
def export(platform_index, sandbox, tmp_path):  # noqa: F811 (the imported fixture)
    caches = caches_in(tmp_path / "caches")

    def run(requirements, out="out", environment=None, target=None):
        return export_openlambda("adder", CODE, requirements, target or openlambda_target(), out_dir=tmp_path / out,
                                 environment=environment or {}, index=IndexConfig("url", platform_index.url),
                                 sandbox=sandbox, caches=caches, limits=LIMITS)

    run.index_url = platform_index.url
    return run


def _files(path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        assert all(member.isfile() for member in archive.getmembers())
        return {member.name: archive.extractfile(member).read() for member in archive.getmembers()}


def worker_installs(requirements_txt: str) -> list[str]:
    """What OpenLambda's worker pip-installs from requirements.txt (go/worker/lambda/lambdaFunction.go,
    parseMeta): each line with spaces removed, cut at '#', if not empty, lowercased, '_' -> '-'."""
    installs = []
    for line in requirements_txt.splitlines():
        package = line.replace(" ", "").split("#")[0]
        if package:
            installs.append(package.lower().replace("_", "-"))
    return installs


def test_the_tarball_holds_what_ol_admin_install_uploads(export, tmp_path):
    environment = {"GREETING": "hello", "TRICKY": 'a "quoted": value\nnext: line # not a comment \u2028 \U0001f600'}
    result = export(["abimath", "puresdist", "armdep"], environment=environment)
    path = tmp_path / "out" / "adder.tar.gz"
    assert result.files == (path,) and result.target == openlambda_target().label
    files = _files(path)
    assert list(files) == FILES  # in this order: sorted, regular files only, nothing else
    assert files["f.py"].decode() == CODE
    assert files["requirements.in"].decode() == "abimath\npuresdist\narmdep\n"
    config = yaml.safe_load(files["ol.yaml"])
    assert config == {"triggers": {"http": [{"method": "POST"}]}, "environment": environment}
    pins = ["abimath==1.0", "armdep==1.0", "plainpy==1.0", "puresdist==1.0"]
    requirements = files["requirements.txt"].decode()
    assert sorted(worker_installs(requirements)) == pins  # nothing else reaches pip on the worker
    assert requirements.splitlines()[0] == f"# --index-url {export.index_url}"
    for line in requirements.splitlines()[1:]:
        if not line.startswith("#"):
            assert "  # --hash=sha256:" in line
    lock = Pylock.from_dict(tomllib.loads(files["pylock.toml"].decode()))
    assert sorted(f"{package.name}=={package.version}" for package in lock.packages) == pins
    assert summary_of_archive(path) == result.packages
    assert next(package for package in result.packages if package.name == "puresdist").built == "sdist"


def test_the_same_lambda_exports_byte_identical(export):
    first, second = export(["abimath"], out="one"), export(["abimath"], out="two")
    assert first.files[0].read_bytes() == second.files[0].read_bytes()


def test_an_aws_target_is_refused(export):
    with pytest.raises(ExportError, match="needs an OpenLambda target"):
        export([], target=aws_target())


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "adder.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("f.py"), io.BytesIO(b""))
    return path


def test_upload_posts_the_tarball_as_gzip_and_expects_201(archive):
    with RegistryDouble() as registry:
        message = upload_openlambda(archive, registry.url + "/", "adder")
        assert message == f"uploaded adder.tar.gz ({archive.stat().st_size:,} bytes) to {registry.url}/registry/adder"
        [upload] = registry.uploads
        assert (upload.name, upload.content_type, upload.body) == ("adder", "application/gzip", archive.read_bytes())


def test_upload_failures_name_the_url_the_status_and_the_registry_answer(archive):
    with RegistryDouble() as registry:
        url = f"{registry.url}/registry/adder"
        registry.answer_next(500, b"worker: disk full\n")
        with pytest.raises(ExportError) as raised:
            upload_openlambda(archive, registry.url, "adder")
        assert str(raised.value) == (f"the OpenLambda registry at {url} answered 500 Internal Server Error to the "
                                     "upload of adder.tar.gz, not 201 Created: worker: disk full")
        registry.answer_next(200)
        with pytest.raises(ExportError, match=r"answered 200 OK .*not 201 Created: \(an empty body\)"):
            upload_openlambda(archive, registry.url, "adder")
        assert registry.uploads == []
    with pytest.raises(ExportError, match=f"cannot upload adder.tar.gz to the OpenLambda registry at {url}: "):
        upload_openlambda(archive, registry.url, "adder", timeout=5)  # the registry is gone
    with pytest.raises(ExportError, match="is not an http"):
        upload_openlambda(archive, "ftp://example.invalid", "adder")


def test_upload_to_something_that_does_not_speak_http_names_the_url(archive):
    with socket.create_server(("127.0.0.1", 0)) as server:
        def answer_garbage() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"SSH-2.0-OpenSSH\r\n")

        thread = threading.Thread(target=answer_garbage)
        thread.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(ExportError, match=f"cannot upload adder.tar.gz to the OpenLambda registry at {url}/"):
            upload_openlambda(archive, url, "adder", timeout=10)
        thread.join()
