"""A second local index with platform wheels, for exports to other machines and Pythons.

Served by its own fixture (`platform_index`, plugin.py), so the catalogue and its tests stay as
they are. Other tests use these packages by name:

- ``fastmath 1.0``: ``fastmath.add(a, b)``, a REAL C extension compiled here with gcc when the
  index is built (against this interpreter's headers, limited API 3.8, so it imports on 3.11 to
  3.13 on this x86_64 host). Wheels cp311, cp312 and cp313, each for
  ``manylinux_2_17_x86_64.manylinux2014_x86_64`` (that real .so) and
  ``manylinux_2_17_aarch64.manylinux2014_aarch64`` (a minimal valid ELF64 header with
  e_machine 183: checked statically, never loaded). No sdist and no wheel for 3.10 or older.
- ``abimath 1.0``: the same in one ``cp38-abi3`` wheel per machine (``abimath.add``).
- ``puresdist 1.0``: an sdist only, pure Python: it builds to ``py3-none-any``.
- ``speedups 1.0``: an sdist with an optional C extension: built with a working C compiler it is
  a ``cpXY-cpXY-linux_<machine>`` wheel holding ``speedups/_speed.so``; without one (no compiler,
  or CC fails) ``py3-none-any``. ``speedups.FAST`` says which.
- ``needscc 1.0``: an sdist that only builds with a C compiler (always a platform wheel).
- ``armdep 1.0`` (pure wheel) requires ``armonly; platform_machine == "aarch64"`` and ``plainpy``;
  ``armonly 1.0`` and ``plainpy 1.0`` are pure wheels.
- ``numpyish``: 2.0 has only ``manylinux_2_28`` wheels (cp311-cp313, both machines) and an sdist
  that needs a compiler; 1.0 has ``manylinux_2_17`` wheels. A glibc 2.26 target (AWS python3.11)
  must pick 1.0; a glibc 2.34 one (python3.12) picks 2.0.
- ``liar 1.0``: wheels tagged ``manylinux_2_17_aarch64`` for cp311-cp313 whose ``liar.so`` is an
  x86_64 object: a tag the bundle checks must not believe.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from . import backend
from .catalogue import simple
from .wheelbuilder import BACKEND_SOURCE, Package, Sdist, module_text, write_package

PYTHONS = ("cp311", "cp312", "cp313")
MANYLINUX_2014 = {
    "x86_64": "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "aarch64": "manylinux_2_17_aarch64.manylinux2014_aarch64",
}
EM_AARCH64 = 183

EXTENSION_C = """
#define Py_LIMITED_API 0x03080000
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b, in C"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "NAME", NULL, -1, methods};
PyMODINIT_FUNC PyInit_NAME(void) { return PyModule_Create(&module); }
"""

SPEED_C = "long speed_add(long a, long b) { return a + b; }\n"

# Appended to the harmless backend of speedups and needscc: build_wheel compiles speed.c with $CC
# (default cc) into the package, tagged for the building interpreter; REQUIRED says whether a
# failing compiler fails the build or gives a pure wheel.
COMPILING_BACKEND = """
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import platform
    import shlex
    import subprocess
    import sys

    name, version, metadata = _pkg_info()
    payload = read_tree(PAYLOAD_DIR)
    package = escaped_name(name)
    compiler = shlex.split(os.environ.get("CC") or "cc")
    try:
        subprocess.run([*compiler, "-shared", "-fPIC", "-o", "_speed.so", "speed.c"], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        if REQUIRED:
            raise RuntimeError("%s needs a C compiler to build: %s" % (name, error))
        return write_wheel(wheel_directory, name, version, payload, metadata)
    with open("_speed.so", "rb") as handle:
        payload[package + "/_speed.so"] = handle.read()
    python = "cp%d%d" % sys.version_info[:2]
    tag = "%s-%s-linux_%s" % (python, python, platform.machine())
    return write_wheel(wheel_directory, name, version, payload, metadata, tag=tag)
"""

SPEEDUPS_INIT = '''
import ctypes
import os

try:
    _LIB = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "_speed.so"))
    FAST = True
except OSError:
    _LIB = None
    FAST = False


def add(a, b):
    return _LIB.speed_add(a, b) if _LIB is not None else a + b
'''


def aarch64_stub() -> bytes:
    """The 64-byte header of an ELF64 little-endian shared object for AArch64, and nothing else."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    fields = [(3, 2), (EM_AARCH64, 2), (1, 4), (0, 8), (0, 8), (0, 8), (0, 4), (64, 2), (56, 2), (0, 2), (64, 2),
              (0, 2), (0, 2)]
    return ident + b"".join(value.to_bytes(size, "little") for value, size in fields)


