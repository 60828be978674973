"""Retry-after, request-id and should-retry hints: every source, in DESIGN's priority order."""

from __future__ import annotations

import json
import math
from email.utils import formatdate
from typing import Any

import pytest

import agent_errors as ae
from agent_errors import Kind
from agent_errors._parsing._hints import (
    MAX_RETRY_AFTER,
    parse_duration,
    parse_http_date,
    parse_retry_after,
    request_id_hint,
    retry_after_hint,
    should_retry_hint,
    usable_retry_after,
)
from agent_errors.adapter_kit import ResponseView

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


def http_date(offset: float) -> str:
    return formatdate(NOW + offset, usegmt=True)


def hint(
    headers: Any = None,
    body: Any = None,
    *,
    kind: Kind = Kind.RATE_LIMITED,
    message: str = "",
    now: float | None = NOW,
) -> tuple[float | None, str | None]:
    raw = json.dumps(body) if isinstance(body, (dict, list)) else body
    return retry_after_hint(ResponseView(429, headers, raw), kind, message, now=now)


# --- the parsers ---


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (3, 3.0),
        (2.5, 2.5),
        ("4", 4.0),
        (" 4.5 ", 4.5),
        (".5", 0.5),
        ("22s", 22.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("6m0s", 360.0),
        ("1h2m3s", 3723.0),
        ("2 minutes", 120.0),
        ("1 hour", 3600.0),
        ({"seconds": 3, "nanos": 500_000_000}, 3.5),
        ({"seconds": "7"}, 7.0),
        ({"nanos": 5e8}, 0.5),
    ],
)
def test_parse_duration(value: object, seconds: float):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -1,
        "-1",
        "abc",
        "",
        "1e3",
        "5 fortnights",
        math.nan,
        math.inf,
        -math.inf,
        10**400,
        "9" * 65,
        [1],
        {},
        {"delay": 3},
        {"seconds": -1},
        {"seconds": "x"},
        {"seconds": 1, "nanos": math.nan},
    ],
)
def test_parse_duration_rejects(value: object):
    assert parse_duration(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 14 Nov 2023 22:13:50 GMT",  # IMF-fixdate
        "Tuesday, 14-Nov-23 22:13:50 GMT",  # RFC 850
        "Tue Nov 14 22:13:50 2023",  # asctime
    ],
)
def test_parse_http_date_all_three_forms(value: str):
    assert parse_http_date(value) == NOW + 30
    assert parse_retry_after(value, now=NOW) == 30.0


@pytest.mark.parametrize(
    "value", ["", "yesterday", "Tue, 99 Nov 2023 22:13:50 GMT", "x" * 65, "Wed, 21 Oct 99999"]
)
def test_parse_http_date_rejects(value: str):
    assert parse_http_date(value) is None


def test_parse_retry_after_past_date_is_zero():
    assert parse_retry_after(http_date(-3600), now=NOW) == 0.0


# --- retry_after: one source at a time ---


