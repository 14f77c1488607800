"""Sdist builds for an export run package code: a hostile build is contained as the puller's are
(no host file written, no host service reached, stopped at its limits), and the compiler hidden
for the no-compiler rebuild really is unusable inside."""

from __future__ import annotations

import ast
import glob
import http.server
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from ol_notebook.errors import OLError
from ol_notebook.export.build import NO_COMPILER_ENV, compiler_paths
from ol_notebook.export.model import ExportError
from ol_notebook.export.target import aws_target
from ol_notebook.index import IndexConfig
from ol_notebook.sandbox import Bind, Limits, Sandbox, SandboxSpec
from ol_notebook.sandbox.view import DEFAULT_ENV
from tests.export.test_wheels import caches_in, run_export

TARGET = aws_target("arm64", "3.12")
SMALL = Limits(timeout=15.0, memory=512 << 20, processes=64, disk=64 << 20)


def module_constant(wheel: Path, module: str, name: str):
    """A constant the hostile build wrote into its module, read from the built wheel's text."""
    with zipfile.ZipFile(wheel) as archive:
        lines = archive.read(f"{module}/__init__.py").decode().splitlines()
    return ast.literal_eval(next(line for line in lines if line.startswith(f"{name} = ")).split(" = ", 1)[1])


def test_a_build_for_an_export_writes_nothing_outside(tmp_path: Path, local_index, sandbox: Sandbox) -> None:
    caches = caches_in(tmp_path / "caches")
    markers = [Path.home() / "ol-escape-marker", Path("/root/ol-escape-marker"), Path("/ol-escape-marker"),
               Path("/var/tmp/ol-escape-marker"), Path("/work/ol-escape-marker"), Path("/home/ol-escape-marker")]
    markers += [parent / "ol-escape-marker" for parent in caches.built.parents]
    for marker in markers:
        marker.unlink(missing_ok=True)
    _, (wheel,), _ = run_export(local_index.url, sandbox, caches, ["evil-escape"], TARGET)
    escaped = [marker for marker in markers if marker.exists()]
    for marker in escaped:
        marker.unlink()
    assert escaped == []
    assert module_constant(wheel.wheel, "evil_escape", "RESULTS"), "the hostile build really ran"
    assert wheel.built == "sdist"


def test_a_build_for_an_export_reaches_the_index_and_no_other_host_service(tmp_path: Path, local_index, canary,
                                                                            sandbox: Sandbox) -> None:
    before = canary.connections
    _, (wheel,), _ = run_export(local_index.url, sandbox, caches_in(tmp_path), ["evil-net"], TARGET)
    assert canary.connections == before
    outcome = module_constant(wheel.wheel, "evil_net", "NET")
    assert outcome[f"{canary.host}:{canary.port}"].startswith("ConnectionRefusedError")


def test_a_build_from_a_mirror_directory_has_no_network_at_all(tmp_path: Path, local_index, canary,
                                                                 sandbox: Sandbox) -> None:
    before = canary.connections
    mirror = IndexConfig.from_options(mirror=str(local_index.mirror_dir))
    _, (wheel,), _ = run_export(mirror, sandbox, caches_in(tmp_path), ["evil-net"], TARGET)
    assert canary.connections == before
    outcome = module_constant(wheel.wheel, "evil_net", "NET")
    assert outcome and not [result for result in outcome.values() if result == "connected"]


def test_a_fork_bomb_is_stopped_and_named_not_retried_or_cached(tmp_path: Path, local_index,
                                                                sandbox: Sandbox) -> None:
    caches = caches_in(tmp_path)
    with pytest.raises(ExportError, match=r"building evil-forkbomb 1\.0 from .* was stopped"):
        run_export(local_index.url, sandbox, caches, ["evil-forkbomb"], TARGET, limits=SMALL)
    assert [path for path in caches.built.rglob("*") if path.is_file()] == []


PROBE = "int main(void) { return 0; }\n"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler on the host to hide")
def test_the_hidden_compiler_is_unusable_inside_by_any_name(tmp_path: Path, sandbox: Sandbox) -> None:
    (tmp_path / "probe.c").write_text(PROBE)
    passes = glob.glob("/usr/lib/gcc/*/*/cc1")
    attempts = ["gcc", "cc", "c++", "g++", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "clang", '"$CC"',
                '"$CXX"', *(f"{path} -quiet" for path in passes)]
    script = "".join(f'{attempt} -o /tmp/out {tmp_path}/probe.c >/dev/null 2>&1 && echo "{attempt} compiled"\n'
                     for attempt in attempts)

    def run(hidden: tuple[str, ...], env: dict[str, str]) -> str:
        spec = SandboxSpec(["/bin/sh", "-c", script], binds=[Bind(tmp_path)], hidden=hidden,
                           env={**DEFAULT_ENV, **env})
        return sandbox.run(spec).stdout.decode()

    assert "gcc compiled" in run((), {"CC": "gcc", "CXX": "g++"})  # it does compile when not hidden...
    assert run(compiler_paths(), NO_COMPILER_ENV) == ""  # ...and nothing does when it is
    assert "/usr/lib/gcc" in compiler_paths()


class ForeignLinks(http.server.BaseHTTPRequestHandler):
    """An index whose one project page links its file on another service of the host (the canary)."""

    target = ("127.0.0.1", 0)

    def do_GET(self) -> None:
        host, port = self.target
        body = (f'<a href="http://{host}:{port}/leaky-1.0-py3-none-any.whl#sha256={"0" * 64}">'
                "leaky-1.0-py3-none-any.whl</a>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_index_linking_another_host_service_gets_nothing_from_it(tmp_path: Path, canary, sandbox: Sandbox) -> None:
    handler = type("Handler", (ForeignLinks,), {"target": canary.address})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            before = canary.connections
            with pytest.raises(OLError, match="leaky") as caught:
                run_export(f"http://127.0.0.1:{server.server_address[1]}/simple", sandbox, caches_in(tmp_path),
                           ["leaky"], TARGET)
            assert f"{canary.host}:{canary.port}" in str(caught.value)  # the user is told which URL
            assert canary.connections == before
        finally:
            server.shutdown()
    assert [path for path in (tmp_path / "downloads").rglob("*") if path.is_file()] == []
