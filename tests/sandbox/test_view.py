"""What a sandboxed command can see and change of the host."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from pathlib import Path

import pytest

from ol_notebook.sandbox import Bind, Sandbox, SandboxError, SandboxSpec
from ol_notebook.sandbox.view import visible_binds
from tests.sandbox.helpers import py

REPO = Path(__file__).resolve().parents[2]


def probe(sandbox: Sandbox, paths: list[str], **spec) -> dict[str, str]:
    """For each path, what happens when the sandbox reads it: its sha256, or the error's name."""
    result = sandbox.run(py(
        """
        import hashlib, json, sys
        seen = {}
        for path in sys.argv[1:]:
            try:
                with open(path, "rb") as f:
                    seen[path] = hashlib.sha256(f.read()).hexdigest()
            except OSError as error:
                seen[path] = type(error).__name__
        print(json.dumps(seen))
        """, *paths, **spec,
    ))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_home_and_work_are_invisible(sandbox: Sandbox) -> None:
    secret = Path.home() / f".ol-sandbox-secret-{secrets.token_hex(4)}"
    secret.write_text("s3cret")
    try:
        assert secret.read_text() == "s3cret"  # readable on the host...
        paths = [str(secret), str(REPO / "pyproject.toml"), "/work/shared/DESIGN.md", "/etc/shadow"]
        seen = probe(sandbox, paths)
    finally:
        secret.unlink()
    # ...but not inside, though the interpreter under /root/.pyenv and the venv under /work are
    assert seen == {
        str(secret): "FileNotFoundError",
        str(REPO / "pyproject.toml"): "FileNotFoundError",
        "/work/shared/DESIGN.md": "FileNotFoundError",
        "/etc/shadow": "FileNotFoundError",
    }


def test_system_files_that_commands_need_are_there(sandbox: Sandbox) -> None:
    paths = ["/etc/passwd", "/etc/resolv.conf", "/etc/ssl/certs/ca-certificates.crt"]
    assert probe(sandbox, paths) == {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}
    result = sandbox.run(SandboxSpec(["sh", "-c", "ls /bin/sh && awk 'BEGIN { print 6 * 7 }'"], python=False))
    assert (result.returncode, result.stdout) == (0, b"/bin/sh\n42\n")


def test_only_binds_marked_writable_can_be_written(sandbox: Sandbox, tmp_path: Path) -> None:
    readonly, writable = tmp_path / "ro", tmp_path / "rw"
    readonly.mkdir()
    writable.mkdir()
    (readonly / "keep").write_text("original")
    result = sandbox.run(py(
        """
        import sys
        for path in sys.argv[1:]:
            try:
                with open(path, "w") as f:
                    f.write("changed")
                print(path, "written")
            except OSError as error:
                print(path, error.strerror)
        """,
        *(f"{d}/new" for d in ("", "/usr", "/etc", "/dev", "/proc", str(readonly), str(writable))),
        str(readonly / "keep"),
        binds=[Bind(readonly), Bind(writable, writable=True)],
    ))
    assert result.stdout.decode().splitlines() == [
        "/new Read-only file system",
        "/usr/new Read-only file system",
        "/etc/new Read-only file system",
        "/dev/new Read-only file system",
        "/proc/new No such file or directory",
        f"{readonly}/new Read-only file system",
        f"{writable}/new written",
        f"{readonly}/keep Read-only file system",
    ]
    assert (writable / "new").read_text() == "changed"
    assert (readonly / "keep").read_text() == "original"
    assert not (readonly / "new").exists()


def test_no_capabilities_to_remount_a_read_only_bind(sandbox: Sandbox, tmp_path: Path) -> None:
    """Run as root, bwrap would leave the command CAP_SYS_ADMIN in its namespace: enough to
    remount a read-only bind read-write and write host files as root."""
    (tmp_path / "keep").write_text("original")
    result = sandbox.run(SandboxSpec(
        ["sh", "-c", f"mount -o remount,rw,bind {tmp_path} || echo refused; echo changed > {tmp_path}/keep"],
        binds=[Bind(tmp_path)], python=False,
    ))
    assert b"refused" in result.stdout
    assert (tmp_path / "keep").read_text() == "original"
    status = sandbox.run(SandboxSpec(["grep", "CapEff", "/proc/self/status"], python=False))
    assert status.stdout.split() == [b"CapEff:", b"0000000000000000"]


