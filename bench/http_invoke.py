"""HTTP invocation benchmark: `POST {base_url}ol/run/NAME` through a real Jupyter server.

A `jupyter server` with the extension (as users run it) serves a warm trivial lambda; the
baseline is the cheapest authenticated route of the same server (`GET ol/version`), measured
in the same run with the same client, so the ratio is what invoking a lambda adds to Jupyter's
own request handling (token check, authorization, JSON).

latency:    one client, keep-alive, requests one after another: p50 and p99.
throughput: CONCURRENCY keep-alive connections at once for a fixed time: requests per second.
The client is a minimal asyncio HTTP/1.1 client in this process; the server is another process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.jupyter_fixtures import RunningServer, start_jupyter_server  # noqa: E402

TRIVIAL = "def f(event):\n    return event\n"
GOALS = {"p50_ms": 2.0, "rps": 2000.0, "ratio": 1.5}


@dataclass(frozen=True)
class Target:
    label: str
    method: str
    path: str
    body: bytes = b""


class Connection:
    """One keep-alive HTTP/1.1 connection sending one prepared request over and over."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes):
        self.reader, self.writer, self.request = reader, writer, request

    @classmethod
    async def open(cls, server: RunningServer, target: Target) -> Connection:
        url = urllib.parse.urlsplit(server.url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        head = (f"{target.method} {url.path}{target.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Authorization: token {server.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(target.body)}\r\n\r\n")
        return cls(reader, writer, head.encode() + target.body)

    async def roundtrip(self) -> bytes:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head[9:12]
        if status != b"200":
            raise RuntimeError(f"HTTP {status.decode()}: {head.decode(errors='replace')}")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def latencies(server: RunningServer, target: Target, count: int) -> list[float]:
    connection = await Connection.open(server, target)
    for _ in range(200):  # warm up: JIT-free, but caches, the worker and the connection
        await connection.roundtrip()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await connection.roundtrip()
        samples.append(time.perf_counter() - started)
    connection.close()
    return samples


async def throughput(server: RunningServer, target: Target, concurrency: int, seconds: float) -> float:
    connections = [await Connection.open(server, target) for _ in range(concurrency)]
    done = 0
    deadline = time.perf_counter() + seconds

    async def drive(connection: Connection) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await connection.roundtrip()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(drive(connection) for connection in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return done / elapsed


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(server: RunningServer, count: int, concurrency: int, seconds: float) -> None:
    lambda_target = Target("POST ol/run/bench (warm trivial lambda)", "POST", "ol/run/bench", b'{"n": 1}')
    trivial_target = Target("GET ol/version (trivial authenticated handler)", "GET", "ol/version")
    rows = []
    for target in (lambda_target, trivial_target):
        samples = await latencies(server, target, count)
        rate = await throughput(server, target, concurrency, seconds)
        rows.append((target.label, statistics.median(samples) * 1e3, percentile(samples, 0.99) * 1e3, rate))
    (_, p50, p99, rps), (_, base_p50, base_p99, base_rps) = rows
    print(f"\n{count} sequential requests per route, then {concurrency} connections for {seconds:g} s each")
    print(f"{'':48} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for row in rows:
        print(f"{row[0]:48} {row[1]:8.3f} {row[2]:8.3f} {row[3]:8.0f}")
    print(f"\nlambda / trivial: p50 {p50 / base_p50:.2f}x, p99 {p99 / base_p99:.2f}x, "
          f"throughput {base_rps / rps:.2f}x slower")
    print(f"goals: p50 <= {GOALS['p50_ms']} ms: {'met' if p50 <= GOALS['p50_ms'] else 'MISSED'} ({p50:.3f}); "
          f">= {GOALS['rps']:.0f} req/s: {'met' if rps >= GOALS['rps'] else 'MISSED'} ({rps:.0f}); "
          f"within {GOALS['ratio']}x of trivial: "
          f"{'met' if p50 / base_p50 <= GOALS['ratio'] and base_rps / rps <= GOALS['ratio'] else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="sequential requests per route")
    parser.add_argument("--concurrency", type=int, default=8, help="connections for the throughput run")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    parser.add_argument("--instances", type=int, default=2, help="the lambda's instances (workers)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ol-bench-http-") as directory:
        server = start_jupyter_server(Path(directory), index_url=None)
        try:
            server.request("PUT", "ol/lambdas/bench", {"code": TRIVIAL, "settings": {"instances": args.instances}})
            asyncio.run(measure(server, args.requests, args.concurrency, args.seconds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
