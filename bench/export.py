"""Export benchmark: ol-notebook's AWS Lambda export against AWS's own builder, aws-lambda-builders.

The same lambda (requests and pandas) is exported for AWS Lambda arm64 by ol-notebook (`export_aws` on
the default index, PyPI) and by aws-lambda-builders' python_pip workflow (what `sam build` runs; its
directory is then zipped as `sam package` does, and the zip is timed too). Cold: empty caches (ours:
fresh export caches; theirs: a fresh pip cache); warm: the same caches, a fresh output; figures are
medians of --repeat runs, and what a cold run left in its caches shows it fetched. Each bundle is
then read the same way, as Lambda would load it: every ELF file must be 64-bit for the target machine
(EM_AARCH64), every wheel's tags (its dist-info WHEEL) must be ones the target runs, and the unpacked
size must fit AWS's 250 MB. The marker case, `requests; platform_machine == "aarch64"`, shows whose
markers are the target's: aws-lambda-builders evaluates them on the build host.

aws-lambda-builders needs the target's Python on PATH (`python3.12` for python3.12); without one its row
says so. Needs `pip install -e '.[bench]'` (the Makefile's bench target). Uses PyPI.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ol_notebook.export.aws import export_aws  # noqa: E402
from ol_notebook.export.checks import AWS_UNZIPPED_LIMIT, ELF_MAGIC  # noqa: E402
from ol_notebook.export.model import ExportCaches, ExportError  # noqa: E402
from ol_notebook.export.target import Target, aws_target  # noqa: E402
from ol_notebook.index import IndexConfig  # noqa: E402
from ol_notebook.puller import DEFAULT_LIMITS  # noqa: E402
from ol_notebook.sandbox import Sandbox  # noqa: E402

CODE = '''
import pandas
import requests


def f(event):
    return {"rows": len(pandas.DataFrame(event.get("rows", []))), "requests": requests.__version__}
'''
HANDLER = '''
from lambda_code import f


def lambda_handler(event, context):
    return f(event)
'''


@dataclass(frozen=True)
class Case:
    label: str
    requirements: tuple[str, ...]
    arch: str  # AWS's name: arm64 | x86_64
    python: str  # X.Y


CASES = (
    Case("requests+pandas", ("requests", "pandas"), "arm64", "3.11"),
    Case("requests+pandas", ("requests", "pandas"), "arm64", "3.12"),
    Case("marker", ('requests; platform_machine == "aarch64"',), "arm64", "3.11"),
)


@dataclass
class Reading:
    """What a bundle holds, read from its zip as Lambda would unpack it."""

    packages: dict[str, str] = field(default_factory=dict)  # name -> version, from the dist-info dirs
    unpacked: int = 0
    zipped: int = 0
    elf_files: int = 0
    wrong_elf: list[str] = field(default_factory=list)  # not ELF64 for the target's machine
    wrong_tags: list[str] = field(default_factory=list)  # wheels whose tags the target cannot run

    def problems(self) -> list[str]:
        found = []
        if self.wrong_elf:
            found.append(f"{len(self.wrong_elf)} ELF files not for the target, e.g. {self.wrong_elf[0]}")
        if self.wrong_tags:
            found.append(f"wheel tags the target cannot run: {', '.join(self.wrong_tags)}")
        if self.unpacked > AWS_UNZIPPED_LIMIT:
            found.append(f"unzipped {self.unpacked / 1e6:.0f} MB > AWS's 250 MB")
        return found


def read_bundle(archives: list[Path], target: Target) -> Reading:
    reading = Reading()
    accepted = {str(tag) for tag in target.tags}
    for archive in archives:
        reading.zipped += archive.stat().st_size
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                reading.unpacked += info.file_size
                parts = info.filename.removeprefix("python/").split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "WHEEL":
                    name, version = parts[0].removesuffix(".dist-info").rsplit("-", 1)
                    reading.packages[name.lower().replace("_", "-")] = version
                    tags = [line.split(":", 1)[1].strip() for line in zipped.read(info).decode().splitlines()
                            if line.startswith("Tag:")]
                    if not accepted.intersection(tags):
                        reading.wrong_tags.append(f"{name} {version} ({', '.join(tags)})")
                if info.file_size >= 20:
                    with zipped.open(info) as member:
                        header = member.read(20)
                    if header.startswith(ELF_MAGIC):
                        reading.elf_files += 1
                        if header[4] != 2 or int.from_bytes(header[18:20], "little") != target.elf_machine:
                            reading.wrong_elf.append(info.filename)
    return reading


@dataclass
class Outcome:
    seconds: float | None  # None: it could not run or failed
    reading: Reading | None = None
    note: str = ""
    cached: int = 0  # bytes in the caches after the run: what a cold run fetched


def timed(action: Callable[[], list[Path]], target: Target) -> Outcome:
    started = time.perf_counter()
    try:
        archives = action()
    except Exception as error:  # a failed build is a result of the bench, not its end
        return Outcome(None, note=f"failed: {' '.join(str(error).split())[:300]}")
    seconds = time.perf_counter() - started
    return Outcome(seconds, read_bundle(archives, target))


# ol-notebook


def ours(case: Case, caches_root: Path, out_dir: Path, sandbox: Sandbox) -> list[Path]:
    caches = ExportCaches(caches_root / "downloads", caches_root / "resolve", caches_root / "built")
    for path in (caches.downloads, caches.resolve, caches.built, out_dir):
        path.mkdir(parents=True, exist_ok=True)
    result = export_aws("bench", CODE, list(case.requirements), aws_target(case.arch, case.python), out_dir=out_dir,
                        layer=False, index=IndexConfig(), sandbox=sandbox, caches=caches, limits=DEFAULT_LIMITS)
    return list(result.files)


# aws-lambda-builders


def target_python(minor: str) -> Path | None:
    """A directory holding a working `pythonX.Y`: PATH first (pyenv's shims only if they run it), then
    pyenv's own versions."""
    candidates = [Path(found).parent for found in [shutil.which(f"python{minor}")] if found]
    candidates += sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin"), reverse=True)
    for directory in candidates:
        check = subprocess.run([directory / f"python{minor}", "-m", "pip", "--version"], capture_output=True)
        if check.returncode == 0:
            return directory
    return None


# pip settings that would point theirs at anything but PyPI (ours resolves on PyPI: uv in our sandbox
# reads no pip configuration).
PIP_INDEXES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT")


@contextlib.contextmanager
def pip_environment(cache: Path) -> Iterator[None]:
    """aws-lambda-builders runs pip in subprocesses with our environment: give them PyPI and this cache,
    and no pip configuration file (a machine's local mirror or constraints would skew the comparison)."""
    before = dict(os.environ)
    for name in PIP_INDEXES:
        os.environ.pop(name, None)
    os.environ.update(PIP_CACHE_DIR=str(cache), PIP_CONFIG_FILE=os.devnull)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def theirs(case: Case, python_dir: Path, cache: Path, work: Path) -> list[Path]:
    from aws_lambda_builders.builder import LambdaBuilder

    source, artifacts, scratch = work / "source", work / "artifacts", work / "scratch"
    source.mkdir(parents=True)
    (source / "lambda_code.py").write_text(CODE)
    (source / "lambda_function.py").write_text(HANDLER)
    (source / "requirements.txt").write_text("\n".join(case.requirements) + "\n")
    with pip_environment(cache), contextlib.redirect_stderr(io.StringIO()):
        LambdaBuilder(language="python", dependency_manager="pip", application_framework=None).build(
            str(source), str(artifacts), str(scratch), str(source / "requirements.txt"),
            runtime=f"python{case.python}", architecture=case.arch, executable_search_paths=[str(python_dir)])
    # `sam package` zips the build directory (deflated); a deployable bundle is that zip.
    return [Path(shutil.make_archive(str(work / "bundle"), "zip", artifacts))]


# The table


Build = Callable[[Path, Path], list[Path]]  # (caches, output directory) -> the archives written


def cold_and_warm(build: Build, target: Target, work: Path, repeat: int) -> tuple[Outcome, Outcome]:
    """`repeat` times: a build with empty caches, then one with the caches it filled; medians."""
    colds: list[Outcome] = []
    warms: list[Outcome] = []
    for attempt in range(repeat):
        caches = work / f"caches-{attempt}"
        colds.append(timed(functools.partial(build, caches, work / f"cold-{attempt}"), target))
        colds[-1].cached = tree_size(caches)
        warms.append(timed(functools.partial(build, caches, work / f"warm-{attempt}"), target))
        shutil.rmtree(work, ignore_errors=True)
        if colds[-1].seconds is None or warms[-1].seconds is None:
            break
    return median(colds), median(warms)


def median(outcomes: list[Outcome]) -> Outcome:
    failed = [outcome for outcome in outcomes if outcome.seconds is None]
    if failed:
        return failed[0]
    seconds = statistics.median(outcome.seconds for outcome in outcomes if outcome.seconds is not None)
    return Outcome(seconds, outcomes[-1].reading, cached=outcomes[-1].cached)


def tree_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file() and not file.is_symlink())