@pytest.mark.parametrize(
    ("headers", "body", "seconds", "source"),
    [
        ({"retry-after-ms": "1500"}, None, 1.5, "header:retry-after-ms"),
        ({"Retry-After": "7"}, None, 7.0, "header:retry-after"),
        ({"Retry-After": "0"}, None, 0.0, "header:retry-after"),
        ({"Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT"}, None, 30.0, "header:retry-after"),
        ({"Retry-After": "Tuesday, 14-Nov-23 22:13:50 GMT"}, None, 30.0, "header:retry-after"),
        ({"Retry-After": "Tue Nov 14 22:13:50 2023"}, None, 30.0, "header:retry-after"),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None, 0.0, "header:retry-after"),
        (None, {"retryAfter": 3}, 3.0, "body:retryAfter"),
        (None, {"retry_after": "4"}, 4.0, "body:retry_after"),
        (None, {"retry_after_ms": 2500}, 2.5, "body:retry_after_ms"),
        (None, {"retryAfterSeconds": 8}, 8.0, "body:retryAfterSeconds"),
        (None, {"error": {"retry_after": 5}}, 5.0, "body:error.retry_after"),
        (None, {"error": {"details": {"retry_after": 6}}}, 6.0, "body:error.details.retry_after"),
        (None, {"details": {"retry_after": 9}}, 9.0, "body:details.retry_after"),
        (None, {"meta": {"retryAfter": "12s"}}, 12.0, "body:meta.retryAfter"),
        (
            None,
            {
                "error": {
                    "code": 429,
                    "details": [
                        {"@type": "type.googleapis.com/google.rpc.ErrorInfo"},
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"},
                    ],
                }
            },
            22.0,
            "body:RetryInfo.retryDelay",
        ),
        (
            None,
            {
                "error": {
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": {"seconds": 3, "nanos": 250_000_000},
                        }
                    ]
                }
            },
            3.25,
            "body:RetryInfo.retryDelay",
        ),
        ({"X-RateLimit-Reset": str(int(NOW + 60))}, None, 60.0, "header:x-ratelimit-reset"),
        ({"X-RateLimit-Reset": str(int(NOW + 60) * 1000)}, None, 60.0, "header:x-ratelimit-reset"),
        ({"X-RateLimit-Reset": "60"}, None, 60.0, "header:x-ratelimit-reset"),
        ({"RateLimit-Reset": "45"}, None, 45.0, "header:ratelimit-reset"),
        ({"x-rate-limit-reset": "12"}, None, 12.0, "header:x-rate-limit-reset"),
        ({"RateLimit": '"default";r=0;t=30'}, None, 30.0, "header:ratelimit"),
        ({"x-ratelimit-reset-requests": "1m30s"}, None, 90.0, "header:x-ratelimit-reset-requests"),
        (None, {"resetAt": "2023-11-14T22:14:20Z"}, 60.0, "body:resetAt"),
        (None, {"error": {"reset_at": "2023-11-14T22:14:20+00:00"}}, 60.0, "body:error.reset_at"),
        (None, {"resetAt": "2023-11-14T22:14:20"}, 60.0, "body:resetAt"),  # naive means UTC
    ],
)
def test_each_source(headers: Any, body: Any, seconds: float, source: str):
    found, found_source = hint(headers, body)
    assert found == pytest.approx(seconds)
    assert found_source == source


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Rate limit exceeded, retry after 21 seconds.", 21.0),
        ("Please try again in 5.3s.", 5.3),
        ("Rate limit reached for requests. Please try again in 6m0s.", 360.0),
        ("Please try again in 20ms", 0.02),
        ("Wait 2 minutes and 30 seconds", 150.0),
        ("Quota will be available in 1 hour", 3600.0),
        ("RETRY IN 3 SECONDS", 3.0),
    ],
)
def test_message_numbers(message: str, seconds: float):
    assert hint(message=message) == (pytest.approx(seconds), "message")


@pytest.mark.parametrize(
    "message",
    [
        "Please try again later.",
        "Model gpt-4 has 8192 tokens",
        "retry in 1e999 seconds",
        "try again in 99999999999 hours",
        "retry after " + "9" * 5000 + " seconds",
    ],
)
def test_message_without_a_usable_duration(message: str):
    assert hint(message=message) == (None, None)


# --- priority ---


def test_priority_order():
    headers = {
        "retry-after-ms": "1000",
        "retry-after": "2",
        "x-ratelimit-reset": "4",
    }
    body = {
        "retry_after": 3,
        "resetAt": "2023-11-14T22:13:25Z",  # 5 s
        "error": {
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"}]
        },
    }
    message = "try again in 6s"
    expected = [
        (1.0, "header:retry-after-ms"),
        (2.0, "header:retry-after"),
        (3.0, "body:retry_after"),
        (9.0, "body:RetryInfo.retryDelay"),
        (4.0, "header:x-ratelimit-reset"),
        (5.0, "body:resetAt"),
        (6.0, "message"),
    ]
    for seconds, source in expected:
        assert hint(headers, body, message=message) == (seconds, source)
        # Remove the winning source: the next one in the order wins.
        if source.startswith("header:"):
            del headers[source.removeprefix("header:")]
        elif source == "body:RetryInfo.retryDelay":
            del body["error"]
        elif source == "message":
            message = ""
        else:
            del body[source.removeprefix("body:")]
    assert hint(headers, body, message="") == (None, None)


@pytest.mark.parametrize(
    "value",
    ["-5", "nan", "NaN", "inf", "-inf", "1e400", "abc", "", "99999999999999999999999", "3 s"],
)
def test_invalid_header_values_are_no_hint(value: str):
    assert hint({"retry-after-ms": value}) == (None, None)
    assert hint({"retry-after": value}) == (None, None)


