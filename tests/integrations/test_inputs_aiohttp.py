"""anormalize() on what aiohttp users hold: a ClientResponse, read or not, or its error."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import aiohttp
import pytest

import agent_errors as ae
from agent_errors import Kind

BODY = json.dumps({"error": {"message": "Slow down", "type": "rate_limit_error"}}).encode()
HEADERS = [("content-type", "application/json"), ("retry-after", "7"), ("x-request-id", "req_a1")]


def _check(error: ae.CanonicalError | None) -> None:
    assert error is not None
    assert error.kind is Kind.RATE_LIMITED
    assert error.retry_after == 7.0
    assert error.request_id == "req_a1"
    assert error.status == 429


@pytest.mark.anyio
async def test_an_unread_response_is_read_and_kept_for_the_caller(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        _check(await ae.anormalize(response))
        assert (await response.json())["error"]["message"] == "Slow down"
        _check(await ae.anormalize(response))  # read already: the same answer


@pytest.mark.anyio
async def test_sync_normalize_points_to_anormalize(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        with pytest.raises(TypeError, match="anormalize"):
            ae.normalize(response)


@pytest.mark.anyio
async def test_raise_for_status_error_keeps_status_and_headers(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError) as caught:
            await session.get(url)
    _check(ae.normalize(caught.value))
    _check(await ae.anormalize(caught.value))


@pytest.mark.anyio
async def test_a_released_response_leaves_status_and_headers(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    async with aiohttp.ClientSession() as session:
        response = await session.get(url)
        response.release()
        _check(await ae.anormalize(response))


@pytest.mark.anyio
async def test_a_streaming_success_is_left_unread(loopback):
    url = loopback.route("/v1/ok", 200, [("content-type", "text/plain")], b"x" * 100_000)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert await ae.anormalize(response) is None
        assert len(await response.read()) == 100_000


@pytest.mark.anyio
async def test_a_gzip_bomb_is_inflated_no_further_than_the_cap(loopback):
    bomb = gzip.compress(b"{" + b" " * (64 * 1024 * 1024), compresslevel=9)
    headers = [("content-type", "application/json"), ("content-encoding", "gzip")]
    url = loopback.route("/v1/bomb", 500, headers, bomb)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        tracemalloc.start()
        try:
            error = await ae.anormalize(response)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert error is not None
    assert error.kind is Kind.INTERNAL
    assert peak < 4 * 1024 * 1024, peak


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_body_that_breaks_off_keeps_what_came(loopback):
    partial = b'{"error": {"message": "Slow down", "type": "rate_limit_error"}}'
    url = loopback.route("/v1/cut", 429, HEADERS, partial, length=1000)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        error = await ae.anormalize(response)
    _check(error)
    assert error is not None
    assert error.message == "Slow down"
