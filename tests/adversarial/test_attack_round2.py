"""Round two of the attack on the hardening: the inputs and surfaces added with it.

Each test is a break found by attacking the merged code as a user of the installed package would,
with its figure (seconds against the deadline, bytes, counts); it failed before its fix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import aiohttp
import pytest
import requests
from _servers import Drip, LoopbackServer

import agent_errors as ae

DEADLINE = 0.5
MARGIN = 0.5  # scheduling slack on a shared, noisy machine
BODY = b'{"error": {"type": "server_error", "message": "dripping"}}' + b" " * 200
DRIP = 0.05  # seconds per byte: the whole body takes about 13 s


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


# --- deadlines: requests and aiohttp bodies had none (the whole drip, 13 s, was read) ---


def test_normalize_of_a_dripping_requests_500_returns_within_the_deadline(server):
    url = server.route("/drip/requests", Drip(500, BODY, interval=DRIP))
    with requests.get(url, stream=True, timeout=5) as response:
        start = time.monotonic()
        error = ae.normalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.kind is ae.Kind.INTERNAL
    assert error.details.get("body_truncated") is True
    assert elapsed < DEADLINE + MARGIN  # before the fix: 11-13 s
    assert server.sent("/drip/requests") < len(BODY)


def test_a_requests_http_error_is_read_within_the_deadline_too(server):
    url = server.route("/drip/requests-error", Drip(500, BODY, interval=DRIP))
    with requests.get(url, stream=True, timeout=5) as response:
        start = time.monotonic()
        error = ae.normalize(requests.HTTPError(response=response), read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.status == 500
    assert elapsed < DEADLINE + MARGIN


@pytest.mark.anyio
async def test_anormalize_of_a_dripping_aiohttp_500_returns_within_the_deadline(server):
    url = server.route("/drip/aiohttp", Drip(500, BODY, interval=DRIP))
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.kind is ae.Kind.INTERNAL
    assert error.details.get("body_truncated") is True
    assert elapsed < DEADLINE + MARGIN  # before the fix: 11-13 s


@pytest.mark.anyio
async def test_an_aiohttp_read_blocked_in_one_slow_read_is_cancelled_at_the_deadline(server):
    # One byte every 3 s: the deadline falls inside a single read, which must be cancelled.
    url = server.route("/drip/aiohttp-slow", Drip(500, BODY, interval=3.0))
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.status == 500
    assert elapsed < DEADLINE + MARGIN
