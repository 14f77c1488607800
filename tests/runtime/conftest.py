"""Fixtures for the runtime tests: real bubblewrap sandboxes, driven from a private event loop."""

from __future__ import annotations

import asyncio
import itertools
import os
import textwrap
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from ol_notebook.index import IndexConfig
from ol_notebook.runtime import Invocation, LambdaSpec, Runtimes
from ol_notebook.sandbox import Sandbox
from ol_notebook.sandbox.procfs import descendants
from ol_notebook.store import Entry
from tests.engine import make_service

MARKER = b"_ol_runtime.zygote"  # in the command line of every bwrap and process of a lambda sandbox
_names = itertools.count()


class Engine:
    """Runtimes on its own event loop, driven synchronously: `invoke` for one call, `start` and
    `run` for calls that must overlap."""

    def __init__(self, sandbox: Sandbox):
        self.loop = asyncio.new_event_loop()
        self.runtimes = Runtimes(sandbox)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def invoke(self, spec: LambdaSpec, event: Any = None) -> Invocation:
        return self.run(self.runtimes.invoke(spec, event))

    def invoke_all(self, calls: list[tuple[LambdaSpec, Any]]) -> list[Invocation]:
        """Invocations made at once; their results in order."""

        async def gather() -> list[Invocation]:
            return await asyncio.gather(*(self.runtimes.invoke(spec, event) for spec, event in calls))

        return self.run(gather())

    def start(self, spec: LambdaSpec, event: Any = None) -> asyncio.Task[Invocation]:
        return self.loop.create_task(self.runtimes.invoke(spec, event))

    def wait(self, seconds: float) -> None:
        self.run(asyncio.sleep(seconds))

    def close(self) -> None:
        self.run(self.runtimes.close())
        self.loop.close()


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def engine(sandbox: Sandbox) -> Iterator[Engine]:
    engine = Engine(sandbox)
    yield engine
    engine.close()
    assert lambda_processes() == [], "close() left lambda processes behind"


@pytest.fixture
def make_lambda(tmp_path: Path):
    """make_lambda(code, **spec fields) -> LambdaSpec with handler.py holding `code`, a fresh name and
    version unless given, and small limits that keep hostile tests quick."""

    def make(code: str, **fields: Any) -> LambdaSpec:
        number = next(_names)
        code_dir = tmp_path / f"code-{number}"
        code_dir.mkdir()
        (code_dir / "handler.py").write_text(textwrap.dedent(code))
        fields.setdefault("name", f"lambda-{number}")
        fields.setdefault("version", "v1")
        fields.setdefault("timeout", 10.0)
        fields.setdefault("memory", 256 << 20)
        fields.setdefault("processes", 32)
        return LambdaSpec(code_dir=code_dir, **fields)

    return make


@pytest.fixture(scope="module")
def entries(local_index, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Entry]:
    """Store entries of alpha 1.0, alpha 2.0 and beta 1.5 (alpha 2.0's dependency), pulled for real."""
    service = make_service(tmp_path_factory.mktemp("store"), IndexConfig.from_options(index_url=local_index.url))
    found: dict[str, Entry] = {}
    for requirement in ("alpha==1.0", "alpha==2.0"):
        found.update(service.pull(service.compile([requirement])).entries)
    return found


def packages(entries: dict[str, Entry], *keys: str) -> tuple[tuple[str, Path], ...]:
    return tuple((key, entries[key].files) for key in keys)


def lambda_processes() -> list[int]:
    """Processes of lambda sandboxes descended from this one (bwrap, zygotes, workers)."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            if MARKER in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found
