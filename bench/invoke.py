"""Invocation benchmark: ol-notebook's lambda runtime against the same work without it.

hot:       a warm worker through `Runtimes.invoke` vs a raw socketpair round trip to a forked
           process with the same framing, no sandbox, no event loop; and the same call with an
           output sink (streaming what it prints, here nothing) vs without.
cold:      the first invocation of a new version of a lambda importing requests (a fresh
           sandbox, zygote, import, fork, call) vs a fresh `python -I -S` importing requests
           from the same store directories.
scale-out: a call that needs a second instance, forked from the warm zygote while the first is
           busy, vs that cold start (what a runtime without zygotes would pay).
throughput: a trivial handler, one caller vs two concurrent callers (two instances).
All figures come from this one run; ratios compare runs made in this same process.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pull import real_wheels  # noqa: E402
from ol_notebook.index import IndexConfig  # noqa: E402
from ol_notebook.packages import PackageService  # noqa: E402
from ol_notebook.runtime import LambdaSpec, OutputSink, Runtimes  # noqa: E402
from ol_notebook.runtime.inside.frames import pack, recv_frame  # noqa: E402
from ol_notebook.runtime.inside.linger import WINDOW, Linger  # noqa: E402
from ol_notebook.runtime.spec import default_python  # noqa: E402
from ol_notebook.sandbox import Sandbox  # noqa: E402
from ol_notebook.settings import Settings  # noqa: E402
from tests.localindex.server import IndexServer  # noqa: E402

PACKAGE = "requests==2.32.3"
ECHO = "def f(event):\n    return event\n"
REQUESTS = """
import time
import requests

def f(event):
    time.sleep(event or 0)
    return requests.__version__
"""


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def code_dir(work: Path, name: str, code: str) -> Path:
    path = work / name
    path.mkdir()
    (path / "handler.py").write_text(textwrap.dedent(code))
    return path


def pull_requests(work: Path) -> tuple[tuple[str, Path], ...]:
    """requests and its dependencies in a fresh store, from real wheels over a local index."""
    wheels = real_wheels()
    if wheels is None:
        sys.exit("no real wheels to serve: see bench/pull.py")
    with IndexServer(wheels) as server:
        settings = Settings(store_dir=work / "store", index=IndexConfig.from_options(index_url=server.url))
        service = PackageService(settings)
        report = service.pull(service.compile([PACKAGE]))
    return tuple((key, entry.files) for key, entry in sorted(report.entries.items()))


def raw_round_trips(calls: int, lingering: bool, echoes: int = 5) -> list[float]:
    """The floor: blocking send and receive of the same frames to a forked echo process, which
    polls after each reply as our workers do when `lingering`. Several echoes, one after the
    other: whether the scheduler puts one on the caller's CPU decides between ~8 and ~70 us."""
    samples = []
    for _ in range(echoes):
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            linger = Linger(theirs, WINDOW if lingering else 0.0)
            while (frame := recv_frame(theirs)) is not None:
                linger.got_event()
                theirs.sendall(pack(b"[0," + frame + b',"",""]'))
                linger.after_reply()
            os._exit(0)
        theirs.close()
        for index in range(calls // echoes):
            started = time.perf_counter()
            ours.sendall(pack(str(index).encode()))
            recv_frame(ours)
            samples.append(time.perf_counter() - started)
        ours.close()
        os.waitpid(pid, 0)
    return samples


def fresh_imports(packages: tuple[tuple[str, Path], ...], repeat: int) -> list[float]:
    """A new `python -I -S` importing requests from the same store directories."""
    dirs = [str(files) for _, files in packages]
    command = [default_python(), "-I", "-S", "-c", f"import sys; sys.path[:0] = {dirs!r}; import requests"]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True)
        samples.append(time.perf_counter() - started)
    return samples


async def hot(runtimes: Runtimes, spec: LambdaSpec, calls: int, on_output: OutputSink | None = None) -> list[float]:
    for index in range(200):  # warm up: the worker, the caches, the worker's polling
        await runtimes.invoke(spec, index, on_output)
    samples = []
    for index in range(calls):
        started = time.perf_counter()
        await runtimes.invoke(spec, index, on_output)
        samples.append(time.perf_counter() - started)
    return samples


async def cold(runtimes: Runtimes, spec: LambdaSpec, repeat: int) -> list[float]:
    samples = []
    for version in range(repeat + 1):
        await runtimes.stop(spec.name)
        result = await runtimes.invoke(dataclasses.replace(spec, version=f"v{version}"), 0)
        assert result.cold and result.value == "2.32.3"
        samples.append(result.duration)
    return samples[1:]  # the first also fills the page cache


