"""An exported bundle's code, run as Lambda runs it (tests/awsruntime), is contained by our sandbox: it
reads no host file outside its binds, reaches no loopback port but the Runtime API's, has no network,
and cannot change its own code, its layer or the runtime. Each attack runs in the handler and reports
what it got."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from ol_notebook.sandbox import PYTHON
from tests.awsruntime.plugin import BundleRunner
from tests.localindex.canary import Canary

ATTACKS = '''
import os, socket

def attempt(action):
    try:
        return "ALLOWED: " + repr(action())[:200]
    except Exception as error:
        return "refused: " + type(error).__name__

def read(path):
    with open(path, "rb") as handle:
        return handle.read(64)

def connect(host, port):
    with socket.create_connection((host, port), timeout=3) as connection:
        connection.sendall(b"escaped")
        return "connected"

def write(path):
    with open(path, "w") as handle:
        handle.write("overwritten")
    return path

def lambda_handler(event, context):
    reads = {path: attempt(lambda path=path: read(path)) for path in event["read"]}
    listings = {path: attempt(lambda path=path: os.listdir(path)) for path in event["list"]}
    return {
        "reads": reads,
        "listings": listings,
        "canary": attempt(lambda: connect("127.0.0.1", event["canary_port"])),
        "internet": attempt(lambda: connect("1.1.1.1", 53)),
        "writes": {path: attempt(lambda path=path: write(path)) for path in event["write"]},
        "processes": sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit()),
    }
'''


def test_bundle_code_is_contained(run_lambda: BundleRunner, canary: Canary, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("the host's secret")
    bundle = tmp_path / "f.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("lambda_function.py", ATTACKS)
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w") as archive:
        archive.writestr("python/shared.py", "X = 1\n")
    event = {
        "read": [str(secret), "/etc/shadow", "/root/.bash_history", str(Path.home() / ".ssh/id_rsa"),
                 str(Path(__file__).resolve()), str(Path(sys.prefix, "pyvenv.cfg"))],
        "list": [str(tmp_path), "/work", str(Path.home())],
        "canary_port": canary.port,
        "write": ["/var/task/lambda_function.py", "/var/runtime/awslambdaric/__init__.py", "/var/task/new.py",
                  "/opt/python/shared.py"],
    }
    before = canary.connections

    (result,) = run_lambda(bundle, [event], layer_zip=layer).values

    assert all(outcome.startswith("refused") for outcome in result["reads"].values()), result["reads"]
    home = result["listings"].pop(str(Path.home()))
    assert all(outcome.startswith("refused") for outcome in result["listings"].values()), result["listings"]
    # The home shows at most the way to the interpreter the sandbox runs (pyenv's lives there), nothing else.
    way_to_python = Path(PYTHON).relative_to(Path.home()).parts[0] if PYTHON.startswith(f"{Path.home()}/") else None
    assert home.startswith("refused") or home == f"ALLOWED: {[way_to_python]!r}", home
    assert result["canary"].startswith("refused") and canary.connections == before, result["canary"]
    assert result["internet"].startswith("refused"), result["internet"]
    assert all(outcome.startswith("refused") for outcome in result["writes"].values()), result["writes"]
    assert len(result["processes"]) <= 3, result["processes"]  # its own pid namespace: no host process
    assert secret.read_text() == "the host's secret"


def test_unpacking_a_bundle_keeps_hostile_names_inside(run_lambda: BundleRunner, tmp_path: Path) -> None:
    """The runner itself unpacks an archive it did not write: `../` and absolute names stay in its directory."""
    bundle = tmp_path / "f.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return 'ran'\n")
        archive.writestr("../../escaped.py", "x = 1\n")
        archive.writestr("/tmp/absolute-escape.py", "x = 1\n")
    assert run_lambda(bundle, [{}]).values == ["ran"]
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path.parent / "escaped.py").exists()
    assert not Path("/tmp/absolute-escape.py").exists()
