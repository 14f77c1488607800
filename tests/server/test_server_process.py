"""`jupyter server` as users run it: the extension enabled by the installed config, and a clean stop."""

from __future__ import annotations

from pathlib import Path

from tests.jupyter_fixtures import start_jupyter_server


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_stopped_server_leaves_no_sandbox_behind(tmp_path, local_index):
    server = start_jupyter_server(tmp_path, local_index.url)
    try:
        server.request("PUT", "ol/lambdas/stays", {"code": "def f(event):\n    return event\n",
                                                   "settings": {"instances": 2}})
        assert server.request("POST", "ol/run/stays", 5) == 5
        sandboxes = descendants(server.process.pid)
        assert any(b"bwrap" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in sandboxes)
    finally:
        server.stop()
    assert server.process.returncode == 0, server.log.read_text()[-2000:]
    assert "every lambda sandbox has stopped" in server.log.read_text()  # stopped by us, not only by bwrap
    left = [pid for pid in sandboxes if alive(pid)]
    assert not left, [(pid, Path(f"/proc/{pid}/cmdline").read_bytes()) for pid in left]