def run_case(case: Case, sandbox: Sandbox, work: Path, repeat: int) -> dict[str, Outcome]:
    target = aws_target(case.arch, case.python)
    results: dict[str, Outcome] = {}
    results["ours cold"], results["ours warm"] = cold_and_warm(
        lambda caches, out: ours(case, caches, out, sandbox), target, work / "ours", repeat)
    python_dir = target_python(case.python)
    if python_dir is None or importlib.util.find_spec("aws_lambda_builders") is None:
        note = (f"needs python{case.python} on PATH" if python_dir is None
                else "aws-lambda-builders is not installed: pip install -e '.[bench]'")
        results["theirs cold"] = results["theirs warm"] = Outcome(None, note=note)
        return results
    results["theirs cold"], results["theirs warm"] = cold_and_warm(
        lambda caches, out: theirs(case, python_dir, caches, out), target, work / "theirs", repeat)
    return results


def cell(outcome: Outcome) -> str:
    return f"{outcome.seconds:7.1f} s" if outcome.seconds is not None else "      -  "


def ratio(theirs: Outcome, ours: Outcome) -> str:
    if theirs.seconds is None or ours.seconds is None:
        return "   -"
    return f"{theirs.seconds / ours.seconds:5.1f}x"


def describe(outcome: Outcome) -> str:
    if outcome.reading is None:
        return outcome.note
    reading = outcome.reading
    packages = ", ".join(f"{name} {version}" for name, version in sorted(reading.packages.items())
                         if name in ("requests", "pandas", "numpy")) or "no requests/pandas/numpy"
    checks = "; ".join(reading.problems()) or f"checks ok ({reading.elf_files} ELF files)"
    return (f"{reading.zipped / 1e6:5.1f} MB zip, {reading.unpacked / 1e6:6.1f} MB unzipped, "
            f"{len(reading.packages)} packages ({packages}); {checks}")