def test_bind_at_another_path_and_cwd(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("payload")
    result = sandbox.run(py(
        "import os; print(os.getcwd(), open('data.txt').read())",
        binds=[Bind(tmp_path, dest="/data")], cwd="/data",
    ))
    assert result.stdout == b"/data payload\n"


def _mountpoints_in_tmp(spec) -> bytes:
    """What a private /tmp holds before the command runs: the mountpoints of binds under /tmp
    (the interpreter, when the checkout lives in /tmp as CI's clone may)."""
    tops = {Path(b.target).relative_to("/tmp").parts[0] for b in visible_binds(spec) if b.target.startswith("/tmp/")}
    return f"{sorted(tops)}\n".encode()


def test_private_tmp_is_private_and_removed(sandbox: Sandbox, private_tempdir: Path) -> None:
    """/tmp is a tmpfs of the sandbox's own: nothing of it exists on the host, during or after."""
    marker = f"marker-{secrets.token_hex(4)}"
    host_file = Path("/tmp", marker)
    host_file.write_text("host")
    try:
        spec = py(
            f"""
            import os, sys
            print(sorted(os.listdir("/tmp")), flush=True)
            open("/tmp/{marker}", "w").write("inside")
            print(open("/tmp/{marker}").read(), flush=True)
            sys.stdin.read()
            """
        )
        process = sandbox.start(spec)
        assert process.stdout and process.stdin
        assert process.stdout.readline() == _mountpoints_in_tmp(spec)  # the host's /tmp is not there
        assert process.stdout.readline() == b"inside\n"
        assert host_file.read_text() == "host"
        assert os.listdir(private_tempdir) == []  # no host directory stands in for it
        process.stdin.close()
        assert process.wait(10) == 0
        process.stdout.close()
        assert host_file.read_text() == "host"
    finally:
        host_file.unlink()
    # a second sandbox does not see the first one's /tmp
    second = py("import os; print(sorted(os.listdir('/tmp')))")
    assert sandbox.run(second).stdout == _mountpoints_in_tmp(second)


def test_environment_is_exactly_the_given_one(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OL_HOST_SECRET", "leak")
    result = sandbox.run(SandboxSpec(["env", "-0"], env={"FOO": "bar", "PATH": "/usr/bin"}, python=False))
    variables = dict(item.split("=", 1) for item in result.stdout.decode().split("\0") if item)
    assert variables == {"FOO": "bar", "PATH": "/usr/bin", "HOME": "/tmp", "PWD": "/tmp"}


def test_own_pid_namespace_and_hostname(sandbox: Sandbox) -> None:
    result = sandbox.run(py(
        "import os, socket\n"
        "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), socket.gethostname())"
    ))
    assert result.stdout == b"[1, 2] ol-sandbox\n"
    assert socket.gethostname() != "ol-sandbox"


def test_exit_status_is_returned_not_raised(sandbox: Sandbox) -> None:
    result = sandbox.run(py("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"))
    assert (result.returncode, result.stdout, result.stderr) == (3, b"out\n", b"err\n")
    killed = sandbox.run(py("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"))
    assert killed.returncode == 128 + 15


def test_stdin_is_fed_and_output_keeps_its_last_64_kib(sandbox: Sandbox) -> None:
    result = sandbox.run(py(
        "import sys; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(data * 100)"
    ), stdin=bytes(range(256)) * 16)
    assert len(result.stdout) == 64 << 10
    assert result.stdout == (bytes(range(256)) * 1600)[-(64 << 10):]


def test_bad_specs_are_refused_clearly(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="does not exist"):
        sandbox.run(SandboxSpec(["true"], binds=[Bind(tmp_path / "missing")]))
    with pytest.raises(SandboxError, match="argv is empty"):
        sandbox.run(SandboxSpec([]))
    with pytest.raises(SandboxError, match=r"could not start 'no-such-command'.*No such file"):
        sandbox.run(SandboxSpec(["no-such-command"]))
