"""Network benchmark: what a sandbox's network mode costs, as ratios within this one run.

start-to-exit: `python -I -S -c pass` in a sandbox, from `Sandbox.run` to its return, with
network False (own namespace, loopback only), "host" (the host's namespace), True (slirp4netns,
prohibit routes) and False with one tunnelled loopback port (an index on the host's loopback).
Modes take turns within each round, so drift on a shared machine hits them alike.
tunnel throughput: one sandbox reads --megabytes from a server on the host's loopback, through
the tunnel (network False + loopback_ports) and directly (network "host").
slirp4netns memory: its resident set while serving one idle sandbox.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ol_notebook.sandbox import PYTHON, Sandbox, SandboxSpec  # noqa: E402
from ol_notebook.sandbox.procfs import descendants  # noqa: E402

READ_ALL = """
import socket, sys, time
started = time.perf_counter()
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    total = 0
    while chunk := s.recv(1 << 20):
        total += len(chunk)
print(total, time.perf_counter() - started)
"""


def serve_bytes(megabytes: int) -> socket.socket:
    """A loopback server that sends `megabytes` MiB to each connection, then closes it."""
    server = socket.create_server(("127.0.0.1", 0))
    block = b"x" * (1 << 20)

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                for _ in range(megabytes):
                    connection.sendall(block)

    threading.Thread(target=serve, daemon=True).start()
    return server


def start_to_exit(sandbox: Sandbox, repeat: int, port: int) -> dict[str, list[float]]:
    modes: dict[str, dict[str, Any]] = {
        "False": {"network": False},
        '"host"': {"network": "host"},
        "True (slirp4netns)": {"network": True},
        "False + tunnel": {"network": False, "loopback_ports": (port,)},
    }
    samples: dict[str, list[float]] = {name: [] for name in modes}
    for round_number in range(repeat + 2):
        for name, fields in modes.items():
            started = time.perf_counter()
            result = sandbox.run(SandboxSpec([PYTHON, "-I", "-S", "-c", "pass"], **fields))
            took = time.perf_counter() - started
            assert result.returncode == 0, result.stderr
            if round_number >= 2:  # the first rounds warm caches
                samples[name].append(took)
    return samples


def throughput(sandbox: Sandbox, port: int, megabytes: int, **fields: Any) -> float:
    result = sandbox.run(SandboxSpec([PYTHON, "-I", "-S", "-c", READ_ALL, str(port)], **fields))
    total, seconds = result.stdout.split()
    assert int(total) == megabytes << 20, result.stderr
    return megabytes / float(seconds)


def slirp_rss_kib(sandbox: Sandbox) -> int:
    process = sandbox.start(SandboxSpec(["sleep", "30"], python=False, network=True))
    try:
        for pid in descendants(os.getpid()):
            if b"slirp4netns" in Path(f"/proc/{pid}/cmdline").read_bytes():
                status = Path(f"/proc/{pid}/status").read_text()
                return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        raise RuntimeError("no slirp4netns process found")
    finally:
        process.kill()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="sandbox starts per mode")
    parser.add_argument("--megabytes", type=int, default=256, help="read through the tunnel")
    args = parser.parse_args()
    sandbox = Sandbox()
    server = serve_bytes(args.megabytes)
    port = server.getsockname()[1]
    try:
        samples = start_to_exit(sandbox, args.repeat, port)
        tunnelled = statistics.median(throughput(sandbox, port, args.megabytes, network=False,
                                                 loopback_ports=(port,)) for _ in range(3))
        direct = statistics.median(throughput(sandbox, port, args.megabytes, network="host") for _ in range(3))
        rss = slirp_rss_kib(sandbox)
    finally:
        server.close()
    baseline = statistics.median(samples["False"])
    host = statistics.median(samples['"host"'])
    print(f"start-to-exit of `python -I -S -c pass`, median of {args.repeat}; {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}\n")
    print(f"{'network':<22}{'median ms':>10}{'vs False':>10}{'vs host':>10}{'p90 ms':>9}")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"{name:<22}{median * 1000:>10.1f}{median / baseline:>10.2f}{median / host:>10.2f}{p90 * 1000:>9.1f}")
    print(f"\nloopback read of {args.megabytes} MiB: tunnel {tunnelled:,.0f} MiB/s, host network {direct:,.0f} MiB/s "
          f"(ratio {tunnelled / direct:.2f})")
    print(f"slirp4netns resident memory per egress sandbox: {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
