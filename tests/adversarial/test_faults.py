"""Faults: truncated, reset and undecodable error bodies; streamed successes under the hooks.

Over a real loopback server. What a caller gets from the transports is always the response or
an `httpx.HTTPError`, never `httpx.StreamConsumed` (which `except httpx.HTTPError` misses).
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import httpx
import pytest
from _servers import Drip, Endless, Fixed, LoopbackServer, Truncated

import agent_errors as ae
from agent_errors._core import _reading

HEAD = b'{"error":'  # 9 bytes of a document that never arrives whole


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _policy(retries: int = 0) -> ae.RetryPolicy:
    return ae.RetryPolicy(max_retries=retries)


def _no_sleep(seconds: float) -> None:
    del seconds


async def _ano_sleep(seconds: float) -> None:
    del seconds


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
@pytest.mark.parametrize("retries", [0, 2])
def test_a_truncated_error_body_surfaces_as_an_httpx_error(server, reset, retries):
    path = f"/trunc/{reset}/{retries}"
    url = server.route(path, Truncated(500, HEAD[:8], declared=1000, reset=reset))
    transport = ae.RetryTransport(policy=_policy(retries), sleep=_no_sleep)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(httpx.HTTPError) as caught,
    ):
        client.get(url)
    assert not isinstance(caught.value, httpx.StreamConsumed)
    assert isinstance(caught.value, (httpx.RemoteProtocolError, httpx.ReadError))


@pytest.mark.anyio
@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
@pytest.mark.parametrize("retries", [0, 2])
async def test_a_truncated_error_body_surfaces_as_an_httpx_error_async(server, reset, retries):
    path = f"/atrunc/{reset}/{retries}"
    url = server.route(path, Truncated(500, HEAD[:8], declared=1000, reset=reset))
    transport = ae.AsyncRetryTransport(policy=_policy(retries), sleep=_ano_sleep)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.HTTPError) as caught:
            await client.get(url)
    assert isinstance(caught.value, (httpx.RemoteProtocolError, httpx.ReadError))


def test_a_truncated_error_body_streamed_gives_what_arrived_then_the_error(server):
    url = server.route("/trunc/stream", Truncated(503, HEAD[:8], declared=1000))
    transport = ae.RetryTransport(policy=_policy(), sleep=_no_sleep)
    with httpx.Client(transport=transport) as client, client.stream("GET", url) as response:
        record = response.extensions["agent_errors.retry"]
        assert record.decisions[0].kind is ae.Kind.UNAVAILABLE  # from the status
        chunks = response.iter_raw()
        assert next(chunks) == HEAD[:8]
        with pytest.raises(httpx.RemoteProtocolError):
            next(chunks)


def test_normalize_of_a_truncated_body_classifies_from_what_arrived(server):
    url = server.route("/trunc/n", Truncated(429, HEAD[:8], declared=1000))
    with httpx.Client() as client, client.stream("GET", url) as response:
        error = ae.normalize(response)
        assert error is not None
        assert error.kind is ae.Kind.RATE_LIMITED
        assert error.details["body_truncated"] is True
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


@pytest.mark.anyio
async def test_anormalize_of_a_reset_body_classifies_from_what_arrived(server):
    url = server.route("/trunc/an", Truncated(502, HEAD[:8], declared=1000, reset=True))
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        error = await ae.anormalize(response)
        assert error is not None
        assert error.status == 502
        assert error.details["body_truncated"] is True
        with pytest.raises(httpx.HTTPError):
            await response.aread()


def test_a_retried_error_is_closed_without_reading_the_rest(server):
    size = 256 * 1024 * 1024
    url = server.route("/retry-endless", Endless(503, size))
    transport = ae.RetryTransport(policy=_policy(retries=1), sleep=_no_sleep)
    with httpx.Client(transport=transport) as client, client.stream("GET", url) as response:
        assert response.extensions["agent_errors.retry"].attempts == 2
    assert server.wait_done("/retry-endless")
    # Two attempts; each was abandoned after the cap (plus what the kernel buffers held).
    assert server.sent("/retry-endless") < size // 4


@pytest.mark.anyio
async def test_a_retried_error_is_closed_without_reading_the_rest_async(server):
    size = 256 * 1024 * 1024
    url = server.route("/aretry-endless", Endless(503, size))
    transport = ae.AsyncRetryTransport(policy=_policy(retries=1), sleep=_ano_sleep)
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("GET", url) as response,
    ):
        assert response.extensions["agent_errors.retry"].attempts == 2
    assert server.wait_done("/aretry-endless")
    assert server.sent("/aretry-endless") < size // 4


def test_a_corrupt_gzip_error_body_is_classified_and_the_caller_gets_a_decoding_error(server):
    url = server.route("/corrupt", Fixed(500, {"Content-Encoding": "gzip"}, b"not gzip at all"))
    with httpx.Client(transport=ae.RetryTransport(policy=_policy())) as client:
        with pytest.raises(httpx.DecodingError):
            client.get(url)
        with client.stream("GET", url) as response:
            assert response.extensions["agent_errors.retry"].decisions[0].kind is ae.Kind.INTERNAL
            assert b"".join(response.iter_raw()) == b"not gzip at all"


@pytest.mark.parametrize("encoding", ["compress", "gzip, snappy", "unknown-coding"])
def test_an_undecodable_coding_is_classified_from_status_and_headers_only(server, encoding):
    body = b'{"error": {"message": "never read"}}'
    path = f"/undecodable/{encoding.replace(' ', '').replace(',', '+')}"
    url = server.route(path, Fixed(503, {"Content-Encoding": encoding, "Retry-After": "7"}, body))
    with httpx.Client() as client, client.stream("GET", url) as response:
        error = ae.normalize(response)
        assert error is not None
        assert error.kind is ae.Kind.UNAVAILABLE
        assert error.retry_after == 7
        assert "never read" not in error.message
        # The body was not touched: the caller reads all of it.
        assert b"".join(response.iter_raw()) == body


def test_a_gzip_error_body_is_decoded_whole_through_the_transport(server):
    body = b'{"error": {"type": "invalid_request_error", "message": "bad field"}}'
    url = server.route("/gz-ok", Fixed(400, {"Content-Encoding": "gzip"}, gzip.compress(body)))
    with httpx.Client(transport=ae.RetryTransport(policy=_policy())) as client:
        response = client.get(url)
    assert response.content == body
    error = ae.normalize(response)
    assert error is not None
    assert error.message == "bad field"


# --- raise_for_error hooks never read a streamed success ---


@pytest.mark.parametrize("size", [10, 60 * 1024])
def test_raise_for_error_leaves_a_streamed_success_untouched(server, size):
    body = b"s" * size
    url = server.route(f"/ok/{size}", Fixed(200, {"Content-Type": "text/plain"}, body))
    with (
        httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client,
        client.stream("GET", url) as response,
    ):
        assert b"".join(response.iter_raw()) == body


@pytest.mark.anyio
@pytest.mark.parametrize("size", [10, 60 * 1024])
async def test_araise_for_error_leaves_a_streamed_success_untouched(server, size):
    body = b"s" * size
    url = server.route(f"/aok/{size}", Fixed(200, {"Content-Type": "text/plain"}, body))
    async with (
        httpx.AsyncClient(event_hooks={"response": [ae.araise_for_error]}) as client,
        client.stream("GET", url) as response,
    ):
        assert b"".join([chunk async for chunk in response.aiter_raw()]) == body


def test_raise_for_error_still_raises_for_a_streamed_error_and_keeps_its_body(server):
    body = b'{"error": {"type": "rate_limit_error", "message": "slow down"}}'
    url = server.route("/hook-err", Fixed(429, {"Content-Type": "application/json"}, body))
    with (
        httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client,
        pytest.raises(ae.AgentAPIError) as caught,
        client.stream("GET", url),
    ):
        pass
    assert caught.value.error.kind is ae.Kind.RATE_LIMITED
    assert caught.value.error.message == "slow down"


def test_raise_for_error_does_not_wait_for_a_streamed_success_body(server):
    # A hook that read the body would take the whole drip (8 x 0.25 s) before the caller saw
    # the response; one that leaves it unread hands it over at once.
    url = server.route("/ok-drip", Drip(200, b"s" * 8, interval=0.25))
    with httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client:
        start = time.monotonic()
        with client.stream("GET", url) as response:
            elapsed = time.monotonic() - start
            assert response.read() == b"s" * 8
    assert elapsed < 1.0


@pytest.mark.anyio
async def test_araise_for_error_does_not_wait_for_a_streamed_success_body(server):
    url = server.route("/aok-drip", Drip(200, b"s" * 8, interval=0.25))
    async with httpx.AsyncClient(event_hooks={"response": [ae.araise_for_error]}) as client:
        start = time.monotonic()
        async with client.stream("GET", url) as response:
            elapsed = time.monotonic() - start
            assert await response.aread() == b"s" * 8
    assert elapsed < 1.0


class _OldBrotli:
    """A brotli module as brotli < 1.2 was: `process` has no output bound."""

    error = Exception

    class Decompressor:
        def process(self, data: bytes) -> bytes:
            return data


def test_br_without_an_output_bound_is_not_decoded(monkeypatch):
    real = _reading._optional
    monkeypatch.setattr(
        _reading, "_optional", lambda name: _OldBrotli if name == "brotli" else real(name)
    )
    body = b'{"error": {"message": "never inflated"}}'
    response = httpx.Response(502, headers={"content-encoding": "br"}, stream=_Once(body))
    error = ae.normalize(response)
    assert error is not None
    assert error.status == 502
    assert "never inflated" not in error.message
    assert b"".join(response.iter_raw()) == body  # untouched


class _Once(httpx.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self._body


@pytest.mark.parametrize("count", [5, 3000])
def test_a_pile_of_stacked_codings_is_not_decoded(count):
    # Each decoder holds its own window (32 KiB for zlib): 3000 of them would cost ~100 MB.
    body = b'{"error": {"message": "never inflated"}}'
    headers = {"content-encoding": ", ".join(["gzip"] * count)}
    response = httpx.Response(503, headers=headers, stream=_Once(body))
    error = ae.normalize(response)
    assert error is not None
    assert error.kind is ae.Kind.UNAVAILABLE
    assert b"".join(response.iter_raw()) == body


def test_four_stacked_codings_are_decoded():
    body = b'{"error": {"message": "four deep"}}'
    data = body
    for _ in range(4):
        data = gzip.compress(data)
    headers = {"content-encoding": "gzip, identity, gzip, GZIP, gzip"}
    error = ae.normalize(httpx.Response(500, headers=headers, stream=_Once(data)))
    assert error is not None
    assert error.message == "four deep"
