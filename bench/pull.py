"""Pull benchmark: ol-notebook's store against `uv pip install --target` and `pip install --target`.

All three install the same pinned closure from the same local HTTP index (real wheels,
downloaded once into bench/.cache; the test catalogue when they cannot be downloaded), twice:
with bytecode compiled by all three (ol-notebook's and pip's default: a lambda mounts the store
read-only, so .pyc files must exist beforehand) and with no bytecode (uv's default). Cold:
empty caches; warm: caches full, targets empty; store hit: a second pull of the same closure.
Check: what a deploy (or the first call after a restart) pays to make sure the closure's entries
were not changed since they were published (a stat signature per entry), against the full re-hash
`verify` does. Lock: installing from the closure's pylock.toml (no resolution: ol-notebook's
closure_from_lock then a pull, against `uv pip install -r pylock.toml --target`), cold and warm,
and "hit": the same lock installed again into the same store (what a second lambda or notebook
pinned by it pays), against uv's warm install of it into a new target (uv has no store to hit).
Figures are medians of --repeat runs; a ratio is the median of each run's own ratio, whose two
figures were taken back to back (ours, then uv's): on this machine uv's own warm install took
anywhere from 0.07 s to 0.39 s within an hour, so ratios of separate medians said little. The index
runs in a process of its own: served from this one, it would take the GIL from our pull's threads
while uv, a separate process, never shares it.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ol_notebook.index import IndexConfig, uv_binary, uv_environment  # noqa: E402
from ol_notebook.index.uv import UV_COMMON_FLAGS  # noqa: E402
from ol_notebook.lock import lock_closure, lock_text, read_lock  # noqa: E402
from ol_notebook.packages import PackageService  # noqa: E402
from ol_notebook.sandbox.disk import remove_tree  # noqa: E402
from ol_notebook.settings import Settings  # noqa: E402
from tests.localindex.catalogue import build_catalogue  # noqa: E402

REAL_SET = ["requests==2.32.3", "pandas==2.2.3", "scikit-learn==1.5.2"]
FIXTURE_SET = ["alpha==2.0", "gamma[fast]", "epsilon", "py-widget", "nsp-one", "nsp-two", "toolpkg", "bulky", "platpkg"]
CACHE = ROOT / "bench" / ".cache" / "wheels"


def real_wheels() -> Path | None:
    """Real wheels for REAL_SET, downloaded once with pip (uses this machine's pip config)."""
    if CACHE.is_dir() and any(CACHE.glob("*.whl")):
        return CACHE
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(CACHE), *REAL_SET],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(f"(could not download real wheels, using the test catalogue: {result.stderr.strip()[-200:]})")
        shutil.rmtree(CACHE, ignore_errors=True)
        return None
    return CACHE


