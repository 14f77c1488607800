"""Test helpers about processes that the product has no use for."""

from __future__ import annotations

import os
from pathlib import Path


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line contains `text` (a store or registry path names its sandboxes)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if text.encode() in cmdline.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def describe(pid: int) -> str:
    """A process for an assertion message: pid, state, parent, executable and command line."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid} (gone)"
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError as error:
        exe = f"? ({error.strerror})"
    return f"{pid} state {fields[0].decode()} parent {int(fields[1])} exe {exe}: {command[:300]}"