def print_table(rows: list[tuple[Case, dict[str, Outcome]]]) -> None:
    print(f"\n{'case':<34} {'ours cold':>10} {'theirs cold':>12} {'ratio':>6} {'ours warm':>10} {'theirs warm':>12}"
          f" {'ratio':>6}")
    for case, results in rows:
        label = f"{case.label} {case.arch} python{case.python}"
        print(f"{label:<34} {cell(results['ours cold']):>10} {cell(results['theirs cold']):>12} "
              f"{ratio(results['theirs cold'], results['ours cold']):>6} {cell(results['ours warm']):>10} "
              f"{cell(results['theirs warm']):>12} {ratio(results['theirs warm'], results['ours warm']):>6}")
    print("\nratio = theirs / ours (above 1: ol-notebook is faster).")
    print("What each bundle holds (the warm run's; the cold run's is the same):")
    for case, results in rows:
        print(f"  {case.label} {case.arch} python{case.python}")
        for who in ("ours", "theirs"):
            cold, warm = results[f"{who} cold"], results[f"{who} warm"]
            fetched = f"; cold run cached {cold.cached / 1e6:.1f} MB" if cold.seconds is not None else ""
            print(f"    {who:<7} {describe(warm if warm.seconds is not None else cold)}{fetched}")
            if who == "theirs" and cold.seconds is not None and not cold.cached:
                print("            (pip cached nothing: this network's answers carry no Cache-Control, so pip's HTTP"
                      " cache keeps nothing and its warm run downloads again)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", type=int, action="append", help="run only these cases (0-based), e.g. --case 2")
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm runs per case and tool (median)")
    options = parser.parse_args()
    chosen = [CASES[index] for index in options.case] if options.case else list(CASES)
    sandbox = Sandbox()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ol-bench-export-") as scratch:
        for number, case in enumerate(chosen):
            print(f"{case.label} {case.arch} python{case.python}: {', '.join(case.requirements)} ...", flush=True)
            rows.append((case, run_case(case, sandbox, Path(scratch) / str(number), options.repeat)))
    print_table(rows)
    failed = [case for case, results in rows if results["ours warm"].reading is None
              or results["ours warm"].reading.problems()]
    if failed:
        raise SystemExit(f"ol-notebook's export failed or failed its checks for {len(failed)} case(s)")


if __name__ == "__main__":
    try:
        main()
    except ExportError as error:
        raise SystemExit(f"export failed: {error}") from error
