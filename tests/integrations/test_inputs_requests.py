"""normalize() on what requests users hold: a Response or an HTTPError, read or streaming."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest
import requests

import agent_errors as ae
from agent_errors import Kind

BODY = json.dumps({"error": {"message": "Slow down", "type": "rate_limit_error"}}).encode()
HEADERS = [("content-type", "application/json"), ("retry-after", "7"), ("x-request-id", "req_r1")]


def _check(error: ae.CanonicalError | None) -> None:
    assert error is not None
    assert error.kind is Kind.RATE_LIMITED
    assert error.retry_after == 7.0
    assert error.request_id == "req_r1"
    assert error.status == 429


def test_a_read_response_and_its_http_error(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    response = requests.get(url, timeout=5)
    _check(ae.normalize(response))
    with pytest.raises(requests.HTTPError) as caught:
        response.raise_for_status()
    _check(ae.normalize(caught.value))


def test_a_streaming_error_is_read_within_the_cap_and_kept_for_the_caller(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    with requests.get(url, timeout=5, stream=True) as response:
        _check(ae.normalize(response))
        assert response.json()["error"]["message"] == "Slow down"  # still there


def test_a_streaming_success_is_left_unread(loopback):
    url = loopback.route("/v1/ok", 200, [("content-type", "text/plain")], b"x" * 100_000)
    with requests.get(url, timeout=5, stream=True) as response:
        assert ae.normalize(response) is None
        assert sum(len(c) for c in response.iter_content(8192)) == 100_000


def test_a_consumed_or_closed_body_leaves_status_and_headers(loopback):
    url = loopback.route("/v1/x", 429, HEADERS, BODY)
    with requests.get(url, timeout=5, stream=True) as response:
        for _ in response.iter_content(4):
            pass
        error = ae.normalize(response)
    _check(error)


def test_a_gzip_bomb_is_inflated_no_further_than_the_cap(loopback):
    bomb = gzip.compress(b"{" + b" " * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 256 * 1024
    headers = [("content-type", "application/json"), ("content-encoding", "gzip")]
    url = loopback.route("/v1/bomb", 500, headers, bomb)
    with requests.get(url, timeout=5, stream=True) as response:
        tracemalloc.start()
        try:
            error = ae.normalize(response)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert error is not None
    assert error.kind is Kind.INTERNAL
    assert peak < 4 * 1024 * 1024, peak  # 64 MiB inflated would be 16 times this


def test_an_http_error_without_a_response_is_refused():
    with pytest.raises(TypeError, match="error_from_exception"):
        ae.normalize(requests.HTTPError("no response"))


def test_a_body_that_breaks_off_keeps_what_came(loopback):
    partial = b'{"error": {"message": "Slow down", "type": "rate_limit_error"}}'
    url = loopback.route("/v1/cut", 429, HEADERS, partial, length=1000)
    with requests.get(url, timeout=5, stream=True) as response:
        error = ae.normalize(response)
    _check(error)
    assert error is not None
    assert error.message == "Slow down"
