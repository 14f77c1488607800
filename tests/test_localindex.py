"""The local index fixture is only worth something if it is right: well-formed archives, correct pages and
hashes, a faithful bandersnatch layout, and — above all — real uv resolving and installing from it.

Nothing here executes a hostile backend: those sdists are only opened and compiled.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import email.parser
import hashlib
import json
import os
import posixpath
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from platform import machine
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from packaging.metadata import Metadata
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from uv import find_uv_bin

from tests.localindex import Canary, IndexServer, build_catalogue, write_simple_tree
from tests.localindex.catalogue import PLATFORM_TAGS
from tests.localindex.distfiles import parse_filename
from tests.localindex.hostile import HOSTILE_MARKER
from tests.localindex.plugin import LocalIndex
from tests.localindex.wheelbuilder import BACKEND_SOURCE

# The contract other tests rely on: exactly these files.
EXPECTED_FILES = {
    *(f"alpha-{v}-py3-none-any.whl" for v in ("1.0", "1.1", "2.0")),
    *(f"beta-{v}-py3-none-any.whl" for v in ("1.0", "1.5", "2.0")),
    *(f"{n}-1.0-py3-none-any.whl" for n in ("gamma", "delta", "epsilon", "zeta", "eta", "theta")),
    "nsp_one-1.0-py3-none-any.whl",
    "nsp_two-1.0-py3-none-any.whl",
    "py_widget-1.0-py3-none-any.whl",
    "toolpkg-1.0-py3-none-any.whl",
    "sdistonly-1.0.tar.gz",
    "olbuild-1.0-py3-none-any.whl",
    "needsbuild-1.0.tar.gz",
    *(f"platpkg-1.0-{tag}.whl" for tag in PLATFORM_TAGS.values()),
    "modern-0.9-py3-none-any.whl",
    *(f"six-{v}-py3-none-any.whl" for v in ("1.16.0", "1.17.0")),
    "modern-1.0-py3-none-any.whl",
    "bulky-1.0-py3-none-any.whl",
    *(f"evil_{n}-1.0.tar.gz" for n in ("escape", "home", "net", "forkbomb", "alloc", "fill", "hang", "tamper")),
    "pyyaml-6.0.1-py3-none-any.whl",
    *(f"numpy-{v}-py3-none-any.whl" for v in ("1.26.4", "2.0.0")),
    "oldabi-1.0-py3-none-any.whl",
    "lazyyaml-1.0-py3-none-any.whl",
}
HOSTILE = {f"evil-{n}" for n in ("escape", "home", "net", "forkbomb", "alloc", "fill", "hang")}
# Hostile in its metadata hooks too, with PKG-INFO a resolver must not trust: it attacks the resolve sandbox.
TAMPER_HOOKS = ["_tamper", "get_requires_for_build_wheel", "prepare_metadata_for_build_wheel", "_before_build"]
BACKEND_HOOKS = {"build_wheel", "get_requires_for_build_wheel", "prepare_metadata_for_build_wheel", "build_sdist"}
COMPILE_INPUT = "alpha==2.0\ngamma[fast]\nepsilon\nmodern\n"
COMPILE_PINS = {
    "alpha": "2.0",
    "beta": "1.5",
    "gamma": "1.0",
    "delta": "1.0",
    "epsilon": "1.0",
    "eta": "1.0",
    "modern": "0.9",
}


# --- helpers -------------------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Collect every ``<a>`` as (attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.links.append((self._open, data))
            self._open = None


def links(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def fetch(url: str, accept: str | None = None) -> tuple[str, str, bytes]:
    """(final URL, content type, body) of a GET, following redirects."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.geturl(), response.headers["Content-Type"], response.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_contents(path: Path) -> tuple[dict[str, bytes], str]:
    """Every member of a wheel, and its ``.dist-info`` directory name."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    dist_info = {name.split("/")[0] for name in contents if name.split("/")[0].endswith(".dist-info")}
    assert len(dist_info) == 1, dist_info
    return contents, dist_info.pop()


def sdist_contents(path: Path) -> dict[str, bytes]:
    """Members of an sdist keyed by path below its single top directory, which must be ``<name>-<version>``."""
    base = path.name.removesuffix(".tar.gz")
    with tarfile.open(path) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        assert {m.name.split("/")[0] for m in members} == {base}
        return {m.name.split("/", 1)[1]: archive.extractfile(m).read() for m in members}  # type: ignore[union-attr]


def module_constants(source: bytes) -> dict[str, object]:
    """Top-level ``NAME = literal`` assignments, read without executing anything."""
    constants = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):
                constants[node.targets[0].id] = ast.literal_eval(node.value)
    return constants


def top_level_functions(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]


def run_uv(tmp_path: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``uv pip ...`` isolated from this machine's pip/uv configuration; return its stdout."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    command = [find_uv_bin(), "pip", *args, "--no-config", "--cache-dir", str(tmp_path / "uv-cache")]
    command += ["--python", sys.executable]
    result = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return result.stdout


def pins(requirements: str) -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in requirements.splitlines())
    return dict(line.split("==") for line in lines if line)


def run_python(target: Path, code: str) -> str:
    """Run ``code`` in a fresh, isolated interpreter that sees only ``target`` besides the stdlib."""
    script = f"import sys; sys.path.insert(0, {str(target)!r})\n{code}"
    result = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(params=["http", "mirror", "flat"])
def index_args(request: pytest.FixtureRequest, local_index: LocalIndex) -> list[str]:
    """uv flags for each way the catalogue is offered: HTTP index, file:// bandersnatch mirror, flat dir."""
    return {
        "http": ["--index-url", local_index.url],
        "mirror": ["--index-url", local_index.mirror_url],
        "flat": ["--no-index", "--find-links", str(local_index.files_dir)],
    }[request.param]


