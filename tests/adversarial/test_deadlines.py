"""Deadlines: a server that sends a 500 and then drips its body yields an error in time.

The bound is a correctness bound (the deadline plus a margin for a loaded machine), not a speed
benchmark: without a deadline these reads take the whole drip (seconds), or forever.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import httpx
import pytest
from _servers import Drip, LoopbackServer

import agent_errors as ae
from agent_errors._parsing._view import DEFAULT_READ_DEADLINE, ResponseView

DEADLINE = 0.5
MARGIN = 0.5  # scheduling slack on a shared, noisy machine
BODY = b'{"error": {"type": "server_error", "message": "dripping"}}' + b" " * 200


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _check(error: ae.CanonicalError | None) -> None:
    # Classified from what arrived: the status, and a body cut short.
    assert error is not None
    assert error.status == 500
    assert error.kind is ae.Kind.INTERNAL
    assert error.details.get("body_truncated") is True


def test_normalize_of_a_dripping_500_returns_within_the_deadline(server):
    url = server.route("/drip/n", Drip(500, BODY, interval=0.05))
    with httpx.Client() as client, client.stream("GET", url) as response:
        start = time.monotonic()
        error = ae.normalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    _check(error)
    assert elapsed < DEADLINE + MARGIN
    assert server.sent("/drip/n") < len(BODY)


def test_the_retry_transport_gives_up_reading_a_dripping_500_at_the_deadline(server):
    url = server.route("/drip/t", Drip(500, BODY, interval=0.05))
    transport = ae.RetryTransport(policy=ae.RetryPolicy(max_retries=0), read_deadline=DEADLINE)
    with httpx.Client(transport=transport) as client:
        start = time.monotonic()
        with client.stream("GET", url) as response:
            elapsed = time.monotonic() - start
            record = response.extensions["agent_errors.retry"]
    assert response.status_code == 500
    assert record.decisions[0].kind is ae.Kind.INTERNAL
    assert elapsed < DEADLINE + MARGIN


def test_a_sync_read_blocked_in_one_slow_read_ends_with_that_read(server):
    # The documented limit: sync reads check the deadline between chunks, so one blocking read
    # lasts up to httpx's read timeout. Here each byte takes 1.5 s; the deadline is 0.5 s.
    url = server.route("/drip/slow-sync", Drip(500, BODY[:3], interval=1.5, declared=100))
    with (
        httpx.Client(timeout=httpx.Timeout(10.0)) as client,
        client.stream("GET", url) as response,
    ):
        start = time.monotonic()
        error = ae.normalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    _check(error)
    assert DEADLINE <= elapsed < 1.5 + MARGIN


@pytest.mark.anyio
async def test_anormalize_of_a_dripping_500_returns_within_the_deadline(server):
    url = server.route("/drip/an", Drip(500, BODY, interval=0.05))
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    _check(error)
    assert elapsed < DEADLINE + MARGIN


@pytest.mark.anyio
async def test_an_async_read_blocked_in_one_slow_read_is_cancelled_at_the_deadline(server):
    url = server.route("/drip/slow-async", Drip(500, BODY[:3], interval=3.0, declared=100))
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client,
        client.stream("GET", url) as response,
    ):
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
        # The cut read cannot be resumed: the caller gets an httpx error, not a short body.
        with pytest.raises(httpx.ReadTimeout):
            await response.aread()
    _check(error)
    assert elapsed < DEADLINE + MARGIN


@pytest.mark.anyio
async def test_the_async_transport_gives_up_reading_a_dripping_500_at_the_deadline(server):
    url = server.route("/drip/at", Drip(500, BODY, interval=3.0))
    transport = ae.AsyncRetryTransport(policy=ae.RetryPolicy(max_retries=0), read_deadline=DEADLINE)
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        start = time.monotonic()
        async with client.stream("GET", url) as response:
            elapsed = time.monotonic() - start
            assert response.status_code == 500
            with pytest.raises(httpx.ReadTimeout):
                await response.aread()
    assert elapsed < DEADLINE + MARGIN


def test_the_default_deadline_is_five_seconds():
    assert DEFAULT_READ_DEADLINE == 5.0


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, "5", True])
def test_a_deadline_that_is_not_positive_seconds_is_a_value_error(bad):
    response = httpx.Response(500, content=b"x")
    with pytest.raises(ValueError, match="read_deadline"):
        ae.normalize(response, read_deadline=bad)
    with pytest.raises(ValueError, match="read_deadline"):
        ResponseView.from_response(response, read_deadline=bad)
    with pytest.raises(ValueError, match="read_deadline"):
        ae.RetryTransport(read_deadline=bad)
    with pytest.raises(ValueError, match="read_deadline"):
        ae.AsyncRetryTransport(read_deadline=bad)


def test_no_deadline_reads_until_the_cap_or_the_end(server):
    url = server.route("/drip/none", Drip(500, BODY[:20], interval=0.01))
    with httpx.Client() as client, client.stream("GET", url) as response:
        error = ae.normalize(response, read_deadline=None)
    assert error is not None
    assert error.details.get("body_truncated") is not True
