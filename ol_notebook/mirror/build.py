"""Fill a mirror with the wanted files: everything is checked, then fetched and verified into a
staging directory inside the mirror, and only when every file passed is anything published.

So a refused run (a hash mismatch, a wrong size, a dead URL, a file name the mirror already lists
with other content) leaves the mirror exactly as it was. A file already in the mirror is re-hashed:
with the right hash it is kept, never rewritten; one changed since it was mirrored is reported
and replaced by a verified download. Files go in first, pages after them, so a page never links a
file that is not there, whenever the run is killed; one run at a time writes a mirror.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ol_notebook.atomic_write import write_atomic
from ol_notebook.index.core_metadata import requires_python_of
from ol_notebook.index.download import DownloadError, download
from ol_notebook.mirror.files import publish, sha256_file
from ol_notebook.mirror.layout import (
    PageFile,
    file_path,
    listed_projects,
    page_url,
    project_pages,
    read_project_page,
    root_pages,
    simple_dir,
)
from ol_notebook.mirror.wanted import MirrorError, WantedFile

STAGING_PREFIX = ".incoming-"  # in the mirror's root: its own filesystem, so publishing is a rename


@dataclass
class MirrorReport:
    """What a run did, file by file."""

    root: Path
    added: list[WantedFile] = field(default_factory=list)
    kept: list[WantedFile] = field(default_factory=list)
    repaired: list[tuple[WantedFile, str]] = field(default_factory=list)  # (file, the sha256 found instead)

    @property
    def projects(self) -> list[str]:
        return sorted({file.project for file in self.added + self.kept + [file for file, _ in self.repaired]})


def build_mirror(root: Path, wanted: Sequence[WantedFile]) -> MirrorReport:
    """Make the mirror at `root` hold every wanted file and list it on its project's page."""
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MirrorError(f"cannot make the mirror directory {root}: {error.strerror}") from None
    root = root.resolve()
    try:
        with _only_run(root):
            return _build(root, _unique(wanted))
    except OSError as error:  # disk full, permissions: what was staged is gone, what was published is whole
        raise MirrorError(f"writing the mirror {root} failed: {error}") from None
    finally:
        if created and not any(root.iterdir()):
            root.rmdir()  # a refused first run leaves no trace


@contextlib.contextmanager
def _only_run(root: Path) -> Iterator[None]:
    """One run at a time on a mirror (a flock on its directory, released by the kernel even on
    kill -9); under it, staging left by a killed run is removed."""
    handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MirrorError(f"another `ol-notebook mirror` is writing {root}; run again when it is done") from None
        for stale in root.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        os.close(handle)


def _build(root: Path, files: list[WantedFile]) -> MirrorReport:
    pages = {project: read_project_page(root, project) for project in sorted({file.project for file in files})}
    for file in files:
        listed = pages[file.project].get(file.filename)
        if listed is not None and listed.sha256 != file.sha256:
            raise MirrorError(
                f"{file.describe()} has sha256 {file.sha256}, but the mirror {root} already lists {file.filename} "
                f"with sha256 {listed.sha256}: an index never changes a published file, so one of the two is not "
                "the real one; nothing was changed"
            )
    report = MirrorReport(root)
    missing: list[WantedFile] = []
    for file in files:
        target = file_path(root, file.filename, file.sha256)
        found = sha256_file(target) if target.is_file() else None
        if found == file.sha256 and (file.size is None or target.stat().st_size == file.size):
            report.kept.append(file)
        else:
            missing.append(file)
            if found is not None:
                report.repaired.append((file, found))
    with tempfile.TemporaryDirectory(dir=root, prefix=STAGING_PREFIX) as staging:
        changed = dict(report.repaired)
        staged = {file: _fetch(file, Path(staging), changed.get(file)) for file in missing}
        for file, path in staged.items():  # every file passed: now publish them
            publish(path, file_path(root, file.filename, file.sha256))
    repaired = {file for file, _ in report.repaired}
    report.added = [file for file in missing if file not in repaired]
    _write_pages(root, files, pages)
    return report


def _unique(wanted: Sequence[WantedFile]) -> list[WantedFile]:
    """One entry per file name; two locks naming one file with two hashes is an error naming both."""
    by_name: dict[str, WantedFile] = {}
    for file in wanted:
        other = by_name.setdefault(file.filename, file)
        if other.sha256 != file.sha256:
            raise MirrorError(f"{file.filename} has sha256 {other.sha256} in {other.source} but {file.sha256} in "
                              f"{file.source}; nothing was changed")
    return list(by_name.values())


def _fetch(file: WantedFile, staging: Path, changed: str | None) -> Path:
    """The file, verified, in `staging`; `changed` is the sha256 of a mirror copy that no longer matches."""
    try:
        path = download(file.url, file.sha256, file.filename, staging)
    except DownloadError as error:
        damaged = f" (and its copy in the mirror changed since it was mirrored: sha256 {changed})" if changed else ""
        raise MirrorError(f"{file.describe()}: {error}; nothing was changed in the mirror{damaged}") from None
    size = path.stat().st_size
    if file.size is not None and size != file.size:
        raise MirrorError(f"{file.describe()} is {size:,} bytes, but {file.source} says {file.size:,}; "
                          "nothing was changed in the mirror")
    return path


def _write_pages(root: Path, files: list[WantedFile], pages: dict[str, dict[str, PageFile]]) -> None:
    for file in files:
        if file.filename in pages[file.project]:
            continue  # listed already, with this very hash (checked above)
        target = file_path(root, file.filename, file.sha256)
        pages[file.project][file.filename] = PageFile(
            file.filename, page_url(file.filename, file.sha256), file.sha256, target.stat().st_size,
            file.requires_python or requires_python_of(target), file.upload_time,
        )
    for project, listed in pages.items():
        _write_if_changed(simple_dir(root) / project, project_pages(project, listed.values()))
    _write_if_changed(simple_dir(root), root_pages({*listed_projects(root), *pages}))


def _write_if_changed(directory: Path, contents: dict[str, str]) -> None:
    """JSON first: it is what the next run reads back, so a run killed between the two leaves
    a complete list that the next run renders to HTML again."""
    for name, text in sorted(contents.items(), key=lambda item: not item[0].endswith("json")):
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