# --- the archives --------------------------------------------------------------------------------------


def test_catalogue_is_complete_fast_and_reproducible(tmp_path: Path) -> None:
    start = time.perf_counter()
    first = build_catalogue(tmp_path / "a", canary=("127.0.0.1", 9))
    elapsed = time.perf_counter() - start
    second = build_catalogue(tmp_path / "b", canary=("127.0.0.1", 9))
    assert {p.name for p in first.iterdir()} == EXPECTED_FILES
    assert elapsed < 2
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_wheels_have_valid_record_wheel_and_metadata(local_index: LocalIndex) -> None:
    wheels = sorted(local_index.files_dir.glob("*.whl"))
    assert wheels
    for path in wheels:
        name, version, _, tags = parse_wheel_filename(path.name)
        contents, dist_info = wheel_contents(path)
        assert dist_info == f"{name.replace('-', '_')}-{version}.dist-info"
        record = contents[f"{dist_info}/RECORD"].decode().splitlines()
        assert f"{dist_info}/RECORD,," in record
        listed = {}
        for line in record:
            member, digest, size = line.split(",")
            listed[member] = (digest, size)
        assert set(listed) == set(contents), path.name
        for member, data in contents.items():
            if member != f"{dist_info}/RECORD":
                assert listed[member] == (record_digest(data), str(len(data))), (path.name, member)
        metadata = Metadata.from_email(contents[f"{dist_info}/METADATA"], validate=True)
        assert (canonicalize_name(metadata.name), metadata.version) == (name, version)
        assert metadata.metadata_version in ("2.1", "2.2")
        wheel = email.parser.BytesParser().parsebytes(contents[f"{dist_info}/WHEEL"])
        assert wheel["Wheel-Version"] == "1.0"
        assert {tag for value in wheel.get_all("Tag") for tag in parse_tag(value)} == set(tags)
        assert wheel["Root-Is-Purelib"] == ("true" if path.name.endswith("-none-any.whl") else "false")


def test_every_module_names_its_distribution(local_index: LocalIndex) -> None:
    for path in local_index.files_dir.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
        contents, _ = wheel_contents(path)
        modules = [m for m in contents if m.endswith("/__init__.py") or ("/" not in m and m.endswith(".py"))]
        assert modules, path.name
        for module in modules:
            constants = module_constants(contents[module])
            assert canonicalize_name(str(constants["DIST"])) == name, (path.name, module)
            assert constants["__version__"] == str(version), (path.name, module)