async def scale_out(runtimes: Runtimes, spec: LambdaSpec, repeat: int) -> list[float]:
    """One instance is kept busy; the call measured needs a second, forked for it, which the
    short idle timeout reaps before the next round."""
    samples = []
    await runtimes.invoke(spec, 0)
    for _ in range(repeat):
        while runtimes.state(spec.name)["instances"] > 1:
            await asyncio.sleep(0.005)
        busy = asyncio.ensure_future(runtimes.invoke(spec, 0.3))
        await asyncio.sleep(0.02)
        result = await runtimes.invoke(spec, 0)
        assert result.cold and runtimes.state(spec.name)["instances"] == 2
        samples.append(result.duration)
        await busy
    return samples


async def throughput(runtimes: Runtimes, spec: LambdaSpec, callers: int, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await runtimes.invoke(spec, done)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return done / (time.perf_counter() - started)


async def measure(args: argparse.Namespace, work: Path, packages: tuple[tuple[str, Path], ...]) -> dict:
    runtimes = Runtimes(Sandbox())
    echo = LambdaSpec("echo", "v1", code_dir(work, "echo", ECHO), instances=2)
    scraper = LambdaSpec("scraper", "v1", code_dir(work, "scraper", REQUESTS), packages)
    scaler = LambdaSpec("scaler", "v1", scraper.code_dir, packages, instances=2, idle_timeout=0.15)
    try:
        return {
            "hot": await hot(runtimes, echo, args.calls),
            "hot streamed": await hot(runtimes, echo, args.calls, lambda stream, text: None),
            "raw": raw_round_trips(args.calls, lingering=False),
            "raw lingering": raw_round_trips(args.calls, lingering=True),
            "cold": await cold(runtimes, scraper, args.repeat),
            "import": fresh_imports(packages, args.repeat),
            "scale": await scale_out(runtimes, scaler, args.repeat),
            "one": await throughput(runtimes, echo, 1, args.seconds),
            "two": await throughput(runtimes, echo, 2, args.seconds),
        }
    finally:
        await runtimes.close()


def report(figures: dict, packages: tuple[tuple[str, Path], ...]) -> None:
    ms = 1e3
    p50 = {key: statistics.median(figures[key]) for key in ("hot", "raw", "raw lingering", "cold", "import", "scale")}
    print(f"{'':34}{'ol-notebook':>14}{'baseline':>12}{'ratio':>8}   baseline")
    print(f"{'hot invocation p50':34}{p50['hot'] * ms:11.3f} ms{p50['raw'] * ms:9.3f} ms"
          f"{p50['hot'] / p50['raw']:7.2f}x   raw socketpair round trip, same framing")
    print(f"{'hot invocation p50':34}{p50['hot'] * ms:11.3f} ms{p50['raw lingering'] * ms:9.3f} ms"
          f"{p50['hot'] / p50['raw lingering']:7.2f}x   the same, its echo polling after replies as ours do")
    streamed = statistics.median(figures["hot streamed"])
    print(f"{'hot invocation p50, streamed':34}{streamed * ms:11.3f} ms{p50['hot'] * ms:9.3f} ms"
          f"{streamed / p50['hot']:7.2f}x   the same call with no output sink (what a sink costs)")
    hot99, raw99 = percentile(figures["hot"], 0.99), percentile(figures["raw"], 0.99)
    print(f"{'hot invocation p99':34}{hot99 * ms:11.3f} ms{raw99 * ms:9.3f} ms{hot99 / raw99:7.2f}x")
    print(f"{'cold start p50 (' + PACKAGE + ')':34}{p50['cold'] * ms:11.1f} ms{p50['import'] * ms:9.1f} ms"
          f"{p50['cold'] / p50['import']:7.2f}x   python -I -S importing it, {len(packages)} store dirs")
    print(f"{'scale-out p50 (2nd instance)':34}{p50['scale'] * ms:11.2f} ms{p50['cold'] * ms:9.1f} ms"
          f"{p50['scale'] / p50['cold']:7.3f}x   a cold start")
    print(f"{'throughput, 2 callers':34}{figures['two']:10.0f} /s{figures['one']:8.0f} /s"
          f"{figures['two'] / figures['one']:7.2f}x   1 caller")
    print("goals: hot p50 <= 0.1 ms; cold <= 150 ms and <= 1.3x; scale-out p50 <= 5 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="hot invocations")
    parser.add_argument("--repeat", type=int, default=15, help="cold starts, imports and scale-outs")
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ol-bench-") as tmp:
        work = Path(tmp)
        packages = pull_requests(work)
        figures = asyncio.run(measure(args, work, packages))
    print(f"medians of {args.repeat} cold starts and scale-outs, {args.calls} hot calls; "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    report(figures, packages)


if __name__ == "__main__":
    main()
