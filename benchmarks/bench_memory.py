"""Peak memory of reading a hostile error body, per content-coding, as a multiple of the cap.

A loopback HTTP server answers 500 with a 64 MiB decompression bomb in each coding httpx can
decode (and stacked or mixed ones), and with 128 MB of plain body without a length. Each is read
under `client.stream()` four ways: `normalize`, `anormalize`, `RetryTransport` and
`AsyncRetryTransport` (no retries). The figure is the peak of Python allocations (tracemalloc)
while the body is read, and what stays held afterwards, against the cap (`DEFAULT_BODY_CAP`,
64 KiB); the guarantee is at most 4 MiB. The caller then reads the whole body (not measured).

    python benchmarks/bench_memory.py            # full run
    python benchmarks/bench_memory.py --quick    # 8 MiB bombs, 16 MB body (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import sys
import threading
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx

import agent_errors as ae
from agent_errors._parsing._view import DEFAULT_BODY_CAP

MiB = 1024 * 1024
LIMIT = 4 * MiB
HEAD = b'{"error": {"type": "server_error", "message": "boom'
ENCODINGS = ["gzip", "deflate", "br", "zstd", "gzip, gzip", "identity, gzip", "br, gzip"]
BLOCK = bytes(range(256)) * 256


def _encode(plain: bytes, encoding: str) -> bytes:
    data = plain
    for coding in (part.strip().lower() for part in encoding.split(",")):
        if coding == "gzip":
            data = gzip.compress(data, 9)
        elif coding == "deflate":
            data = zlib.compress(data, 9)
        elif coding == "br":
            import brotli  # noqa: PLC0415 - optional: only this benchmark row needs it

            data = brotli.compress(data, quality=9)
        elif coding == "zstd":
            import zstandard  # noqa: PLC0415

            data = zstandard.ZstdCompressor(level=19).compress(data)
    return data


class _Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, tuple[dict[str, str], bytes | int]]] = {}

    def do_GET(self) -> None:
        headers, body = self.bodies[self.path]
        self.send_response(500)
        for name, value in headers.items():
            self.send_header(name, value)
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            if isinstance(body, bytes):
                self.wfile.write(body)
            else:  # `body` bytes without a length: the close ends the body
                left = body
                while left > 0:
                    piece = BLOCK[: min(left, len(BLOCK))]
                    self.wfile.write(piece)
                    left -= len(piece)
        except OSError:
            pass  # the client went away

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        del format, args


def _traced(func: Callable[[], Any]) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        func()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, current


async def _atraced(func: Callable[[], Awaitable[Any]]) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        await func()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, current


def _drain(response: httpx.Response) -> int:
    return sum(len(chunk) for chunk in response.iter_raw())


async def _adrain(response: httpx.Response) -> int:
    return sum([len(chunk) async for chunk in response.aiter_raw()])


def _measure(url: str, expected: int) -> dict[str, tuple[int, int]]:
    policy = ae.RetryPolicy(max_retries=0)
    out: dict[str, tuple[int, int]] = {}
    with httpx.Client() as client, client.stream("GET", url) as response:
        out["normalize"] = _traced(lambda: ae.normalize(response))
        assert _drain(response) == expected
    with httpx.Client(transport=ae.RetryTransport(policy=policy)) as client:
        context = client.stream("GET", url)
        holder: list[httpx.Response] = []
        out["RetryTransport"] = _traced(lambda: holder.append(context.__enter__()))
        assert _drain(holder[0]) == expected
        context.__exit__(None, None, None)

    async def run_async() -> None:
        async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
            out["anormalize"] = await _atraced(lambda: ae.anormalize(response))
            assert await _adrain(response) == expected
        transport = ae.AsyncRetryTransport(policy=policy)
        async with httpx.AsyncClient(transport=transport) as client:
            context = client.stream("GET", url)
            got: list[httpx.Response] = []

            async def enter() -> None:
                got.append(await context.__aenter__())

            out["AsyncRetryTransport"] = await _atraced(enter)
            assert await _adrain(got[0]) == expected
            await context.__aexit__(None, None, None)

    asyncio.run(run_async())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    bomb_size, endless = (8 * MiB, 16 * 1000 * 1000) if args.quick else (64 * MiB, 128_000_000)
    plain = HEAD + bytes(bomb_size - len(HEAD))
    rows: list[tuple[str, int, bytes | int]] = [
        (encoding, len(plain), _encode(plain, encoding)) for encoding in ENCODINGS
    ]
    rows.append(("(none, no length)", endless, endless))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    ways = ["normalize", "anormalize", "RetryTransport", "AsyncRetryTransport"]
    mode = "quick run" if args.quick else "full run"
    print(
        f"peak / held Python allocations reading one error body  (Python {sys.version.split()[0]},"
    )
    print(f"{mode}; cap {DEFAULT_BODY_CAP // 1024} KiB; limit {LIMIT // MiB} MiB; figures in KiB")
    print("and as a multiple of the cap)")
    print(f"{'encoding':<18} {'decoded':>9} {'sent':>9}  " + "  ".join(f"{w:>21}" for w in ways))
    worst = 0
    # Warm up first (imports, the adapter registry, compiled patterns): measured once per process.
    warm = gzip.compress(HEAD + b'"}}')
    _Handler.bodies["/warm-up"] = ({"Content-Encoding": "gzip"}, warm)
    _measure(f"http://127.0.0.1:{port}/warm-up", len(warm))
    try:
        for index, (encoding, decoded, body) in enumerate(rows):
            path = f"/{index}"
            headers = {} if isinstance(body, int) else {"Content-Encoding": encoding}
            _Handler.bodies[path] = (headers, body)
            sent = body if isinstance(body, int) else len(body)
            figures = _measure(f"http://127.0.0.1:{port}{path}", sent)
            cells = []
            for way in ways:
                peak, held = figures[way]
                worst = max(worst, peak, held)
                cells.append(
                    f"{peak / 1024:>7.0f}/{held / 1024:<5.0f} {peak / DEFAULT_BODY_CAP:>5.1f}x"
                )
            print(
                f"{encoding:<18} {decoded / MiB:>7.0f}Mi {sent / 1024:>7.1f}Ki  "
                + "  ".join(f"{cell:>21}" for cell in cells)
            )
    finally:
        server.shutdown()
    print(f"worst: {worst / MiB:.2f} MiB ({worst / DEFAULT_BODY_CAP:.1f}x the cap)")
    if worst > LIMIT:
        print(f"FAIL: over the {LIMIT // MiB} MiB guarantee", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
