"""What of the running interpreter a sandbox may see: enough to run it, nothing installed into it.

A sandbox shows the interpreter so that `sys.executable` works inside, but the engine's own
packages (its venv, the base installation's site-packages, Debian's dist-packages) must stay
out: a lambda that appends one to sys.path could import packages it never declared, and an
install could pick them up. So the view gets the real binary, its shared library and the
standard library only, never `sys.prefix` (a venv holds nothing else), and every site
directory that a system bind would show anyway is covered by an empty mount (see view.py).
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig

# The running interpreter's real binary: what a sandbox runs (a venv's bin/python is not shown).
PYTHON = os.path.realpath(sys.executable) if sys.executable else ""

@functools.cache
def interpreter_paths(shown: tuple[str, ...]) -> tuple[str, ...]:
    """Host paths to bind read-only: the real binary, libpythonX.Y.so, the standard library
    (with lib-dynload), minus what the system view (the directories `shown`) has already."""
    stdlib = sysconfig.get_path("stdlib", vars=_base_vars())
    wanted = [PYTHON, stdlib, _shared_library()]
    return tuple(path for path in dict.fromkeys(filter(None, wanted))
                 if os.path.exists(path) and not _under(path, shown))


@functools.cache
def hidden_site_dirs(shown: tuple[str, ...]) -> tuple[str, ...]:
    """Every site-packages of the base installation that the view would otherwise show:
    inside the bound standard library (pyenv, python.org builds) or under /usr (Debian)."""
    candidates = {
        *site.getsitepackages([sys.base_prefix, sys.base_exec_prefix]),
        sysconfig.get_path("purelib", vars=_base_vars()),
        sysconfig.get_path("platlib", vars=_base_vars()),
    }
    visible = (*interpreter_paths(shown), *shown)
    return tuple(sorted(path for path in candidates
                        if os.path.isdir(path) and not os.path.islink(path) and _under(path, visible)))


def _base_vars() -> dict[str, str]:
    """sysconfig's variables for the base installation, not the venv we may be running in."""
    return {"base": sys.base_prefix, "platbase": sys.base_exec_prefix,
            "installed_base": sys.base_prefix, "installed_platbase": sys.base_exec_prefix}


def _shared_library() -> str:
    """libpythonX.Y.so.1.0 of a --enable-shared build (pyenv's), which the binary loads by RPATH."""
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return ""
    name = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY") or ""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    return os.path.realpath(os.path.join(libdir, name)) if name and libdir else ""


def _under(path: str, tops: tuple[str, ...]) -> bool:
    return any(path == top or path.startswith(top.rstrip("/") + "/") for top in tops)
