"""SandboxSpec.hidden: paths of the system view a command must not have (the compilers of a
build that must not compile) are really gone, through every alias, and nothing else is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ol_notebook.sandbox import Bind, Sandbox, SandboxError, SandboxSpec

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc on the host")

SOURCE = "int main(void) { return 0; }\n"


def compile_in(sandbox: Sandbox, tmp_path: Path, compiler: str, hidden: tuple[str, ...] = ()) -> int:
    (tmp_path / "x.c").write_text(SOURCE)
    spec = SandboxSpec(["/bin/sh", "-c", f"{compiler} -o /tmp/x {tmp_path}/x.c && /tmp/x"],
                       binds=[Bind(tmp_path)], hidden=hidden)
    return sandbox.run(spec).returncode


def test_a_hidden_compiler_cannot_run_under_any_of_its_names(sandbox: Sandbox, tmp_path: Path) -> None:
    assert compile_in(sandbox, tmp_path, "gcc") == 0  # it works when not hidden...
    for name in ("gcc", "cc", "x86_64-linux-gnu-gcc", str(Path("/usr/bin/gcc").resolve())):
        if shutil.which(name):  # ...and hiding the one name hides every alias of its file
            assert compile_in(sandbox, tmp_path, name, hidden=("/usr/bin/gcc",)) != 0, name


def test_a_hidden_directory_shows_empty_and_read_only(sandbox: Sandbox) -> None:
    result = sandbox.run(SandboxSpec(
        ["/bin/sh", "-c", "ls -A /usr/lib/gcc | wc -l; touch /usr/lib/gcc/x 2>/dev/null && echo wrote"],
        hidden=("/usr/lib/gcc",)))
    assert result.stdout.split() == [b"0"]
    assert sandbox.run(SandboxSpec(["ls", "/usr/lib/gcc"])).stdout.strip()  # the host's is not touched


def test_what_the_host_lacks_is_nothing_to_hide(sandbox: Sandbox) -> None:
    assert sandbox.run(SandboxSpec(["true"], hidden=("/usr/bin/no-such-compiler",))).returncode == 0


@pytest.mark.parametrize("hidden", [("usr/bin/gcc",), ["/usr/bin/gcc"], (3,)])
def test_hidden_must_be_absolute_paths(sandbox: Sandbox, hidden) -> None:
    with pytest.raises(SandboxError, match=r"SandboxSpec\.hidden must be a tuple of absolute paths"):
        sandbox.run(SandboxSpec(["true"], hidden=hidden))


def test_unsafe_mode_refuses_to_pretend_it_hides() -> None:
    with pytest.warns(RuntimeWarning), pytest.raises(SandboxError, match="unsafe mode cannot hide /usr/bin/gcc"):
        Sandbox(unsafe=True).run(SandboxSpec(["true"], hidden=("/usr/bin/gcc",)))
