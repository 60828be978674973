"""A real HTTP server on 127.0.0.1 for the client-library tests: each path answers as scripted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        routes: dict[str, Any] = self.server.routes  # type: ignore[attr-defined]
        status, headers, body, delay, length = routes.get(
            self.path.split("?")[0], (404, [], b"", 0.0, None)
        )
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        if length is not None and length > len(body):
            self.close_connection = True  # the body breaks off before its declared length

    do_GET = do_POST = do_PUT = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early (as a capped reader does) is not news


class Loopback:
    """The server's base URL and its routes: `route(path, status, headers, body)`."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    def route(
        self,
        path: str,
        status: int,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        *,
        delay: float = 0.0,
        length: int | None = None,
    ) -> str:
        """Answer `path` so; `length` declares another Content-Length (a truncated body)."""
        routes = self.server.routes  # type: ignore[attr-defined]
        routes[path] = (status, headers or [], body, delay, length)
        return self.url + path


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Loopback(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
