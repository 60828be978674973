"""Memory: bombs in every content-coding and endless bodies, over a real loopback server.

For each, the peak of Python allocations (tracemalloc) while `normalize`/`anormalize` or a
`RetryTransport`/`AsyncRetryTransport` reads the error body must stay within 4 MiB, what stays
held afterwards too, and the caller must still read the whole body (same bytes, same hash).
"""

from __future__ import annotations

import functools
import gc
import gzip
import hashlib
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from _servers import BLOCK, Endless, Fixed, LoopbackServer, pattern_digest

import agent_errors as ae
from agent_errors._core._reading import Decoder
from agent_errors._parsing._view import ResponseView

MiB = 1024 * 1024
LIMIT = 4 * MiB
BOMB_SIZE = 64 * MiB
ENDLESS_SIZE = 128 * 1000 * 1000
ERROR_HEAD = b'{"error": {"type": "server_error", "message": "boom'


@functools.cache
def _zeros_gzip() -> bytes:
    return gzip.compress(ERROR_HEAD + bytes(BOMB_SIZE - len(ERROR_HEAD)), 9)


@functools.cache
def bomb(encoding: str) -> bytes:
    """A body that decodes (per `encoding`) to 64 MiB: a JSON start, then zeros."""
    plain = ERROR_HEAD + bytes(BOMB_SIZE - len(ERROR_HEAD))
    codings = [part.strip().lower() for part in encoding.split(",")]
    data = plain
    for coding in codings:
        if coding in ("gzip", "x-gzip"):
            data = _zeros_gzip() if data is plain else gzip.compress(data, 9)
        elif coding == "deflate":
            data = zlib.compress(data, 9)
        elif coding == "br":
            data = brotli.compress(data, quality=9)
        elif coding == "zstd":
            data = zstandard.ZstdCompressor(level=19).compress(data)
        else:
            assert coding in ("identity", "")
    return data