SERVE = """
import sys
from pathlib import Path
from tests.localindex.server import IndexServer
with IndexServer(Path(sys.argv[1])) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def index_process(files: Path) -> Iterator[str]:
    """The local index over HTTP in a child process, until the block ends; yields its URL."""
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(files)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None
    try:
        yield server.stdout.readline().strip()
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(command: list[str], home: Path) -> None:
    subprocess.run(command, check=True, env=uv_environment(home), capture_output=True)


class Bench:
    def __init__(self, index_url: str, work: Path, requirements: list[str], bytecode: bool):
        self.index_url = index_url
        self.work = work
        self.bytecode = bytecode
        self.service = self.new_service("compile")
        self.closure = self.service.compile(requirements)
        self.pinned = work / "pinned.txt"
        self.pinned.write_text(self.closure.to_requirements_txt())
        self.lock = work / "pylock.toml"

    def new_service(self, name: str) -> PackageService:
        index = IndexConfig.from_options(index_url=self.index_url)
        settings = Settings(store_dir=self.work / name, index=index, compile_bytecode=self.bytecode)
        return PackageService(settings)

    def ours(self, service: PackageService) -> float:
        return timed(lambda: service.pull(self.closure))

    def ours_from_lock(self, service: PackageService) -> float:
        return timed(lambda: service.pull(service.closure_from_lock(read_lock(self.lock), str(self.lock))))

    def write_lock(self, service: PackageService) -> None:
        """The lock of the closure as `service` installed it (what `ol-notebook lock` writes)."""
        def entry_of(key: str):
            entry = service.store.get(key)
            return entry.metadata if entry else None

        self.lock.write_text(lock_text(lock_closure(self.closure, entry_of, service.runtime)))

    def uv(self, cache: Path, target: Path, lock: bool = False) -> float:
        sources = ["-r", str(self.lock)] if lock else ["--no-deps", "--require-hashes", "--default-index",
                                                        self.index_url, "-r", str(self.pinned)]
        command = [uv_binary(), "pip", "install", *UV_COMMON_FLAGS, "--quiet", "--target", str(target),
                   "--cache-dir", str(cache), "--python", self.service.runtime.python, *sources]
        command += ["--compile-bytecode"] if self.bytecode else []
        return timed(lambda: run(command, self.work))

    def pip(self, cache: Path | None, target: Path) -> float:
        caching = ["--cache-dir", str(cache)] if cache else ["--no-cache-dir"]
        command = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", "install", "--quiet",
                   "--no-deps", "--require-hashes", "--target", str(target), "--index-url", self.index_url,
                   *caching, "-r", str(self.pinned)]
        command += [] if self.bytecode else ["--no-compile"]
        return timed(lambda: run(command, self.work))

    def fresh(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        return path

    def remove_entries(self, service: PackageService) -> None:
        for entry in service.packages():
            service.store.remove(entry.key)  # published entries are read-only: remove gives write access back

    def round(self) -> dict[str, float]:
        """One figure of each phase, uv's right after ours: each ratio compares two runs seconds apart
        (this machine's disk speed swings threefold within minutes, for uv as for us)."""
        figures = {}
        store = self.new_service("store")
        remove_tree(store.store.root)  # its published entries are read-only
        store = self.new_service("store")
        figures["ours cold"] = self.ours(store)
        figures["uv cold"] = self.uv(self.fresh("uv-cache"), self.fresh("uv-target"))
        figures["ours hit"] = self.ours(store)
        self.remove_entries(store)
        figures["ours warm"] = self.ours(store)
        figures["uv warm"] = self.uv(self.work / "uv-cache", self.fresh("uv-target"))
        self.write_lock(store)
        remove_tree(self.work / "lock-store")
        lock_store = self.new_service("lock-store")
        figures["ours lock cold"] = self.ours_from_lock(lock_store)
        figures["uv lock cold"] = self.uv(self.fresh("uv-lock-cache"), self.fresh("uv-target"), lock=True)
        figures["ours lock hit"] = self.ours_from_lock(lock_store)  # another lambda installing the same lock
        self.remove_entries(store)
        figures["ours lock warm"] = self.ours_from_lock(store)
        figures["uv lock warm"] = self.uv(self.work / "uv-lock-cache", self.fresh("uv-target"), lock=True)
        keys = [pin.key for pin in self.closure.pins]
        restarted = self.new_service("store")  # its first check reads every entry's record, like a new process's
        figures["check"] = timed(lambda: restarted.check_entries(keys))
        figures["rehash"] = timed(lambda: store.store.verify(keys))
        figures["pip cold"] = self.pip(None, self.fresh("pip-target"))
        self.pip(self.fresh("pip-cache"), self.fresh("pip-target"))
        figures["pip warm"] = self.pip(self.work / "pip-cache", self.fresh("pip-target"))
        hit = store.pull(self.closure)
        figures["hit installs"] = len(hit.installed)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fixture", action="store_true", help="use the test catalogue instead of real wheels")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ol-bench-"))
    try:
        wheels = None if args.fixture else real_wheels()
        requirements = REAL_SET if wheels else FIXTURE_SET
        if wheels is None:
            wheels = build_catalogue(work / "catalogue")
        with index_process(wheels) as url:
            for bytecode in (True, False):
                bench = Bench(url, work, requirements, bytecode)
                rounds = [bench.round() for _ in range(args.repeat)]
                report(bench, requirements, rounds)
    finally:
        remove_tree(work)  # the stores' published entries are read-only


def report(bench: Bench, requirements: list[str], rounds: list[dict[str, float]]) -> None:
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}

    def ratio(numerator: str, denominator: str) -> float:
        """The median of each round's own ratio (its two runs seconds apart), not a ratio of medians."""
        return statistics.median(r[numerator] / r[denominator] for r in rounds)

    size = sum(e.metadata.size for e in bench.new_service("store").packages())
    print(f"closure of {' '.join(requirements)}: {len(bench.closure.pins)} packages, {size / 1e6:.0f} MB installed")
    mode = "bytecode compiled by all three" if bench.bytecode else "no bytecode (uv's default; pip --no-compile)"
    print(f"medians of {len(rounds)} runs, local HTTP index, {mode}; ratios: the median of each run's own\n")
    print(f"{'':12}{'ol-notebook':>13}{'uv --target':>13}{'pip --target':>14}{'ours/uv':>10}{'pip/ours':>10}")
    for phase in ("cold", "warm"):
        ours, uv, pip = median[f"ours {phase}"], median[f"uv {phase}"], median[f"pip {phase}"]
        print(f"{phase + ' cache':12}{ours:12.3f}s{uv:12.3f}s{pip:13.3f}s"
              f"{ratio(f'ours {phase}', f'uv {phase}'):9.2f}x{ratio(f'pip {phase}', f'ours {phase}'):9.1f}x")
    for phase, theirs in (("cold", "cold"), ("warm", "warm"), ("hit", "warm")):
        ours, uv = median[f"ours lock {phase}"], median[f"uv lock {theirs}"]
        paired = ratio(f"ours lock {phase}", f"uv lock {theirs}")
        print(f"{'lock ' + phase:12}{ours:12.4f}s{uv:12.3f}s{'-':>14}{paired:9.2f}x")
    print(f"{'store hit':12}{median['ours hit']:12.4f}s   installs: {int(median['hit installs'])}")
    print(f"{'check':12}{median['check']:12.4f}s   before a deploy; full re-hash (verify): {median['rehash']:.3f}s")
    print("goals: cold ours/uv <= 1.2x with bytecode, <= 1.5x without; warm without bytecode <= 2x; "
          "lock ours/uv < 1x; store hit <= 0.01 s with 0 installs\n")


if __name__ == "__main__":
    main()
