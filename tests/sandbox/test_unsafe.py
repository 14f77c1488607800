"""Unsafe mode: no isolation, said loudly on every use, but the limits still hold."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ol_notebook.sandbox import (
    Bind,
    Limits,
    Sandbox,
    SandboxDiskExceeded,
    SandboxError,
    SandboxSpec,
    SandboxTimeout,
)
from tests.sandbox.helpers import py


@pytest.fixture(scope="module")
def unsafe() -> Sandbox:
    return Sandbox(unsafe=True)


def test_every_use_warns(unsafe: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ol_notebook.sandbox")
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="UNSAFE mode: `echo hi` runs with NO isolation"):
            assert unsafe.run(SandboxSpec(["echo", "hi"])).stdout == b"hi\n"
    with pytest.warns(RuntimeWarning, match="UNSAFE mode: `true`"):
        assert unsafe.start(SandboxSpec(["true"])).wait(10) == 0
    assert sum("UNSAFE mode" in record.message for record in caplog.records) == 3
    assert unsafe.describe().startswith("UNSAFE mode, no isolation")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nothing_is_isolated_but_tmp_is_private(unsafe: Sandbox) -> None:
    result = unsafe.run(py("import os; print(os.path.exists('/work'), os.getcwd(), os.environ['HOME'])"))
    seen, cwd, home = result.stdout.decode().split()
    assert seen == "True" and cwd == home
    assert Path(cwd).parent.name.startswith("ol-sandbox-") and Path(cwd).name == "tmp"
    assert not Path(cwd).exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_limits_still_hold(unsafe: Sandbox) -> None:
    with pytest.raises(SandboxTimeout):
        unsafe.run(py("import time; time.sleep(1000)", limits=Limits(timeout=0.5)))
    with pytest.raises(SandboxDiskExceeded):
        unsafe.run(py(
            "while True: open('junk', 'ab').write(b'x' * (1 << 20))", limits=Limits(timeout=30, disk=8 << 20)
        ))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_binds_elsewhere_cannot_be_honoured(unsafe: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match=r"unsafe mode cannot show .* at /data"):
        unsafe.run(SandboxSpec(["true"], binds=[Bind(tmp_path, dest="/data")]))
    assert unsafe.run(SandboxSpec(["true"], binds=[Bind(tmp_path)])).returncode == 0