def test_catalogue_shapes(local_index: LocalIndex) -> None:
    files = local_index.files_dir

    def members(filename: str) -> dict[str, bytes]:
        return wheel_contents(files / filename)[0]

    def metadata(filename: str) -> Metadata:
        contents, dist_info = wheel_contents(files / filename)
        return Metadata.from_email(contents[f"{dist_info}/METADATA"])

    assert [str(r) for r in metadata("alpha-2.0-py3-none-any.whl").requires_dist] == ["beta<2,>=1.0"]
    gamma = metadata("gamma-1.0-py3-none-any.whl")
    assert gamma.provides_extra == ["fast"]
    assert [str(r) for r in gamma.requires_dist] == ["alpha>=1.1", 'delta; extra == "fast"']
    epsilon = metadata("epsilon-1.0-py3-none-any.whl")
    assert [str(r.marker) for r in epsilon.requires_dist] == [
        'python_version < "3.8"',
        'sys_platform == "linux"',
        'sys_platform == "win32"',
    ]
    for part in ("one", "two"):
        contents = members(f"nsp_{part}-1.0-py3-none-any.whl")
        assert f"nsp/{part}/__init__.py" in contents and "nsp/__init__.py" not in contents
        assert contents[f"nsp_{part}-1.0.dist-info/top_level.txt"] == b"nsp\n"
    widget = members("py_widget-1.0-py3-none-any.whl")
    assert {"widgetlib/__init__.py", "widget_helpers.py"} <= set(widget)
    tool = members("toolpkg-1.0-py3-none-any.whl")
    assert b"toolpkg = toolpkg:main" in tool["toolpkg-1.0.dist-info/entry_points.txt"]
    for platform, tag in PLATFORM_TAGS.items():
        init = members(f"platpkg-1.0-{tag}.whl")["platpkg/__init__.py"]
        assert module_constants(init)["PLATFORM"] == platform
    assert str(metadata("modern-1.0-py3-none-any.whl").requires_python) == ">=3.12"
    assert str(metadata("modern-0.9-py3-none-any.whl").requires_python) == ">=3.8"
    bulky = members("bulky-1.0-py3-none-any.whl")
    assert sum(m.startswith("bulky/mod_") for m in bulky) == 300
    assert 200_000 < sum(len(data) for data in bulky.values()) < 1_000_000
    assert "olbuild_backend.py" in members("olbuild-1.0-py3-none-any.whl")
    assert not list(files.glob("sdistonly*.whl")) and not list(files.glob("needsbuild*.whl"))


def test_sdists_are_well_formed_and_backends_compile(local_index: LocalIndex) -> None:
    sdists = sorted(local_index.files_dir.glob("*.tar.gz"))
    assert {parse_sdist_filename(p.name)[0] for p in sdists} == {"sdistonly", "needsbuild", "evil-tamper", *HOSTILE}
    for path in sdists:
        name, version = parse_sdist_filename(path.name)
        contents = sdist_contents(path)
        pkg_info = Metadata.from_email(contents["PKG-INFO"], validate=True)
        assert (canonicalize_name(pkg_info.name), pkg_info.version) == (name, version)
        # static: uv reads it instead of running the backend; but evil-tamper wants its hooks run
        assert pkg_info.metadata_version == ("2.1" if name == "evil-tamper" else "2.2")
        build_system = tomllib.loads(contents["pyproject.toml"].decode())["build-system"]
        module = contents[f"src/{name.replace('-', '_')}/__init__.py"]
        assert canonicalize_name(str(module_constants(module)["DIST"])) == name
        if name == "needsbuild":
            assert build_system == {"requires": ["olbuild==1.0"], "build-backend": "olbuild_backend"}
            continue
        assert build_system == {"requires": [], "build-backend": "olbackend", "backend-path": ["."]}
        backend = contents["olbackend.py"].decode()
        compile(backend, f"{path.name}/olbackend.py", "exec")  # compiled only: never executed here
        assert set(top_level_functions(backend)) >= BACKEND_HOOKS


