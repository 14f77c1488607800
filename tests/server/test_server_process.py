"""`jupyter server` as users run it: the extension enabled by the installed config, and a clean stop."""

from __future__ import annotations

from pathlib import Path

from ol_notebook.sandbox.procfs import descendants
from tests.jupyter_fixtures import start_jupyter_server
from tests.processes import running


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
    left = [pid for pid in sandboxes if running(pid)]
    assert not left, [(pid, Path(f"/proc/{pid}/cmdline").read_bytes()) for pid in left]
