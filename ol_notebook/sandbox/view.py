"""What a sandbox sees: the bubblewrap arguments for its namespaces and its filesystem.

The view starts empty (bwrap's root is a fresh tmpfs) and gets only what a command needs:
the system's programs and libraries read-only, the few /etc files that TLS, DNS and user
lookups read, the interpreter when asked, then the caller's binds. Never /root, /home, /work
or the user's HOME unless the caller binds something there: that is where secrets live.
The environment is not set here with --clearenv/--setenv but given to bwrap as its own (see
launch.py), so that values never appear in a command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from ol_notebook.sandbox.disk import Scratch
from ol_notebook.sandbox.orphans import HOSTNAME
from ol_notebook.sandbox.spec import Bind, SandboxSpec

DEFAULT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}

# Merged-/usr systems (Debian 12) have /bin, /lib, ... as symlinks into /usr: recreated as symlinks.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# TLS roots (ssl, ca-certificates, pki), name resolution (resolv.conf, hosts, host.conf, gai.conf,
# nsswitch.conf, services, protocols), users (passwd, group), the dynamic linker (ld.so.*),
# the time zone, Debian's alternatives (/usr/bin/awk and friends point there), and files the
# standard library reads (mime.types, os-release). Not pip.conf & co: machine-wide tool
# configuration must not leak into sandboxed installs.
ETC_ENTRIES = (
    "ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
    "resolv.conf", "hosts", "host.conf", "gai.conf", "nsswitch.conf", "services", "protocols",
    "passwd", "group", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
    "alternatives", "mime.types", "os-release",
)


def bwrap_args(spec: SandboxSpec, scratch: Scratch) -> list[str]:
    """Everything between `bwrap` and `--`, in the order bwrap must apply it."""
    return [
        *namespace_args(spec.network),
        *system_args(),
        # A fresh procfs for the new pid namespace: the sandbox sees only its own processes.
        "--proc", "/proc",
        # Minimal devices: null, zero, full, random, urandom, tty, pts; no disks, no host /dev.
        "--dev", "/dev",
        # Host directories rather than tmpfs, so the disk watcher can measure them.
        "--bind", str(scratch.tmp), "/tmp",
        "--bind", str(scratch.shm), "/dev/shm",
        *bind_args(visible_binds(spec)),
        # The root tmpfs and /dev would otherwise be writable, outside the counted places.
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", spec.cwd,
    ]


def visible_binds(spec: SandboxSpec) -> list[Bind]:
    """Every bind the sandbox gets beyond the system view: the interpreter's, then the spec's."""
    return [*(Bind(Path(path)) for path in (python_paths() if spec.python else [])), *spec.binds]


def namespace_args(network: bool) -> list[str]:
    """New user, mount, pid, ipc, uts (and net) namespaces.

    --cap-drop ALL: run as root, bwrap would otherwise leave the command every capability in
    its user namespace, enough to remount a read-only bind read-write and write host files
    as root. --die-with-parent: the sandbox dies with the thread that started it, so a crash of
    ours leaves nothing running. --new-session: no terminal to push keystrokes into (TIOCSTI).
    --unshare-net leaves only a private loopback.
    """
    args = [
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", HOSTNAME,
        "--cap-drop", "ALL", "--die-with-parent", "--new-session",
    ]
    return [*args, "--unshare-net"] if not network else args


def bind_args(binds: Iterable[Bind]) -> list[str]:
    args = []
    for bind in binds:
        args += ["--bind" if bind.writable else "--ro-bind", str(bind.source), bind.target]
    return args


def system_args() -> list[str]:
    args = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_ENTRIES:
        # -try: skip what this system lacks (or a dangling symlink) without failing.
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def python_paths() -> list[str]:
    """The running interpreter: its installation, its venv, and the real binary, minus what
    the system directories or a shorter path already show."""
    wanted = {sys.base_prefix, sys.prefix, os.path.realpath(sys.executable) if sys.executable else ""}
    shown = [path for path in SYSTEM_DIRS if os.path.isdir(path) and not os.path.islink(path)]
    chosen: list[str] = []
    for path in sorted(filter(None, wanted), key=len):
        if not any(path == top or path.startswith(top.rstrip("/") + "/") for top in shown + chosen):
            chosen.append(path)
    return chosen
