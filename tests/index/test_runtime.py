import sys

from ol_notebook.index import Runtime


def test_current_runtime_is_the_real_interpreter():
    runtime = Runtime.current()
    assert runtime.python.startswith("/") and "shims" not in runtime.python
    assert runtime.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert runtime.id.startswith(f"cp{sys.version_info.major}{sys.version_info.minor}-")


def test_wheel_rank_prefers_specific_wheels_and_rejects_foreign_ones():
    runtime = Runtime.current()
    pure = runtime.wheel_rank("alpha-1.0-py3-none-any.whl")
    native = runtime.wheel_rank("platpkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert pure is not None and native is not None and native < pure
    assert runtime.wheel_rank("platpkg-1.0-cp311-cp311-win_amd64.whl") is None
    assert runtime.wheel_rank("platpkg-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl") is None
