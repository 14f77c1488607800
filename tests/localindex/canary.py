"""A TCP listener that only counts who reached it: proof that a sandboxed build had (no) network."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class Canary:
    """Listen on ``host`` (random port) in a daemon thread; count connections and keep what they sent."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.received: list[bytes] = []
        self._count = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._socket = socket.create_server((host, 0))
        self._socket.settimeout(0.1)  # close() does not wake accept() on Linux, so poll for stop()
        self.port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="canary", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def connections(self) -> int:
        with self._lock:
            return self._count

    def start(self) -> Canary:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._socket.close()

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._count += 1
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    def _drain(self, connection: socket.socket) -> None:
        """Keep up to 4 KiB of what the visitor sent, then hang up."""
        with connection:
            connection.settimeout(2)
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
        with self._lock:
            self.received.append(data)
