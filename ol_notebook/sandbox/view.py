"""What a sandbox sees: the bubblewrap arguments for its namespaces and its filesystem.

The view starts empty (bwrap's root is a fresh tmpfs) and gets only what a command needs:
the system's programs and libraries read-only, the few /etc files that TLS, DNS and user
lookups read, the interpreter when asked (its binary, shared library and standard library,
never a site-packages: see interpreter.py), then the caller's binds. Never /root, /home, /work
or the user's HOME unless the caller binds something there: that is where secrets live.

/tmp and /dev/shm are tmpfs mounts whose size is the disk limit: a file counts while it is
open, linked or not, and its pages are charged to the sandbox's memory cgroup. A watcher
walking host directories could not see an unlinked file.

The environment is not given here: see launch.py, which hands it to bwrap through a file
descriptor, never through bwrap's own environment or command line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ol_notebook.sandbox.interpreter import hidden_site_dirs, interpreter_paths
from ol_notebook.sandbox.net.network import resolver_args
from ol_notebook.sandbox.orphans import HOSTNAME
from ol_notebook.sandbox.spec import Bind, Network, SandboxSpec

DEFAULT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}
SHM_MINIMUM = 1 << 20

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


def bwrap_args(spec: SandboxSpec) -> list[str]:
    """Everything between `bwrap` and `--`, in the order bwrap must apply it."""
    return [
        *namespace_args(spec.network),
        *system_args(),
        *resolver_args(spec.network),
        # A fresh procfs for the new pid namespace: the sandbox sees only its own processes.
        "--proc", "/proc",
        # Minimal devices: null, zero, full, random, urandom, tty, pts; no disks, no host /dev.
        "--dev", "/dev",
        *scratch_args(spec.limits.disk),
        *bind_args(visible_binds(spec)),
        *(hide_args(hidden_site_dirs(SYSTEM_DIRS)) if spec.python else []),
        *hidden_args(spec.hidden),
        # The root tmpfs and /dev would otherwise be writable, outside the bounded places.
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", spec.cwd,
    ]


def scratch_args(disk: int | None) -> list[str]:
    """/tmp of exactly `disk` bytes, and /dev/shm of a quarter of it (POSIX shared memory and
    semaphores need little); without a disk limit, the kernel's default size (half of RAM)."""
    tmp = ["--size", str(disk)] if disk is not None else []
    shm = ["--size", str(max(SHM_MINIMUM, disk // 4))] if disk is not None else []
    return [
        "--perms", "1777", *tmp, "--tmpfs", "/tmp",
        "--perms", "1777", *shm, "--tmpfs", "/dev/shm",
    ]


def hide_args(directories: Iterable[str]) -> list[str]:
    """An empty read-only tmpfs over each directory: shown by a system bind, but not for sandboxes."""
    args = []
    for directory in directories:
        args += ["--size", "4096", "--tmpfs", directory, "--remount-ro", directory]
    return args


def hidden_args(paths: Iterable[str]) -> list[str]:
    """SandboxSpec.hidden: directories as empty tmpfs, files (through their symlinks) as /dev/null.

    What does not exist on the host is not in the view either: nothing to hide.
    """
    args = []
    for path in paths:
        if os.path.isdir(path):
            args += hide_args([os.path.realpath(path)])
        elif os.path.exists(path):
            args += ["--ro-bind", "/dev/null", os.path.realpath(path)]
    return args


def visible_binds(spec: SandboxSpec) -> list[Bind]:
    """Every bind the sandbox gets beyond the system view: the interpreter's, then the spec's."""
    return [*(Bind(Path(path)) for path in (interpreter_paths(SYSTEM_DIRS) if spec.python else [])), *spec.binds]


def namespace_args(network: Network) -> list[str]:
    """New user, mount, pid, ipc, uts (and net) namespaces.

    --cap-drop ALL: run as root, bwrap would otherwise leave the command every capability in
    its user namespace, enough to remount a read-only bind read-write and write host files
    as root. --die-with-parent: the sandbox dies with the thread that started it, so a crash of
    ours leaves nothing running. --new-session: no terminal to push keystrokes into (TIOCSTI).
    --unshare-net for network False and True alike: a namespace with only a private loopback,
    to which network.py adds slirp4netns's tap device for True. Only "host" keeps the host's.
    """
    args = [
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", HOSTNAME,
        "--cap-drop", "ALL", "--die-with-parent", "--new-session",
    ]
    return args if network == "host" else [*args, "--unshare-net"]


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
