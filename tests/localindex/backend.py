"""A tiny PEP 517 build backend, and the one wheel/sdist writer of the local index.

Its source is copied verbatim into the catalogue's sdists (as an in-tree backend) and into the ``olbuild``
wheel, so it imports nothing but the standard library and runs on any Python 3.8+.  The test-side builder
imports the same writers, so every archive in the catalogue comes from one code path and a wheel built from
an sdist looks exactly like one the catalogue wrote directly.

An sdist using this backend holds ``PKG-INFO`` (its core metadata, reused as the wheel's METADATA) and the
wheel's payload under ``src/``.  The hostile sdists append a redefinition of ``_before_build`` to this source.
"""

from __future__ import annotations

import base64
import email.parser
import gzip
import hashlib
import io
import os
import re
import tarfile
import zipfile

# Fixed timestamps make every archive byte-for-byte reproducible, so hashes are stable across runs.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
TAR_MTIME = 1577836800
PAYLOAD_DIR = "src"


def escaped_name(name: str) -> str:
    """The name as it appears in wheel/sdist file names and in ``.dist-info`` directories."""
    return re.sub(r"[-_.]+", "_", name).lower()


def record_hash(data: bytes) -> str:
    """A RECORD hash field: urlsafe base64 of the sha256, without padding."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def expand_tag(tag: str) -> list[str]:
    """Expand a compressed tag set (``cp311-cp311-a.b``) into the single tags a WHEEL file lists."""
    pythons, abis, platforms = tag.split("-")
    return [f"{p}-{a}-{pl}" for p in pythons.split(".") for a in abis.split(".") for pl in platforms.split(".")]


def wheel_file_text(tag: str) -> str:
    """The ``WHEEL`` file: a platform wheel's files go to platlib, a pure one's to purelib."""
    purelib = "true" if tag.endswith("-none-any") else "false"
    lines = ["Wheel-Version: 1.0", "Generator: ol-localindex", f"Root-Is-Purelib: {purelib}"]
    return "\n".join(lines + [f"Tag: {t}" for t in expand_tag(tag)]) + "\n"


def dist_info_dir(name: str, version: str) -> str:
    return f"{escaped_name(name)}-{version}.dist-info"


def write_wheel(
    wheel_dir: str,
    name: str,
    version: str,
    files: dict[str, bytes],
    metadata: str,
    *,
    tag: str = "py3-none-any",
    dist_info_extra: dict[str, str] | None = None,
) -> str:
    """Write a wheel whose RECORD hashes every file (dist-info last, as installers expect); return its name."""
    dist_info = dist_info_dir(name, version)
    contents = {path: files[path] for path in sorted(files)}
    contents[f"{dist_info}/METADATA"] = metadata.encode("utf-8")
    contents[f"{dist_info}/WHEEL"] = wheel_file_text(tag).encode("utf-8")
    for filename, text in sorted((dist_info_extra or {}).items()):
        contents[f"{dist_info}/{filename}"] = text.encode("utf-8")
    record = [f"{path},{record_hash(data)},{len(data)}" for path, data in contents.items()]
    contents[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,", ""]).encode("utf-8")
    filename = f"{escaped_name(name)}-{version}-{tag}.whl"
    with zipfile.ZipFile(os.path.join(wheel_dir, filename), "w") as archive:
        for path, data in contents.items():
            info = zipfile.ZipInfo(path, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return filename


def write_sdist(sdist_dir: str, name: str, version: str, files: dict[str, bytes]) -> str:
    """Write ``<name>-<version>.tar.gz`` with every file under one top directory; return its name."""
    base = f"{escaped_name(name)}-{version}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(files):
            info = tarfile.TarInfo(f"{base}/{path}")
            info.size, info.mtime, info.mode = len(files[path]), TAR_MTIME, 0o644
            archive.addfile(info, io.BytesIO(files[path]))
    filename = base + ".tar.gz"
    with (
        open(os.path.join(sdist_dir, filename), "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
    ):
        compressed.write(buffer.getvalue())
    return filename


def read_tree(root: str) -> dict[str, bytes]:
    """Every file under ``root`` keyed by its ``/``-separated relative path, skipping bytecode caches."""
    found: dict[str, bytes] = {}
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        for filename in filenames:
            path = os.path.join(directory, filename)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    return found


def _pkg_info() -> tuple[str, str, str]:
    """Name, version and text of the sdist's PKG-INFO (the frontend runs hooks in the unpacked sdist)."""
    with open("PKG-INFO", encoding="utf-8") as handle:
        text = handle.read()
    message = email.parser.Parser().parsestr(text, headersonly=True)
    return message["Name"], message["Version"], text


def _before_build() -> dict[str, str]:
    """Text to append to payload files before the wheel is written; hostile sdists redefine this."""
    return {}


def get_requires_for_build_wheel(config_settings: dict | None = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: dict | None = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: dict | None = None) -> str:
    name, version, metadata = _pkg_info()
    dist_info = dist_info_dir(name, version)
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for filename, text in (("METADATA", metadata), ("WHEEL", wheel_file_text("py3-none-any"))):
        with open(os.path.join(metadata_directory, dist_info, filename), "w", encoding="utf-8") as handle:
            handle.write(text)
    return dist_info


def build_wheel(
    wheel_directory: str, config_settings: dict | None = None, metadata_directory: str | None = None
) -> str:
    appended = _before_build()
    name, version, metadata = _pkg_info()
    payload = read_tree(PAYLOAD_DIR)
    for path, text in appended.items():
        payload[path] = payload.get(path, b"") + text.encode("utf-8")
    return write_wheel(wheel_directory, name, version, payload, metadata)


def build_sdist(sdist_directory: str, config_settings: dict | None = None) -> str:
    name, version, _ = _pkg_info()
    return write_sdist(sdist_directory, name, version, read_tree("."))