@pytest.mark.parametrize(
    "value",
    [
        -3,
        math.inf,
        -math.inf,
        10**400,
        1e30,
        True,
        None,
        [],
        {},
        "soon",
        "NaN",
        MAX_RETRY_AFTER + 1,
    ],
)
def test_invalid_body_values_are_no_hint(value: object):
    assert hint(None, {"retry_after": value}) == (None, None)


def test_nan_literal_in_the_body_is_no_hint():
    assert hint(None, '{"retry_after": NaN}') == (None, None)
    assert hint(None, '{"retry_after": Infinity}') == (None, None)
    assert hint(None, '{"retry_after": 1e999}') == (None, None)


def test_an_invalid_source_falls_through_to_the_next():
    assert hint({"retry-after": "-1"}, {"retry_after": 5}) == (5.0, "body:retry_after")
    assert hint({"retry-after-ms": "nan", "retry-after": "2"}) == (2.0, "header:retry-after")
    assert hint({"retry-after": "1e30"}, message="retry after 3 seconds") == (3.0, "message")


def test_absurd_waits_are_no_hint():
    assert hint({"retry-after": str(int(MAX_RETRY_AFTER) + 1)}) == (None, None)
    assert hint({"retry-after": str(int(MAX_RETRY_AFTER))}) == (
        MAX_RETRY_AFTER,
        "header:retry-after",
    )


def test_usable_retry_after():
    assert usable_retry_after(0)
    assert usable_retry_after(2.5)
    for value in (-0.1, math.nan, math.inf, MAX_RETRY_AFTER * 2, True, "3", None):
        assert not usable_retry_after(value)


# --- dates and resets ---


def test_dates_are_measured_against_the_date_header():
    headers = {"Retry-After": http_date(30), "Date": http_date(0)}
    # The local clock (now=None) or an injected one far off does not matter.
    assert hint(headers, now=None) == (30.0, "header:retry-after")
    assert hint(headers, now=NOW + 10_000) == (30.0, "header:retry-after")


def test_an_unusable_date_header_falls_back_to_now():
    headers = {"Retry-After": http_date(30), "Date": "not a date"}
    assert hint(headers) == (30.0, "header:retry-after")


def test_resets_use_the_date_header_too():
    headers = {"X-RateLimit-Reset": str(int(NOW + 60)), "Date": http_date(0)}
    assert hint(headers, now=NOW - 5000) == (60.0, "header:x-ratelimit-reset")


@pytest.mark.parametrize(
    "value", [str(int(NOW - 60)), str(int(NOW - 60) * 1000), "-5", "nan", "soon", "2023-01-01"]
)
def test_a_reset_in_the_past_or_invalid_is_no_hint(value: str):
    assert hint({"X-RateLimit-Reset": value}) == (None, None)


def test_a_past_iso_reset_is_no_hint():
    assert hint(None, {"resetAt": "2023-11-14T22:00:00Z"}) == (None, None)


@pytest.mark.parametrize(
    "kind", [Kind.RATE_LIMITED, Kind.CONCURRENCY_LIMITED, Kind.PAYMENT_REQUIRED]
)
def test_resets_count_for_rate_limit_kinds(kind: Kind):
    assert hint({"X-RateLimit-Reset": "60"}, kind=kind) == (60.0, "header:x-ratelimit-reset")
    assert hint(None, {"resetAt": "2023-11-14T22:14:20Z"}, kind=kind) == (60.0, "body:resetAt")


@pytest.mark.parametrize("kind", [Kind.INTERNAL, Kind.UNAVAILABLE, Kind.INVALID_REQUEST])
def test_resets_do_not_count_for_other_kinds(kind: Kind):
    headers = {"X-RateLimit-Reset": "60", "X-RateLimit-Remaining": "57"}
    assert hint(headers, kind=kind) == (None, None)
    assert hint(None, {"resetAt": "2023-11-14T22:14:20Z"}, kind=kind) == (None, None)


@pytest.mark.parametrize("remaining", ["x-ratelimit-remaining", "ratelimit-remaining"])
def test_resets_count_for_any_kind_when_nothing_remains(remaining: str):
    headers = {"X-RateLimit-Reset": "60", remaining: "0"}
    assert hint(headers, kind=Kind.UNAVAILABLE) == (60.0, "header:x-ratelimit-reset")


def test_per_limit_resets_wait_for_the_last_exhausted_limit():
    headers = {
        "x-ratelimit-reset-requests": "2s",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-tokens": "20s",
        "x-ratelimit-remaining-tokens": "0",
    }
    assert hint(headers, kind=Kind.INTERNAL) == (20.0, "header:x-ratelimit-reset-tokens")
    headers["x-ratelimit-remaining-tokens"] = "1000"
    assert hint(headers, kind=Kind.INTERNAL) == (2.0, "header:x-ratelimit-reset-requests")


