"""Chosen ports of the host's loopback, served inside a sandbox that has its own network.

A package index on the host's loopback (the tests' local index, a user's devpi) must stay
reachable from install and resolve sandboxes, and nothing else there may be. The listeners are
made inside the sandbox's namespace on 127.0.0.1:PORT (netns.py); this relays each connection
they accept to the host's 127.0.0.1:PORT, and only there. Nothing runs inside the sandbox for it
(no relay process to start, count against its limits or kill), and the command cannot take
the port over: it is already bound.

Measured against pasta's `-T PORT`: pasta forwards the ports given, but needs a process per
sandbox (~32 ms and ~20 MB in wrapper mode; in attach mode it never exits by itself), and by
default forwards all of the sandbox's loopback to the host's (DESIGN.md).

One thread per tunnel relays every connection with non-blocking sockets, so a sandbox that
opens many connections costs buffers, not threads: at most MAX_CONNECTIONS at once (uv keeps
up to 50 downloads in flight, and idle keep-alive connections hold their slot), each with at
most CHUNK bytes buffered per direction; beyond that, new ones wait in the listener's backlog.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import threading
from collections.abc import Sequence

MAX_CONNECTIONS = 128
CHUNK = 1 << 16


class Tunnel:
    """Relays every connection accepted on `listeners` (inside a sandbox) to the same port of
    the host's 127.0.0.1, until `close`."""

    def __init__(self, listeners: Sequence[socket.socket]):
        self._listeners = list(listeners)
        self._selector = selectors.DefaultSelector()
        self._links: set[Link] = set()
        self._accepting = False
        self._closed = False
        self._wake_read, self._wake_write = os.pipe()
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        for listener in self._listeners:
            listener.setblocking(False)
        self._accept(True)
        self._thread = threading.Thread(target=self._run, name="sandbox-tunnel", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and cut every relayed connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BrokenPipeError):  # the relay thread ended already (and closed its end)
            os.write(self._wake_write, b"x")
        self._thread.join()
        os.close(self._wake_write)

    def _run(self) -> None:
        try:
            while not self._closed:
                for key, events in self._selector.select():
                    if key.data is None:  # the wake-up pipe: close() was called
                        break
                    if isinstance(key.data, int):
                        self._connect(key.fileobj, key.data)  # type: ignore[arg-type]
                    else:
                        key.data.handle(key.fileobj, events)
                for link in [link for link in self._links if link.ended]:
                    link.close()
                    self._links.discard(link)
                self._accept(len(self._links) < MAX_CONNECTIONS)
        finally:
            for link in self._links:
                link.close()
            self._selector.close()
            os.close(self._wake_read)
            for listener in self._listeners:
                listener.close()

    def _accept(self, wanted: bool) -> None:
        """Watch the listeners only while there is room for another connection."""
        if wanted == self._accepting:
            return
        for listener in self._listeners:
            if wanted:
                self._selector.register(listener, selectors.EVENT_READ, listener.getsockname()[1])
            else:
                self._selector.unregister(listener)
        self._accepting = wanted

    def _connect(self, listener: socket.socket, port: int) -> None:
        try:
            inside, _ = listener.accept()
        except OSError:  # gone before we took it, or out of descriptors: the next one may do
            return
        try:
            outside = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        except OSError:
            inside.close()
            return
        inside.setblocking(False)
        outside.setblocking(False)
        self._links.add(Link(self._selector, inside, outside, port))


class Link:
    """One relayed connection: bytes each way, a half-close passed on, an error ending both."""

    def __init__(self, selector: selectors.BaseSelector, inside: socket.socket, outside: socket.socket, port: int):
        self.selector = selector
        self.inside, self.outside = inside, outside
        self.pending = {inside: bytearray(), outside: bytearray()}  # what is still to be sent to each
        self.finished = {inside: False, outside: False}  # whether each has stopped sending
        self.connected = False
        self.failed = False
        self.watched: dict[socket.socket, int] = {}
        if outside.connect_ex(("127.0.0.1", port)) not in (0, errno.EINPROGRESS):
            self.failed = True  # the sandbox sees the connection end, much as it would see a refusal
        self.update()

    @property
    def ended(self) -> bool:
        return self.failed or (all(self.finished.values()) and not any(self.pending.values()))

    def peer(self, sock: socket.socket) -> socket.socket:
        return self.outside if sock is self.inside else self.inside

    def handle(self, sock: socket.socket, events: int) -> None:
        try:
            if sock is self.outside and not self.connected:
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    raise OSError(error, os.strerror(error))
                self.connected = True
            elif events & selectors.EVENT_WRITE:
                self._send(sock)
            if events & selectors.EVENT_READ:
                self._receive(sock)
        except OSError:
            self.failed = True
        self.update()

    def _receive(self, sock: socket.socket) -> None:
        data = sock.recv(CHUNK)
        peer = self.peer(sock)
        if data:
            self.pending[peer] += data
            self._send(peer)
        else:
            self.finished[sock] = True
            if not self.pending[peer]:
                peer.shutdown(socket.SHUT_WR)

    def _send(self, sock: socket.socket) -> None:
        if sock is self.outside and not self.connected:
            return
        buffer = self.pending[sock]
        with contextlib.suppress(BlockingIOError):
            del buffer[:sock.send(buffer)]
        if not buffer and self.finished[self.peer(sock)]:
            sock.shutdown(socket.SHUT_WR)

    def update(self) -> None:
        """Read from a side only while its peer's buffer is empty; write while there is data."""
        for sock in (self.inside, self.outside):
            wanted = 0
            if not self.failed:
                ready = self.connected or sock is self.inside
                if ready and not self.finished[sock] and not self.pending[self.peer(sock)]:
                    wanted |= selectors.EVENT_READ
                if self.pending[sock] or (sock is self.outside and not self.connected):
                    wanted |= selectors.EVENT_WRITE
            if wanted != self.watched.get(sock, 0):
                if sock in self.watched:
                    self.selector.unregister(sock)
                    del self.watched[sock]
                if wanted:
                    self.selector.register(sock, wanted, self)
                    self.watched[sock] = wanted

    def close(self) -> None:
        for sock in (self.inside, self.outside):
            if sock in self.watched:
                self.selector.unregister(sock)
            sock.close()
        self.watched.clear()
