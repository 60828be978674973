"""A real HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the adversarial tests.

Each path is given a script: send a body whole, send an endless stream without a length, drip
one byte at a time, lie about Content-Length, or reset the connection. Every answer closes its
connection (``Connection: close``), so one request is one connection and nothing is pooled
between tests. The server counts the body bytes it managed to send per path, so a test can tell
whether a client read the rest of a body or walked away.

    with LoopbackServer() as server:
        url = server.route("/bomb", Fixed(500, {"content-encoding": "gzip"}, bomb))
        httpx.get(url)
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Iterator, Mapping
from types import TracebackType

import attrs

BLOCK = bytes(range(256)) * 256  # 64 KiB of non-repeating-looking bytes (not compressible by RLE)


def pattern(size: int) -> Iterator[bytes]:
    """The body `Endless` sends: `BLOCK` repeated, cut at `size` bytes, in 64 KiB pieces."""
    left = size
    while left > 0:
        piece = BLOCK if left >= len(BLOCK) else BLOCK[:left]
        left -= len(piece)
        yield piece


def pattern_digest(size: int) -> str:
    """The SHA-256 of `pattern(size)`, for checking what a client read."""
    digest = hashlib.sha256()
    for piece in pattern(size):
        digest.update(piece)
    return digest.hexdigest()


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@attrs.frozen
class Fixed:
    """A body sent whole; with `length` False, no Content-Length (the close ends the body)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    length: bool = True

    def serve(self, conn: socket.socket, sent: list[int]) -> None:
        headers = dict(self.headers)
        if self.length:
            headers["Content-Length"] = str(len(self.body))
        conn.sendall(_head(self.status, headers))
        view = memoryview(self.body)
        for start in range(0, len(view), 65536):
            conn.sendall(view[start : start + 65536])
            sent[0] += len(view[start : start + 65536])


@attrs.frozen
class Endless:
    """`size` bytes of `pattern`, without Content-Length and not chunked: the close ends it."""

    status: int
    size: int
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def serve(self, conn: socket.socket, sent: list[int]) -> None:
        conn.sendall(_head(self.status, self.headers))
        for piece in pattern(self.size):
            conn.sendall(piece)
            sent[0] += len(piece)


@attrs.frozen
class Drip:
    """Declare `declared` bytes, then send `body` one byte every `interval` seconds."""

    status: int
    body: bytes
    interval: float
    declared: int | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def serve(self, conn: socket.socket, sent: list[int]) -> None:
        headers = dict(self.headers)
        headers["Content-Length"] = str(self.declared or len(self.body))
        conn.sendall(_head(self.status, headers))
        for byte in self.body:
            time.sleep(self.interval)  # the server is slow on purpose; no test waits for it
            conn.sendall(bytes([byte]))
            sent[0] += 1


@attrs.frozen
class Truncated:
    """Declare `declared` bytes, send `body` (shorter), then close (or reset) the connection."""

    status: int
    body: bytes
    declared: int
    reset: bool = False
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def serve(self, conn: socket.socket, sent: list[int]) -> None:
        headers = dict(self.headers)
        headers["Content-Length"] = str(self.declared)
        conn.sendall(_head(self.status, headers) + self.body)
        sent[0] += len(self.body)
        if self.reset:
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


Script = Fixed | Endless | Drip | Truncated


class LoopbackServer:
    """Serves scripted answers on 127.0.0.1 (a thread per connection) until closed."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._routes: dict[str, Script] = {}
        self._sent: dict[str, list[int]] = {}
        self._done: dict[str, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def route(self, path: str, script: Script) -> str:
        """Answer requests for `path` with `script`; return the URL."""
        self._routes[path] = script
        self._sent[path] = [0]
        self._done[path] = threading.Event()
        return f"http://127.0.0.1:{self.port}{path}"

    def sent(self, path: str) -> int:
        """The body bytes sent so far for `path` (all requests)."""
        return self._sent[path][0]

    def wait_done(self, path: str, timeout: float = 10.0) -> bool:
        """Wait until an answer for `path` has finished (sent whole or abandoned)."""
        return self._done[path].wait(timeout)

    def close(self) -> None:
        """Stop accepting; answers in flight end when their client goes away."""
        # Closing alone does not wake the accepting thread on Linux: shut the socket down first.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        self._accepter.join(5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        path = ""
        try:
            with conn:
                conn.settimeout(30)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                path = request.split(b" ", 2)[1].decode("latin-1")
                script = self._routes.get(path)
                if script is None:
                    conn.sendall(_head(404, {"Content-Length": "0"}))
                    return
                script.serve(conn, self._sent[path])
        except OSError:
            pass  # the client walked away (reset, broken pipe): what was sent is counted
        finally:
            if path in self._done:
                self._done[path].set()