# --- what normalize records ---


@pytest.mark.parametrize(
    ("headers", "body", "source"),
    [
        ({"retry-after": "3"}, {}, "header:retry-after"),
        ({"retry-after-ms": "3000"}, {}, "header:retry-after-ms"),
        ({}, {"error": {"message": "m", "retry_after": 3}}, "body:error.retry_after"),
        ({}, {"error": {"message": "Please try again in 3s."}}, "message"),
    ],
)
def test_normalize_records_the_winning_source(headers: Any, body: Any, source: str):
    error = ae.normalize_parts(429, headers, json.dumps(body))
    assert error is not None
    assert error.retry_after == 3.0
    assert error.details["retry_after_source"] == source


def test_normalize_records_no_source_without_a_hint():
    error = ae.normalize_parts(500, {}, b"")
    assert error is not None
    assert error.retry_after is None
    assert "retry_after_source" not in error.details


def test_normalize_uses_the_date_header_for_http_dates():
    headers = {"Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT", "Date": http_date(0)}
    error = ae.normalize_parts(503, headers, b"")
    assert error is not None
    assert error.retry_after == 30.0


# --- request id ---


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"x-request-id": "req_h"}, {"request_id": "req_b"}, ("req_h", "header:x-request-id")),
        ({"request-id": "req_2"}, None, ("req_2", "header:request-id")),
        ({"x-amzn-requestid": "amz"}, None, ("amz", "header:x-amzn-requestid")),
        ({"cf-ray": "8a1b-SJC"}, None, ("8a1b-SJC", "header:cf-ray")),
        ({"x-request-id": "a, b"}, None, ("a", "header:x-request-id")),
        ({"x-request-id": "   "}, {"requestId": "b1"}, ("b1", "body:requestId")),
        ({"x-request-id": "x" * 300}, {"request_id": "b2"}, ("b2", "body:request_id")),
        ({"x-request-id": "bad\x00id"}, None, (None, None)),
        (None, {"request_id": "req_b"}, ("req_b", "body:request_id")),
        (None, {"error": {"requestId": "e1"}}, ("e1", "body:error.requestId")),
        (None, {"details": {"requestId": "d1"}}, ("d1", "body:details.requestId")),
        (None, {"request_id": 12345}, ("12345", "body:request_id")),
        (None, {"request_id": True}, (None, None)),
        (None, {"request_id": ["x"]}, (None, None)),
        (
            None,
            {
                "error": {
                    "details": [
                        {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "g1"}
                    ]
                }
            },
            ("g1", "body:RequestInfo.requestId"),
        ),
        (None, None, (None, None)),
    ],
)
def test_request_id(headers: Any, body: Any, expected: tuple[str | None, str | None]):
    raw = json.dumps(body) if body is not None else None
    assert request_id_hint(ResponseView(500, headers, raw)) == expected


def test_normalize_records_the_request_id_source():
    error = ae.normalize_parts(500, {"X-Request-Id": "req_1"}, b"")
    assert error is not None
    assert error.request_id == "req_1"
    assert error.details["request_id_source"] == "header:x-request-id"


# --- x-should-retry ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (" false ", False), ("yes", None), ("", None), (None, None)],
)
def test_should_retry(value: str | None, expected: bool | None):
    headers = {} if value is None else {"x-should-retry": value}
    assert should_retry_hint(ResponseView(500, headers)) is expected
    error = ae.normalize_parts(500, headers, b"")
    assert error is not None
    assert error.details.get("should_retry") is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (int(NOW + 60), 60.0),  # epoch seconds as a JSON number
        (int(NOW + 60) * 1000, 60.0),  # epoch milliseconds
        (45, 45.0),  # a delta
        ("30s", 30.0),  # a duration
        (int(NOW - 60), None),
        (None, None),
        (True, None),
        (-1, None),
        ("  2023-11-14T22:14:20Z  ", 60.0),
        ("2023-11-14T22:14:20." + "0" * 60 + "Z", None),  # longer than any timestamp
        ("2023-13-45T99:99:99Z", None),
    ],
)
def test_body_reset_values(value: object, expected: float | None):
    found = hint(None, {"resetAt": value})
    assert found == ((expected, "body:resetAt") if expected is not None else (None, None))
