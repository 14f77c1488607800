"""slirp4netns: where it is, and one process of it serving one sandbox's network namespace.

It runs on the host and parses the sandbox's packets, so it is confined too: --enable-seccomp
always, --enable-sandbox as root (its own mount namespace, capabilities dropped; it needs
mount rights, so only as root). --disable-host-loopback: its gateway 10.0.2.2 does not lead to
the host's 127.0.0.1. IPv6 stays off (no --enable-ipv6).

It lives exactly as long as the sandbox: it exits when the write end of its --exit-fd pipe
closes, which `stop` does when the sandbox settles and the kernel does if this process dies.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import threading

from ol_notebook.sandbox.errors import SandboxError

SLIRP4NETNS_ENV = "OL_NOTEBOOK_SLIRP4NETNS"  # a path to slirp4netns, instead of looking on PATH
HOW_TO_INSTALL = "install slirp4netns (`apt install slirp4netns`)"
READY_TIMEOUT = 10.0


def find_slirp4netns() -> str:
    """$OL_NOTEBOOK_SLIRP4NETNS if set (and only that), else slirp4netns on PATH (or in /usr/bin)."""
    explicit = os.environ.get(SLIRP4NETNS_ENV)
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise SandboxError(
            f"network=True needs slirp4netns, and {SLIRP4NETNS_ENV}={explicit} is not an executable file: "
            f"{HOW_TO_INSTALL}, or point {SLIRP4NETNS_ENV} at it"
        )
    found = shutil.which("slirp4netns") or shutil.which("slirp4netns", path="/usr/bin:/bin")
    if found is None:
        raise SandboxError(
            f"network=True gives a sandbox the internet through slirp4netns, which is not installed: {HOW_TO_INSTALL}, "
            "use network=False where no network is needed, or network='host' to share the host's network "
            "(every loopback service of the host is then reachable)"
        )
    return found



class Slirp:
    """One slirp4netns process serving one network namespace."""

    def __init__(self, path: str, netns: int, userns: int):
        ready_read, ready_write = os.pipe()
        exit_read, self._exit_write = os.pipe()
        self._ready = ready_read
        # Its stderr, read only if it fails; a file, since a pipe nobody drains would block it.
        self._log = tempfile.TemporaryFile(prefix="ol-slirp4netns-")  # noqa: SIM115 (lives as long as slirp)
        argv = [
            path, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-seccomp",
            *(["--enable-sandbox"] if os.geteuid() == 0 else []),
            f"--ready-fd={ready_write}", f"--exit-fd={exit_read}", "--netns-type=path",
            f"--userns-path=/proc/self/fd/{userns}", f"/proc/self/fd/{netns}", "tap0",
        ]
        try:
            self._process = subprocess.Popen(
                argv, pass_fds=(ready_write, exit_read, netns, userns), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True,
            )
        except OSError as error:
            os.close(self._exit_write)
            self._exit_write = -1
            self._release()
            raise SandboxError(f"cannot run slirp4netns at {path}: {error}") from error
        finally:
            os.close(ready_write)
            os.close(exit_read)

    def wait_ready(self) -> None:
        """Until slirp4netns has configured tap0 and its routes; its log says why it did not."""
        poll = select.poll()
        poll.register(self._ready, select.POLLIN)
        if poll.poll(int(READY_TIMEOUT * 1000)) and os.read(self._ready, 1) == b"1":
            return
        self._end()
        self._log.seek(0)
        said = self._log.read().decode(errors="replace").strip().replace("\n", "; ")
        self._release()
        hint = " (rootless, /dev/net/tun must be readable and writable by this user)" if "/dev/net/tun" in said else ""
        raise SandboxError(
            f"slirp4netns could not give the sandbox its network (exit status {self._process.returncode}): "
            + (said + hint if said else f"no message; it was not ready within {READY_TIMEOUT:g} s")
        )

    def stop(self) -> None:
        """Closing the exit fd ends it. Its exit takes ~20 ms (the kernel unregisters its tap
        device), so a thread reaps it: the sandbox's caller need not wait for that."""
        self._close_exit_fd()
        self._release()
        threading.Thread(target=self._reap, name="slirp4netns-reaper", daemon=True).start()

    def _end(self) -> None:
        self._close_exit_fd()
        self._reap()

    def _close_exit_fd(self) -> None:
        if self._exit_write >= 0:
            os.close(self._exit_write)
            self._exit_write = -1

    def _reap(self) -> None:
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _release(self) -> None:
        if self._ready >= 0:
            os.close(self._ready)
            self._ready = -1
        self._log.close()
