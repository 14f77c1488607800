"""pytest fixtures: a canary listener and the catalogue served over HTTP, once per session; and
`platform_index`, the platform wheels of platforms.py on a server of their own.

Enable with ``pytest_plugins = ["tests.localindex.plugin"]`` in the top-level conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from .canary import Canary
from .catalogue import build_catalogue
from .layouts import make_bandersnatch_mirror
from .platforms import build_platform_index
from .server import IndexServer


@dataclass
class LocalIndex:
    """The catalogue in every shape a test may point uv at."""

    server: IndexServer
    files_dir: Path  # flat: usable as ``--find-links DIR --no-index``
    canary: Canary
    work_dir: Path

    @property
    def url(self) -> str:
        """The simple root over HTTP, for ``--index-url``."""
        return self.server.url

    @cached_property
    def mirror_dir(self) -> Path:
        """A bandersnatch mirror of the same files, built on first use."""
        return make_bandersnatch_mirror(self.files_dir, self.work_dir / "mirror")

    @property
    def mirror_url(self) -> str:
        """``file://`` URL of the mirror's simple root, for ``--index-url``."""
        return (self.mirror_dir / "web" / "simple").as_uri()


@pytest.fixture(scope="session")
def canary() -> Iterator[Canary]:
    with Canary() as listener:
        yield listener


@pytest.fixture(scope="session")
def local_index(tmp_path_factory: pytest.TempPathFactory, canary: Canary) -> Iterator[LocalIndex]:
    work_dir = tmp_path_factory.mktemp("localindex")
    files_dir = work_dir / "files"
    files_dir.mkdir()
    # Start first so evil-net can get the server's address baked in; pages are generated per request anyway.
    with IndexServer(files_dir) as server:
        build_catalogue(files_dir, canary=canary.address, index=server.address)
        yield LocalIndex(server=server, files_dir=files_dir, canary=canary, work_dir=work_dir)


@pytest.fixture(scope="session")
def platform_index(tmp_path_factory: pytest.TempPathFactory, canary: Canary) -> Iterator[LocalIndex]:
    """platforms.py's packages (manylinux x86_64/aarch64, abi3, sdists that compile) over HTTP."""
    work_dir = tmp_path_factory.mktemp("platformindex")
    files_dir = work_dir / "files"
    files_dir.mkdir()
    build_platform_index(files_dir)
    with IndexServer(files_dir) as server:
        yield LocalIndex(server=server, files_dir=files_dir, canary=canary, work_dir=work_dir)