def compile_extension(name: str, work: Path) -> bytes:
    """A real extension module `name` for this host, built with gcc against this interpreter."""
    source = work / f"{name}.c"
    source.write_text(EXTENSION_C.replace("NAME", name))
    target = work / f"{name}.so"
    include = sysconfig.get_paths()["include"]
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{include}", "-o", str(target), str(source)], check=True)
    return target.read_bytes()


def _binary_wheel(dest: Path, name: str, version: str, files: dict[str, bytes], tag: str) -> str:
    metadata = Package(name, version, {}).core_metadata("2.1")
    return backend.write_wheel(str(dest), name, version, files, metadata, tag=tag)


def _extension_wheels(dest: Path, name: str, version: str, real: bytes, platforms: dict[str, str],
                      pythons: tuple[str, ...] = PYTHONS, lie: bool = False) -> list[str]:
    """One wheel per Python and machine; x86_64 ones carry `real`, aarch64 ones the stub (or, if
    `lie`, the x86_64 object under an aarch64 tag)."""
    written = []
    for python in pythons:
        for machine, platform in platforms.items():
            suffix = "abi3" if python == "cp38" else f"cpython-{python[2:]}-{machine}-linux-gnu"
            content = real if machine == "x86_64" or lie else aarch64_stub()
            abi = "abi3" if python == "cp38" else python
            written.append(_binary_wheel(dest, name, version, {f"{name}.{suffix}.so": content},
                                         f"{python}-{abi}-{platform}"))
    return written


def _compiling_sdist(dest: Path, name: str, version: str, required: bool) -> str:
    package = Package(name, version, {})
    tree = {
        f"{backend.PAYLOAD_DIR}/{name}/__init__.py": module_text(name, version, SPEEDUPS_INIT),
        "speed.c": SPEED_C,
        "PKG-INFO": package.core_metadata("2.2"),
        "pyproject.toml": Sdist().pyproject(),
        "olbackend.py": f"{BACKEND_SOURCE}\nREQUIRED = {required}\n{COMPILING_BACKEND}",
    }
    return backend.write_sdist(str(dest), name, version, {path: text.encode() for path, text in tree.items()})


def build_platform_index(files_dir: Path) -> list[str]:
    """Write every package of this index into `files_dir`; return the file names."""
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ol-platform-index-") as work:
        fastmath = compile_extension("fastmath", Path(work))
        abimath = compile_extension("abimath", Path(work))
        liar = compile_extension("liar", Path(work))
        numpyish = compile_extension("numpyish", Path(work))
    written += _extension_wheels(files_dir, "fastmath", "1.0", fastmath, MANYLINUX_2014)
    written += _extension_wheels(files_dir, "abimath", "1.0", abimath, MANYLINUX_2014, pythons=("cp38",))
    written += _extension_wheels(files_dir, "liar", "1.0", liar, {"aarch64": MANYLINUX_2014["aarch64"]}, lie=True)
    written += _extension_wheels(files_dir, "numpyish", "1.0", numpyish, MANYLINUX_2014)
    written += _extension_wheels(files_dir, "numpyish", "2.0", numpyish,
                                 {machine: f"manylinux_2_28_{machine}" for machine in MANYLINUX_2014})
    written.append(_compiling_sdist(files_dir, "numpyish", "2.0", required=True))
    written.append(_compiling_sdist(files_dir, "speedups", "1.0", required=False))
    written.append(_compiling_sdist(files_dir, "needscc", "1.0", required=True))
    for package in (
        simple("puresdist", "1.0", wheel_tag=None, sdist=Sdist()),
        simple("armdep", "1.0", 'armonly; platform_machine == "aarch64"', "plainpy"),
        simple("armonly", "1.0"),
        simple("plainpy", "1.0"),
    ):
        written += write_package(package, files_dir)
    return written


if __name__ == "__main__":  # python -m tests.localindex.platforms DIR: look at the index's files
    print("\n".join(build_platform_index(Path(sys.argv[1]))))