def test_hostile_backends_are_the_harmless_one_plus_a_build_wheel_prelude(
    local_index: LocalIndex, canary: Canary
) -> None:
    """The evil is confined to ``_before_build``, which only build_wheel calls: metadata hooks stay harmless."""
    hooks = {node.name: node for node in ast.parse(BACKEND_SOURCE).body if isinstance(node, ast.FunctionDef)}
    callers = {
        name
        for name, node in hooks.items()
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_before_build"
    }
    assert callers == {"build_wheel"}
    for name in HOSTILE:
        backend = sdist_contents(local_index.files_dir / f"{name.replace('-', '_')}-1.0.tar.gz")["olbackend.py"]
        harmless, hostile = backend.decode().split(HOSTILE_MARKER)
        assert harmless.strip() == BACKEND_SOURCE.strip()
        assert top_level_functions(hostile) == ["_before_build"]
        if name == "evil-net":
            assert module_constants(hostile.encode())["TARGETS"] == [canary.address, local_index.server.address]
    tamper = sdist_contents(local_index.files_dir / "evil_tamper-1.0.tar.gz")["olbackend.py"].decode()
    assert top_level_functions(tamper.split(HOSTILE_MARKER)[1]) == TAMPER_HOOKS


# --- the HTTP index ------------------------------------------------------------------------------------


def test_simple_pages_list_every_file_with_hashes(local_index: LocalIndex) -> None:
    _, content_type, body = fetch(local_index.url)
    assert content_type.startswith("text/html")
    projects = {text: attrs["href"] for attrs, text in links(body.decode())}
    assert set(projects) == {parse_filename(f)[0] for f in EXPECTED_FILES}
    seen = set()
    for project, href in projects.items():
        page_url = urljoin(local_index.url, href)
        _, _, page = fetch(page_url)
        for attrs, filename in links(page.decode()):
            url, _, fragment = str(attrs["href"]).partition("#")
            data = (local_index.files_dir / filename).read_bytes()
            assert fragment == f"sha256={sha256(data)}"
            assert url == local_index.server.files_url + filename
            _, _, served = fetch(urljoin(page_url, url))
            assert served == data
            if project == "modern":
                assert attrs["data-requires-python"] == (">=3.12" if "1.0" in filename else ">=3.8")
            else:
                assert "data-requires-python" not in attrs
            seen.add(filename)
    assert seen == EXPECTED_FILES


def test_json_api_and_pep658_metadata(local_index: LocalIndex) -> None:
    accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
    _, content_type, body = fetch(local_index.url, accept)
    assert content_type == "application/vnd.pypi.simple.v1+json"
    assert {"name": "py-widget"} in json.loads(body)["projects"]
    _, content_type, body = fetch(local_index.url + "modern/", accept)
    page = json.loads(body)
    assert page["meta"]["api-version"] == "1.1" and page["versions"] == ["0.9", "1.0"]
    for entry in page["files"]:
        data = (local_index.files_dir / entry["filename"]).read_bytes()
        assert entry["hashes"] == {"sha256": sha256(data)} and entry["size"] == len(data)
        _, _, metadata = fetch(entry["url"] + ".metadata")
        assert entry["core-metadata"] == {"sha256": sha256(metadata)}
        contents, dist_info = wheel_contents(local_index.files_dir / entry["filename"])
        assert metadata == contents[f"{dist_info}/METADATA"]
    _, _, html = fetch(local_index.url + "modern/", "text/html")
    assert {attrs["data-core-metadata"] for attrs, _ in links(html.decode())} == {
        f"sha256={e['core-metadata']['sha256']}" for e in page["files"]
    }


def test_unknown_names_404_and_unnormalized_names_redirect(local_index: LocalIndex) -> None:
    for path in ("simple/nope/", "files/nope-1.0.tar.gz", "files/sdistonly-1.0.tar.gz.metadata", "elsewhere"):
        with pytest.raises(urllib.error.HTTPError) as error:
            fetch(local_index.server.base_url + path)
        assert error.value.code == 404
    final_url, _, _ = fetch(local_index.url + "Py_Widget")
    assert final_url == local_index.url + "py-widget/"
    assert "/simple/Py_Widget" in local_index.server.requests


