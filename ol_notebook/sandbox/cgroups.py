"""Per-sandbox cgroups: exact memory and process bounds, where this process may create them.

A cgroup bounds all processes of a sandbox together and its counters say afterwards whether a
bound was hit (`oom_kill`, pids `max` events), which rlimits cannot. We create one child cgroup
per sandbox and controller under the cgroup this process already lives in: cgroup v1 (each
controller its own hierarchy, as on this Debian host) or v2 when the unified hierarchy has the
controller delegated to us. Names carry the creating pid, so a process killed before it could
clean up leaves cgroups that a later process recognises as stale and removes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ol_notebook.sandbox.procfs import alive

PREFIX = "ol-sandbox-"
CONTROLLERS = ("memory", "pids")
# The file each controller must offer in a fresh child cgroup, per cgroup version.
_LIMIT_FILE = {(1, "memory"): "memory.limit_in_bytes", (2, "memory"): "memory.max", (1, "pids"): "pids.max",
               (2, "pids"): "pids.max"}


@dataclass(frozen=True)
class CgroupParent:
    """A cgroup directory this process may create children in, for one controller."""

    path: Path
    version: int

    def describe(self, controller: str) -> str:
        return f"cgroup v{self.version} {_LIMIT_FILE[self.version, controller]}"


@functools.cache
def find_parents() -> dict[str, CgroupParent]:
    """Controllers ("memory", "pids") for which we can create child cgroups, found once per process."""
    own = _own_cgroups()
    found: dict[str, CgroupParent] = {}
    for mountpoint, fstype, options, root in _cgroup_mounts():
        for controller in CONTROLLERS:
            key = controller if fstype == "cgroup" else ""
            if controller in found or key not in own or (fstype == "cgroup" and controller not in options):
                continue
            path = _join(mountpoint, root, own[key])
            parent = CgroupParent(path, 1 if fstype == "cgroup" else 2) if path else None
            if parent and _usable(parent, controller):
                found[controller] = parent
    for parent in set(found.values()):
        _remove_stale(parent.path)
    return found


class SandboxCgroup:
    """The child cgroups of one sandbox: set limits, add its first process, read counters, remove."""

    def __init__(self, dirs: dict[str, tuple[Path, int]]):
        self._dirs = dirs

    @classmethod
    def create(cls, memory: int | None, tasks: int | None) -> SandboxCgroup | None:
        """Child cgroups for the bounds given, or None when no controller for them is usable."""
        wanted = {"memory": memory, "pids": tasks}
        parents = {c: p for c, p in find_parents().items() if wanted[c] is not None}
        if not parents:
            return None
        name = _new_name()
        created: dict[Path, Path] = {}
        dirs: dict[str, tuple[Path, int]] = {}
        try:
            for controller, parent in parents.items():
                path = created.get(parent.path)
                if path is None:
                    path = created[parent.path] = parent.path / name
                    path.mkdir()
                dirs[controller] = (path, parent.version)
                _write_limit(path, parent.version, controller, wanted[controller])
        except OSError:
            cls(dirs).remove()
            raise
        return cls(dirs)

    def add(self, pid: int) -> None:
        """Move a process (0: the caller) in; everything it forks afterwards stays in."""
        for path in self._paths():
            (path / "cgroup.procs").write_text(str(pid))

    def oom_kills(self) -> int:
        """Processes the kernel killed because the group ran out of its memory."""
        if "memory" not in self._dirs:
            return 0
        path, version = self._dirs["memory"]
        return _counter(path / ("memory.oom_control" if version == 1 else "memory.events"), "oom_kill")

    def pids_max_hits(self) -> int:
        """Forks (and thread creations) refused because the group was at pids.max."""
        if "pids" not in self._dirs:
            return 0
        return _counter(self._dirs["pids"][0] / "pids.events", "max")

    def kill_all(self) -> None:
        """SIGKILL every process left in the group: processes that left the sandbox's session or
        pid namespace (unsafe mode) are still in it."""
        for path in self._paths():
            _kill_members(path)

    def remove(self) -> None:
        """Kill what is left and remove the directories; a cgroup that stays busy is left for the
        stale sweep of a later process rather than blocking this one."""
        for path in self._paths():
            _destroy(path)

    def _paths(self) -> list[Path]:
        return list(dict.fromkeys(path for path, _ in self._dirs.values()))


def _write_limit(path: Path, version: int, controller: str, value: int | None) -> None:
    (path / _LIMIT_FILE[version, controller]).write_text(str(value))
    if controller == "memory":
        # Swap must not be a way around the memory bound; these files only exist with swap accounting.
        swap_file = "memory.memsw.limit_in_bytes" if version == 1 else "memory.swap.max"
        with contextlib.suppress(OSError):
            (path / swap_file).write_text(str(value) if version == 1 else "0")


def _own_cgroups() -> dict[str, str]:
    """controller -> this process's cgroup path; "" -> its cgroup v2 path."""
    own: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    return own


def _cgroup_mounts() -> list[tuple[str, str, set[str], str]]:
    """(mount point, fs type, super options, root) of every cgroup mount, from mountinfo."""
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, (fstype, _source, options) = left.split(), right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                mounts.append((fields[4], fstype, set(options.split(",")), fields[3]))
    return mounts


def _join(mountpoint: str, root: str, path: str) -> Path | None:
    """Where cgroup `path` appears under a mount of the hierarchy's `root` (a container mounts a subtree)."""
    relative = os.path.relpath(path, root)
    return None if relative.startswith("..") else Path(mountpoint, relative)


def _usable(parent: CgroupParent, controller: str) -> bool:
    """Try it: a cgroup that looks writable may be on a read-only mount or lack the controller."""
    if parent.version == 2 and not _delegated(parent.path, controller):
        return False
    probe = parent.path / _new_name()
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return (probe / _LIMIT_FILE[parent.version, controller]).exists()
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def _delegated(path: Path, controller: str) -> bool:
    """cgroup v2 children get a controller only if it is on in our cgroup's subtree_control. We do
    not switch it on: a cgroup with processes cannot, and doing it at the root changes the host."""
    try:
        return controller in (path / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


def _new_name() -> str:
    return f"{PREFIX}{os.getpid()}-{secrets.token_hex(6)}"


def _remove_stale(parent: Path) -> None:
    """Remove cgroups left by processes of ours that died before they could clean up."""
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            owner = entry.name.removeprefix(PREFIX).split("-")[0]
            if entry.name.startswith(PREFIX) and owner.isdigit() and not alive(int(owner)):
                _destroy(entry)


def _counter(path: Path, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    return 0


def _members(path: Path) -> list[int]:
    try:
        return [int(pid) for pid in (path / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _kill_members(path: Path, patience: float = 5.0) -> None:
    kill_file = path / "cgroup.kill"  # cgroup v2 since Linux 5.14: atomic, no pid reuse race
    if kill_file.exists():
        with contextlib.suppress(OSError):
            kill_file.write_text("1")
    deadline = time.monotonic() + patience
    while (members := _members(path)) and time.monotonic() < deadline:
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _destroy(path: Path) -> None:
    _kill_members(path)
    deadline = time.monotonic() + 2.0
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