ENCODINGS = [
    "gzip",
    "x-gzip",
    "deflate",
    "br",
    "zstd",
    "gzip, gzip",
    "identity, gzip",
    " GZip ",
    "BR",
    "br, gzip",
    "gzip, zstd",
    "zstd, deflate, br",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _traced(func: Callable[[], Any]) -> tuple[int, int, Any]:
    """(peak, still held, result) of Python allocations while `func` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        result = func()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, current, result


async def _atraced(func: Callable[[], Awaitable[Any]]) -> tuple[int, int, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        result = await func()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, current, result


def _no_retry() -> ae.RetryPolicy:
    return ae.RetryPolicy(max_retries=0)


def _digest_raw(response: httpx.Response) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in response.iter_raw():
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


async def _adigest_raw(response: httpx.Response) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    async for chunk in response.aiter_raw():
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _check_error(error: ae.CanonicalError | None) -> None:
    assert error is not None
    assert error.status == 500
    assert error.details.get("body_truncated") is True


# --- bombs ---


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_64_mib_bomb_costs_at_most_4_mib_in_normalize(server, encoding):
    body = bomb(encoding)
    url = server.route(
        f"/n/{ENCODINGS.index(encoding)}", Fixed(500, {"Content-Encoding": encoding}, body)
    )
    with httpx.Client() as client, client.stream("GET", url) as response:
        peak, held, error = _traced(lambda: ae.normalize(response))
        _check_error(error)
        assert peak <= LIMIT, f"{encoding}: peak {peak / MiB:.2f} MiB"
        assert held <= LIMIT
        # The caller still gets every byte the server sent, as a stream.
        assert _digest_raw(response) == (len(body), hashlib.sha256(body).hexdigest())


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_64_mib_bomb_costs_at_most_4_mib_in_the_retry_transport(server, encoding):
    body = bomb(encoding)
    url = server.route(
        f"/t/{ENCODINGS.index(encoding)}", Fixed(500, {"Content-Encoding": encoding}, body)
    )
    transport = ae.RetryTransport(policy=_no_retry())
    with httpx.Client(transport=transport) as client:
        stream = client.stream("GET", url)
        peak, held, response = _traced(stream.__enter__)
        try:
            assert response.status_code == 500
            assert peak <= LIMIT, f"{encoding}: peak {peak / MiB:.2f} MiB"
            assert held <= LIMIT
            assert response.extensions["agent_errors.retry"].decisions[0].kind is ae.Kind.INTERNAL
            assert _digest_raw(response) == (len(body), hashlib.sha256(body).hexdigest())
        finally:
            stream.__exit__(None, None, None)


@pytest.mark.anyio
@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_64_mib_bomb_costs_at_most_4_mib_in_anormalize(server, encoding):
    body = bomb(encoding)
    url = server.route(
        f"/an/{ENCODINGS.index(encoding)}", Fixed(500, {"Content-Encoding": encoding}, body)
    )
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        peak, held, error = await _atraced(lambda: ae.anormalize(response))
        _check_error(error)
        assert peak <= LIMIT, f"{encoding}: peak {peak / MiB:.2f} MiB"
        assert held <= LIMIT
        assert await _adigest_raw(response) == (len(body), hashlib.sha256(body).hexdigest())


@pytest.mark.anyio
@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_64_mib_bomb_costs_at_most_4_mib_in_the_async_transport(server, encoding):
    body = bomb(encoding)
    url = server.route(
        f"/at/{ENCODINGS.index(encoding)}", Fixed(500, {"Content-Encoding": encoding}, body)
    )
    transport = ae.AsyncRetryTransport(policy=_no_retry())
    async with httpx.AsyncClient(transport=transport) as client:
        stream = client.stream("GET", url)
        peak, held, response = await _atraced(stream.__aenter__)
        try:
            assert response.status_code == 500
            assert peak <= LIMIT, f"{encoding}: peak {peak / MiB:.2f} MiB"
            assert held <= LIMIT
            assert await _adigest_raw(response) == (len(body), hashlib.sha256(body).hexdigest())
        finally:
            await stream.__aexit__(None, None, None)


# --- 128 MB without a length ---


def test_a_128_mb_body_without_length_costs_at_most_4_mib_in_normalize(server):
    url = server.route("/endless/n", Endless(500, ENDLESS_SIZE))
    with httpx.Client() as client, client.stream("GET", url) as response:
        peak, held, error = _traced(lambda: ae.normalize(response))
        _check_error(error)
        assert peak <= LIMIT
        assert held <= LIMIT
        assert _digest_raw(response) == (ENDLESS_SIZE, pattern_digest(ENDLESS_SIZE))


def test_a_128_mb_body_without_length_costs_at_most_4_mib_in_the_retry_transport(server):
    url = server.route("/endless/t", Endless(500, ENDLESS_SIZE))
    with httpx.Client(transport=ae.RetryTransport(policy=_no_retry())) as client:
        stream = client.stream("GET", url)
        peak, held, response = _traced(stream.__enter__)
        try:
            assert peak <= LIMIT
            assert held <= LIMIT
            # Only the cap and a constant were read before the response was handed over.
            assert server.sent("/endless/t") < ENDLESS_SIZE
            assert _digest_raw(response) == (ENDLESS_SIZE, pattern_digest(ENDLESS_SIZE))
        finally:
            stream.__exit__(None, None, None)


@pytest.mark.anyio
async def test_a_128_mb_body_without_length_costs_at_most_4_mib_in_anormalize(server):
    url = server.route("/endless/an", Endless(500, ENDLESS_SIZE))
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        peak, held, error = await _atraced(lambda: ae.anormalize(response))
        _check_error(error)
        assert peak <= LIMIT
        assert held <= LIMIT
        assert await _adigest_raw(response) == (ENDLESS_SIZE, pattern_digest(ENDLESS_SIZE))


@pytest.mark.anyio
async def test_a_128_mb_body_without_length_costs_at_most_4_mib_in_the_async_transport(server):
    url = server.route("/endless/at", Endless(500, ENDLESS_SIZE))
    async with httpx.AsyncClient(transport=ae.AsyncRetryTransport(policy=_no_retry())) as client:
        stream = client.stream("GET", url)
        peak, held, response = await _atraced(stream.__aenter__)
        try:
            assert peak <= LIMIT
            assert held <= LIMIT
            assert await _adigest_raw(response) == (ENDLESS_SIZE, pattern_digest(ENDLESS_SIZE))
        finally:
            await stream.__aexit__(None, None, None)


def test_a_whole_small_error_body_stays_readable_through_a_plain_get(server):
    body = b'{"error": {"message": "small and whole"}}'
    url = server.route("/small", Fixed(500, {"Content-Type": "application/json"}, body))
    with httpx.Client(transport=ae.RetryTransport(policy=_no_retry())) as client:
        response = client.get(url)
    assert response.content == body
    assert response.json()["error"]["message"] == "small and whole"


def test_a_bomb_in_the_transport_with_a_plain_get_is_the_callers_choice(server):
    # Not buffered by the transport; a caller who asks httpx for `.content` gets it decoded.
    body = gzip.compress(ERROR_HEAD + bytes(4 * MiB), 9)
    url = server.route("/get-bomb", Fixed(500, {"Content-Encoding": "gzip"}, body))
    with httpx.Client(transport=ae.RetryTransport(policy=_no_retry())) as client:
        response = client.get(url)
    assert len(response.content) == len(ERROR_HEAD) + 4 * MiB


# --- the decoders themselves ---


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_each_coding_decodes_what_httpx_decodes(encoding, piece):
    plain = (b'{"error": {"message": "x"}} ' + BLOCK[:3000]) * 3
    encoded = plain
    for coding in [part.strip().lower() for part in encoding.split(",")]:
        if coding in ("gzip", "x-gzip"):
            encoded = gzip.compress(encoded)
        elif coding == "deflate":
            encoded = zlib.compress(encoded)
        elif coding == "br":
            encoded = brotli.compress(encoded)
        elif coding == "zstd":
            encoded = zstandard.ZstdCompressor().compress(encoded)
    decoder = Decoder(encoding)
    out = []
    for start in range(0, len(encoded), piece):
        decoder.feed(encoded[start : start + piece])
        while chunk := decoder.read(1000):
            assert len(chunk) <= 1000
            out.append(chunk)
    assert b"".join(out) == plain


def test_raw_deflate_is_read_too():
    body = b'{"error": {"message": "raw deflate"}}'
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(body) + compressor.flush()
    response = httpx.Response(500, headers={"content-encoding": "deflate"}, stream=_Chunks(raw))
    error = ae.normalize(response)
    assert error is not None
    assert error.message == "raw deflate"


def test_zstd_frames_one_after_another_are_read_as_httpx_reads_them():
    frames = b"".join(zstandard.ZstdCompressor().compress(part) for part in (b'{"error": ', b"1}"))
    response = httpx.Response(500, headers={"content-encoding": "zstd"}, stream=_Chunks(frames))
    view = ResponseView.from_response(response)
    assert view.body == b'{"error": 1}'


class _Chunks(httpx.SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