def test_server_sees_files_added_later_and_records_requests(tmp_path: Path) -> None:
    source = build_catalogue(tmp_path / "all")
    served = tmp_path / "served"
    served.mkdir()
    with IndexServer(served) as server:
        assert links(fetch(server.url)[2].decode()) == []
        (served / "delta-1.0-py3-none-any.whl").write_bytes((source / "delta-1.0-py3-none-any.whl").read_bytes())
        (served / "README.txt").write_text("not a distribution")
        assert [text for _, text in links(fetch(server.url)[2].decode())] == ["delta"]
        assert [text for _, text in links(fetch(server.url + "delta/")[2].decode())] == ["delta-1.0-py3-none-any.whl"]
        head = urllib.request.Request(server.files_url + "delta-1.0-py3-none-any.whl", method="HEAD")
        with urllib.request.urlopen(head) as response:
            assert int(response.headers["Content-Length"]) == (served / "delta-1.0-py3-none-any.whl").stat().st_size
        assert server.requests == ["/simple/", "/simple/", "/simple/delta/", "/files/delta-1.0-py3-none-any.whl"]
    with pytest.raises(RuntimeError):
        server.url  # noqa: B018 - a stopped server has no URL


def test_write_simple_tree_uses_the_given_hrefs(tmp_path: Path) -> None:
    files = build_catalogue(tmp_path / "files")
    write_simple_tree(files, tmp_path / "simple", file_href=lambda name, digest: f"https://cdn.example/{digest}/{name}")
    root = links((tmp_path / "simple" / "index.html").read_text())
    assert ({"href": "py-widget/"}, "py-widget") in root
    page = links((tmp_path / "simple" / "py-widget" / "index.html").read_text())
    digest = sha256((files / "py_widget-1.0-py3-none-any.whl").read_bytes())
    assert page == [
        (
            {"href": f"https://cdn.example/{digest}/py_widget-1.0-py3-none-any.whl#sha256={digest}"},
            "py_widget-1.0-py3-none-any.whl",
        )
    ]


def test_bandersnatch_mirror_links_resolve_to_files_with_matching_hashes(local_index: LocalIndex) -> None:
    web = local_index.mirror_dir / "web"
    simple = web / "simple"
    projects = [attrs["href"] for attrs, _ in links((simple / "index.html").read_text())]
    assert projects == [attrs["href"] for attrs, _ in links(fetch(local_index.url)[2].decode())]
    seen = set()
    for project in projects:
        page_path = f"simple/{project}index.html"
        for attrs, filename in links((web / page_path).read_text()):
            href, _, fragment = str(attrs["href"]).partition("#")
            assert href.startswith("../../packages/")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), unquote(href)))
            parts = target.split("/")
            data = (web / target).read_bytes()
            assert fragment == f"sha256={sha256(data)}"
            assert parts[:1] == ["packages"] and "".join(parts[1:4]) == sha256(data) and parts[4] == filename
            assert data == (local_index.files_dir / filename).read_bytes()
            seen.add(filename)
    assert seen == EXPECTED_FILES
    assert urlsplit(local_index.mirror_url).path == str(simple)


def test_canary_counts_connections(canary: Canary) -> None:
    before = canary.connections
    with socket.create_connection(canary.address, timeout=5) as connection:
        connection.sendall(b"hello canary")
    deadline = time.monotonic() + 5
    while b"hello canary" not in canary.received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert canary.connections == before + 1
    assert b"hello canary" in canary.received


# --- real uv against every layout ----------------------------------------------------------------------


def test_uv_compiles_expected_pins(index_args: list[str], tmp_path: Path) -> None:
    output = run_uv(tmp_path, "compile", "-", "--no-header", "--no-annotate", *index_args, stdin=COMPILE_INPUT)
    assert pins(output) == COMPILE_PINS


def test_uv_builds_and_installs_sdists(index_args: list[str], tmp_path: Path) -> None:
    target = tmp_path / "target"
    run_uv(tmp_path, "install", "--no-deps", "--target", str(target), "sdistonly", "needsbuild", *index_args)
    out = run_python(
        target,
        "import sdistonly, needsbuild\n"
        "assert sdistonly.BUILT_FROM_SDIST and needsbuild.BUILT_WITH == 'olbuild'\n"
        "print(sdistonly.DIST, needsbuild.DIST)",
    )
    assert out.split() == ["sdistonly", "needsbuild"]
    assert not (target / "olbuild_backend.py").exists()  # a build dependency, not an installed one


