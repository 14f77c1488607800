"""The packages of the local test index: names, versions and shapes other tests rely on.

Each case exercises one thing an installer or the store must get right: resolution and pins, extras,
markers, namespace packages, import names that differ from dist names, console scripts, sdist builds with
and without build dependencies, platform tags, Requires-Python, size, and hostile builds (see ``hostile``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .hostile import hostile_packages
from .wheelbuilder import BACKEND_SOURCE, Package, Sdist, module_text, write_package

PLATFORM_TAGS = {
    "x86_64": "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "aarch64": "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "win_amd64": "cp311-cp311-win_amd64",
    "macosx_arm64_abi3": "cp39-abi3-macosx_11_0_arm64",
}
BULKY_MODULES = 300


def simple(name: str, version: str, *requires_dist: str, body: str = "", **options) -> Package:
    """A pure wheel shipping one package named like the distribution."""
    module = name.replace("-", "_")
    return Package(name, version, {f"{module}/__init__.py": module_text(name, version, body)}, requires_dist, **options)


def _bulky() -> Package:
    """~300 modules of incompressible-ish data, for size and throughput tests."""
    files = {"bulky/__init__.py": module_text("bulky", "1.0")}
    for i in range(BULKY_MODULES):
        data = hashlib.sha256(f"bulky-{i}".encode()).hexdigest() * 12
        files[f"bulky/mod_{i:03d}.py"] = f'"""Module {i} of bulky."""\n\nINDEX = {i}\nDATA = "{data}"\n'
    return Package("bulky", "1.0", files)


def _namespace_part(part: str) -> Package:
    """``nsp-<part>`` ships ``nsp/<part>/`` and no ``nsp/__init__.py``; its top_level.txt says ``nsp``."""
    files = {f"nsp/{part}/__init__.py": module_text(f"nsp-{part}", "1.0")}
    return Package(f"nsp-{part}", "1.0", files, dist_info={"top_level.txt": "nsp\n"})


def _platform_wheels() -> list[Package]:
    return [
        Package(
            "platpkg",
            "1.0",
            {"platpkg/__init__.py": module_text("platpkg", "1.0", f'PLATFORM = "{plat}"\n')},
            wheel_tag=tag,
        )
        for plat, tag in PLATFORM_TAGS.items()
    ]


def packages(net_targets: list[tuple[str, int]]) -> list[Package]:
    """Every package of the catalogue; ``net_targets`` are the addresses ``evil-net`` tries."""
    return [
        simple("alpha", "1.0"),
        simple("alpha", "1.1"),
        simple("alpha", "2.0", "beta>=1.0,<2"),
        simple("beta", "1.0"),
        simple("beta", "1.5"),
        simple("beta", "2.0"),
        simple("gamma", "1.0", "alpha>=1.1", 'delta; extra == "fast"', provides_extra=("fast",)),
        simple("delta", "1.0"),
        simple(
            "epsilon",
            "1.0",
            'zeta; python_version < "3.8"',
            'eta; sys_platform == "linux"',
            'theta; sys_platform == "win32"',
        ),
        simple("zeta", "1.0"),
        simple("eta", "1.0"),
        simple("theta", "1.0"),
        _namespace_part("one"),
        _namespace_part("two"),
        Package(
            "py-widget",
            "1.0",
            {
                "widgetlib/__init__.py": module_text("py-widget", "1.0"),
                "widget_helpers.py": module_text("py-widget", "1.0"),
            },
            dist_info={"top_level.txt": "widget_helpers\nwidgetlib\n"},
        ),
        simple(
            "toolpkg",
            "1.0",
            body='\n\ndef main():\n    print("toolpkg ok")\n',
            dist_info={"entry_points.txt": "[console_scripts]\ntoolpkg = toolpkg:main\n"},
        ),
        simple("sdistonly", "1.0", body="BUILT_FROM_SDIST = True\n", wheel_tag=None, sdist=Sdist()),
        Package(
            "olbuild",
            "1.0",
            {"olbuild_backend.py": BACKEND_SOURCE + '\n__version__ = "1.0"\nDIST = "olbuild"\n'},
        ),
        simple(
            "needsbuild",
            "1.0",
            body='BUILT_WITH = "olbuild"\n',
            wheel_tag=None,
            sdist=Sdist(backend="olbuild_backend", requires=("olbuild==1.0",), backend_source=None),
        ),
        *_platform_wheels(),
        # Stand-ins for the real packages notebooks/quickstart.ipynb uses, so it runs the same here as on PyPI.
        simple("six", "1.16.0"),
        simple("six", "1.17.0"),
        simple("modern", "0.9", requires_python=">=3.8"),
        simple("modern", "1.0", requires_python=">=3.12"),
        _bulky(),
        *hostile_packages(net_targets),
        *_import_packages(),
    ]


def build_catalogue(dest: Path, *, canary: tuple[str, int] | None = None, index: tuple[str, int] | None = None) -> Path:
    """Write every file of the catalogue into ``dest`` (flat, usable as ``--find-links``); return ``dest``.

    ``canary`` and ``index`` are the (host, port) addresses baked into ``evil-net``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    targets = [address for address in (canary, index) if address is not None]
    for package in packages(targets):
        write_package(package, dest)
    return dest


# An extension module built against numpy 1.x fails to import under numpy 2 with this (pandas 1.5 does).
NUMPY_ABI_ERROR = ("numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, "
                   "got 88 from PyObject")


def _import_packages() -> list[Package]:
    """For inferred requirements and the numpy ABI hint: ``pyyaml`` provides ``yaml`` (a module
    named unlike its distribution), a ``numpy`` 1.x and 2.x, and ``oldabi``, which needs numpy
    without an upper bound and fails to import under numpy 2 as binaries built for 1.x do."""
    oldabi = (f"\nimport numpy\n\nif int(numpy.__version__.split('.')[0]) >= 2:\n"
              f"    raise ValueError({NUMPY_ABI_ERROR!r})\n")
    return [
        Package("pyyaml", "6.0.1", {"yaml/__init__.py": module_text("pyyaml", "6.0.1", "\ndef safe_load(text):\n"
                                                                    "    return text\n")}),
        simple("numpy", "1.26.4"),
        simple("numpy", "2.0.0"),
        simple("oldabi", "1.0", "numpy", body=oldabi),
        # Imports yaml only when called, and does not declare it: what auto-install fixes at call time.
        simple("lazyyaml", "1.0", body="\ndef load(text):\n    import yaml\n    return yaml.safe_load(text)\n"),
    ]
