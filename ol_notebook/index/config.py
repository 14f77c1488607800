"""Index and mirror configuration, turned into explicit uv flags.

One source of packages at a time: the default index (PyPI), another index URL, or a mirror
given as a URL or a local directory. With a mirror uv gets no other index, so a package
missing from the mirror is an error, never a silent download from PyPI.

It also says what a sandbox fetching from it must reach (`sandbox_access`): the internet for
a remote index; for an index on the host's loopback (a devpi on localhost, the tests' index),
only that one port, tunnelled, and no egress at all; for a local directory, nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ol_notebook.errors import OLError

DEFAULT_INDEX_LABEL = "PyPI"
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
_DIRECTORY_KINDS = {"bandersnatch": "a bandersnatch directory", "flat": "a flat directory of wheels and sdists"}


class IndexConfigError(OLError):
    """The index or mirror setting cannot be used."""


@dataclass(frozen=True)
class IndexAccess:
    """What a sandbox that fetches from the index reaches: the internet (`egress`, the
    sandbox's network=True), and ports of the host's 127.0.0.1 (`SandboxSpec.loopback_ports`)."""

    egress: bool = False
    loopback_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class IndexConfig:
    """Where packages come from; `kind` is one of default, url, bandersnatch, flat."""

    kind: str = "default"
    location: str = ""

    @classmethod
    def from_options(cls, index_url: str | None = None, mirror: str | None = None) -> IndexConfig:
        """Validate the user's options; a mirror is a URL or an existing directory."""
        if index_url and mirror:
            raise IndexConfigError(
                f"both an index URL ({index_url}) and a mirror ({mirror}) are set; "
                "choose one: a mirror replaces the index, it is never combined with it"
            )
        if index_url:
            return cls("url", _check_url(index_url, "index URL"))
        if not mirror:
            return cls()
        if "://" in mirror and not mirror.startswith("file://"):
            return cls("url", _check_url(mirror, "mirror URL"))
        return cls._from_directory(Path(mirror.removeprefix("file://")).expanduser())

    @classmethod
    def _from_directory(cls, path: Path) -> IndexConfig:
        if not path.is_dir():
            raise IndexConfigError(f"mirror directory {path} does not exist")
        root = path.resolve()
        if (root / "web" / "simple").is_dir():
            return cls("bandersnatch", str(root))
        if any(child.name.endswith(_DIST_SUFFIXES) for child in root.iterdir()):
            return cls("flat", str(root))
        raise IndexConfigError(
            f"mirror directory {root} is neither a bandersnatch mirror (no web/simple/ inside) "
            "nor a directory of wheels and sdists"
        )

    @property
    def is_remote(self) -> bool:
        """Whether fetching from this source needs the network."""
        return self.kind in ("default", "url")

    def sandbox_access(self) -> IndexAccess:
        """Just enough network for a sandbox to fetch from this source. An index on the host's
        loopback gets its port tunnelled and no egress: its pages link files on that same host.
        A proxy on the host's loopback that uv is told to use (uv keeps the proxy variables,
        see uv.py) gets its port tunnelled too."""
        if self.kind in ("bandersnatch", "flat"):
            return IndexAccess()
        parsed = urlparse(self.location)
        if self.kind == "url" and parsed.scheme == "file":
            return IndexAccess()
        proxies = _loopback_proxy_ports()
        if self.kind == "url" and _on_loopback(parsed.hostname or ""):
            port = parsed.port or DEFAULT_PORTS[parsed.scheme]
            return IndexAccess(loopback_ports=(port, *(proxy for proxy in proxies if proxy != port)))
        return IndexAccess(egress=True, loopback_ports=proxies)

    @property
    def label(self) -> str:
        """How the source is recorded in store metadata and locks."""
        if self.kind == "default":
            return DEFAULT_INDEX_LABEL
        if self.kind == "bandersnatch":
            return (Path(self.location) / "web" / "simple").as_uri()
        if self.kind == "flat":
            return Path(self.location).as_uri()
        return self.location

    @property
    def is_mirror(self) -> bool:
        return self.kind != "default"

    def describe(self) -> str:
        """Which source was asked, as a noun phrase with its article, for the middle of a sentence
        ("was not found on {describe()}"): callers add no "the" of their own."""
        if self.kind == "default":
            return f"the default index ({DEFAULT_INDEX_LABEL})"
        if self.kind == "url":
            return f"the index {self.location}"
        return f"the mirror {self.location} ({_DIRECTORY_KINDS[self.kind]})"

    def how_to_add(self, name: str) -> str:
        """For a package a mirror directory lacks: how to add it there, as a clause to append
        after a semicolon ("" for an index, which is not ours to fill)."""
        if self.kind == "bandersnatch":
            return (f"add it with `ol-notebook mirror {self.location} --lock pylock.toml` on a machine that reaches "
                    f"an index, from a lock that has {name} (make one there with `uv pip compile --format "
                    f"pylock.toml` or `pip lock`), then copy the mirror here again")
        if self.kind == "flat":
            return f"copy a wheel or sdist of {name} into {self.location}"
        return ""

    def local_paths(self) -> list[Path]:
        """Directories a sandbox must see read-only to use this source."""
        return [Path(self.location)] if self.kind in ("bandersnatch", "flat") else []

    def uv_args(self) -> list[str]:
        """Flags that make uv use exactly this source and nothing else."""
        if self.kind == "default":
            return []
        if self.kind == "flat":
            return ["--no-index", "--find-links", self.location]
        if self.kind == "bandersnatch":
            return ["--default-index", self.label]
        return ["--default-index", self.location]


DEFAULT_PORTS = {"http": 80, "https": 443}  # of the URL schemes an index may have
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def _check_url(url: str, what: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.scheme == "file"):
        raise IndexConfigError(f"{what} {url!r} is not an http(s):// or file:// URL")
    try:
        parsed.port  # noqa: B018 (urlparse checks the port only when asked)
    except ValueError as error:
        raise IndexConfigError(f"{what} {url!r} has a bad port: {error}") from error
    host = parsed.hostname or ""
    if _on_loopback(host) and host not in ("127.0.0.1", "localhost"):
        raise IndexConfigError(
            f"{what} {url!r} is on the loopback address {host}: sandboxes reach the host's loopback only "
            "at 127.0.0.1; serve the index there and use http://127.0.0.1:PORT/ or http://localhost:PORT/"
        )
    return url


def _loopback_proxy_ports() -> tuple[int, ...]:
    ports: dict[int, None] = {}
    for variable in _PROXY_VARIABLES:
        parsed = urlparse(os.environ.get(variable, ""))
        with contextlib.suppress(ValueError):  # a malformed proxy is uv's to report
            if parsed.hostname and _on_loopback(parsed.hostname):
                ports[parsed.port or DEFAULT_PORTS.get(parsed.scheme, 80)] = None
    return tuple(ports)


def _on_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