def test_uv_installs_wheels_that_import_and_run(local_index: LocalIndex, tmp_path: Path) -> None:
    target = tmp_path / "target"
    requirements = ["gamma[fast]", "nsp-one", "nsp-two", "py-widget", "toolpkg", "platpkg", "bulky"]
    run_uv(tmp_path, "install", "--target", str(target), "--index-url", local_index.url, *requirements)
    out = run_python(
        target,
        "import alpha, beta, delta, gamma, nsp.one, nsp.two, widgetlib, widget_helpers, platpkg, bulky.mod_299\n"
        "print(alpha.__version__, beta.__version__, delta.DIST, nsp.one.DIST, nsp.two.DIST, widgetlib.DIST,\n"
        "      widget_helpers.DIST, platpkg.PLATFORM, bulky.mod_299.INDEX)",
    )
    assert out.split() == [
        "2.0",
        "1.5",
        "delta",
        "nsp-one",
        "nsp-two",
        "py-widget",
        "py-widget",
        machine(),
        "299",
    ]
    assert not (target / "nsp" / "__init__.py").exists()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(target)}
    script = subprocess.run([target / "bin" / "toolpkg"], env=env, capture_output=True, text=True, timeout=60)
    assert script.stdout == "toolpkg ok\n"
    for filename in ("gamma-1.0-py3-none-any.whl", "bulky-1.0-py3-none-any.whl"):
        assert f"/files/{filename}" in local_index.server.requests


def test_uv_pylock_points_at_served_files(local_index: LocalIndex, tmp_path: Path) -> None:
    lock = tmp_path / "out" / "pylock.toml"
    lock.parent.mkdir()
    run_uv(
        tmp_path,
        "compile",
        "-",
        "-o",
        str(lock),
        "--generate-hashes",
        "--universal",
        "--index-url",
        local_index.url,
        stdin="alpha==2.0\nplatpkg\nsdistonly\n",
    )
    packages = {p["name"]: p for p in tomllib.loads(lock.read_text())["packages"]}
    assert {name: p["version"] for name, p in packages.items()} == {
        "alpha": "2.0",
        "beta": "1.5",
        "platpkg": "1.0",
        "sdistonly": "1.0",
    }
    artifacts = [wheel for p in packages.values() for wheel in p.get("wheels", [])] + [packages["sdistonly"]["sdist"]]
    served = set()
    for artifact in artifacts:
        assert artifact["url"].startswith(local_index.server.files_url)
        filename = artifact["url"].removeprefix(local_index.server.files_url)
        assert artifact["hashes"]["sha256"] == sha256((local_index.files_dir / filename).read_bytes())
        served.add(filename)
    assert {f"platpkg-1.0-{tag}.whl" for tag in PLATFORM_TAGS.values()} <= served


@pytest.mark.parametrize(
    ("platform", "expected_wheel", "marker_dep"),
    [
        ("x86_64-manylinux_2_28", PLATFORM_TAGS["x86_64"], "eta"),
        ("aarch64-manylinux_2_28", PLATFORM_TAGS["aarch64"], "eta"),
        ("x86_64-pc-windows-msvc", PLATFORM_TAGS["win_amd64"], "theta"),
        ("aarch64-apple-darwin", PLATFORM_TAGS["macosx_arm64_abi3"], None),
    ],
)
def test_uv_resolves_for_foreign_platforms(
    local_index: LocalIndex, tmp_path: Path, platform: str, expected_wheel: str, marker_dep: str | None
) -> None:
    lock = tmp_path / "pylock.toml"
    run_uv(
        tmp_path,
        "compile",
        "-",
        "-o",
        str(lock),
        "--python-platform",
        platform,
        "--index-url",
        local_index.url,
        stdin="platpkg\nepsilon\n",
    )
    packages = {p["name"]: p for p in tomllib.loads(lock.read_text())["packages"]}
    assert set(packages) == {"platpkg", "epsilon"} | ({marker_dep} if marker_dep else set())
    assert [w["url"].rsplit("/", 1)[1] for w in packages["platpkg"]["wheels"]] == [f"platpkg-1.0-{expected_wheel}.whl"]
