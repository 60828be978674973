"""The test tables of peer libraries for the same rules, run against our public API.

Each section names the peer and the file its cases come from. The inputs and the peer's
expectation are the peer's; the assertion is what our design (DESIGN.md: the kinds table,
"Where hints come from", "Retry decisions") says. Where that differs from the peer on purpose,
the case keeps our expectation and a one-line comment says why.

Every clock is fixed through the response's `Date` header (the hints measure dates against it),
so nothing here depends on the local clock or time zone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from email.utils import formatdate
from typing import Any

import attrs
import httpx
import pytest

import agent_errors as ae
from agent_errors._parsing._hints import parse_retry_after

GET = "GET"


def err(
    status: int | None,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | dict[str, Any] | None = b"",
    *,
    now: float | None = None,
    provider: str | None = None,
) -> ae.CanonicalError:
    hdrs = dict(headers or {})
    if now is not None:
        hdrs["date"] = formatdate(now, usegmt=True)
    raw = json.dumps(body) if isinstance(body, dict) else body
    error = ae.normalize_parts(status, hdrs, raw, provider=provider)
    assert error is not None
    return error


def exact(**overrides: Any) -> ae.RetryPolicy:
    """A policy without jitter, so every delay can be asserted exactly."""
    return ae.RetryPolicy(jitter="none", budget=None, **overrides)


# =============================================================================================
# urllib3 — test/test_retry.py (TestRetry: parse_retry_after, respect_retry_after_header_sleep,
# max_retry_wait_length, status_forcelist, allowed_methods, backoff) and the defaults of
# src/urllib3/util/retry.py (DEFAULT_ALLOWED_METHODS, RETRY_AFTER_STATUS_CODES).
# =============================================================================================

URLLIB3_NOW = 1_559_559_600.0  # 2019-06-03 11:00:00 UTC, the peer's mocked time.time()


@pytest.mark.parametrize(("value", "expected"), [("0", 0.0), ("1000", 1000.0), ("\t42 ", 42.0)])
def test_urllib3_parse_retry_after_valid(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=URLLIB3_NOW) == expected
    assert err(503, {"Retry-After": value}, now=URLLIB3_NOW).retry_after == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", None),
        # urllib3 rejects these as not 1*DIGIT; we read them as the number of seconds they name,
        # like openai-python's float(): waiting the named time never retries early.
        ("+1", 1.0),
        ("1.0", 1.0),
        ("\xb2", None),  # superscript two: a digit to str.isdigit, not to HTTP
        ("\u0661\u0662\u0660", None),  # "120" in Arabic-Indic digits: float() reads it, HTTP not
    ],
)
def test_urllib3_parse_retry_after_invalid(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=URLLIB3_NOW) == expected


URLLIB3_SLEEP_TABLE = [
    # (Retry-After, what urllib3 sleeps, what we ask to wait)
    ("3600", 3600, 3600.0),
    ("Mon, 3 Jun 2019 12:00:00 UTC", 3600, 3600.0),
    # urllib3 does not sleep on a date already reached; for us a past date is a wait of 0.
    ("Mon, 3 Jun 2019 11:00:00 UTC", None, 0.0),
    ("Mon, 03 Jun 2019 11:30:12 GMT", 1812, 1812.0),  # IMF-fixdate
    ("Monday, 03-Jun-19 11:30:12 GMT", 1812, 1812.0),  # RFC 850
    ("Mon Jun  3 11:30:12 2019", 1812, 1812.0),  # asctime: no zone means UTC
]


@pytest.fixture(params=["UTC", "Asia/Jerusalem", None])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The peer runs its table under several local time zones; a zone must never matter."""
    if not hasattr(time, "tzset"):  # pragma: no cover - Windows
        pytest.skip("time.tzset is not available")
    if request.param is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_zone")
@pytest.mark.parametrize(("value", "peer_sleep", "wait"), URLLIB3_SLEEP_TABLE)
def test_urllib3_retry_after_sleep(value: str, peer_sleep: int | None, wait: float) -> None:
    assert parse_retry_after(value, now=URLLIB3_NOW) == wait
    error = err(503, {"Retry-After": value}, now=URLLIB3_NOW)
    assert error.retry_after == wait
    decision = exact(max_server_delay=None, initial_delay=0.0).decide(error, attempt=1)
    assert decision.retry
    assert decision.delay == (peer_sleep or 0.0)


def test_urllib3_max_retry_wait_length_exceeded() -> None:
    error = err(503, {"Retry-After": "3700"}, now=URLLIB3_NOW)
    decision = exact(max_server_delay=3600).decide(error, attempt=1)
    assert (decision.retry, decision.reason) == (False, "server_delay_too_long")
    assert decision.retry_after == 3700  # the caller still learns when it could come back


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (429, True),
        (503, True),
        # urllib3 honours Retry-After on 413 too; for us 413 means the body is too large
        # (invalid_request), and sending it again unchanged cannot succeed.
        (413, False),
        # urllib3 ignores Retry-After outside 413/429/503 and backs off; we never retry sooner
        # than a server asked, whatever the status.
        (500, True),
    ],
)
def test_urllib3_retry_after_status_codes(status: int, retry: bool) -> None:
    error = err(status, {"Retry-After": "5"}, now=URLLIB3_NOW)
    assert error.retry_after == 5.0
    decision = exact().decide(error, attempt=1)
    assert decision.retry is retry
    if retry:
        assert (decision.delay, decision.reason) == (5.0, "server_delay")


@pytest.mark.parametrize(
    ("method", "retry"),
    [
        ("HEAD", True),
        ("GET", True),
        ("PUT", True),
        ("DELETE", True),
        ("OPTIONS", True),
        ("TRACE", True),
        ("POST", False),
        ("PATCH", False),
        ("get", True),  # methods compare case-insensitively
    ],
)
def test_urllib3_default_allowed_methods(method: str, retry: bool) -> None:
    decision = exact().decide(err(503), attempt=1, method=method)
    assert decision.retry is retry
    if not retry:
        assert decision.reason == "unsafe_method"


def test_urllib3_write_with_idempotency_key_is_retried() -> None:
    # Not in urllib3 (it has no idempotency keys): DESIGN's rule for writes.
    decision = exact().decide(err(503), attempt=1, method="POST", idempotency_key="k-1")
    assert decision.retry


def test_urllib3_read_timeout_on_post_is_not_retried() -> None:
    error = ae.error_from_exception(httpx.ReadTimeout("read timed out"))
    decision = exact().decide(error, attempt=1, method="POST")
    assert (decision.retry, decision.reason) == (False, "unsafe_method")


def test_urllib3_connect_error_is_retried_for_any_method() -> None:
    # urllib3 counts connect errors apart from the method check: the request was never sent.
    for exc in (httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out")):
        decision = exact().decide(ae.error_from_exception(exc), attempt=1, method="POST")
        assert decision.retry


@pytest.mark.parametrize(("method", "retry"), [("GET", False), ("POST", True)])
def test_urllib3_allowed_methods_and_status_are_anded(method: str, retry: bool) -> None:
    decision = exact(idempotent_methods={"POST"}).decide(err(500), attempt=1, method=method)
    assert decision.retry is retry


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (400, False),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        # status_forcelist=range(500, 600) retries 501 as well; for us it is
        # feature_not_available: the request must change (the decision names the header).
        (501, False),
    ],
)
def test_urllib3_status_forcelist_5xx(status: int, retry: bool) -> None:
    assert exact().decide(err(status), attempt=1).retry is retry


def test_urllib3_success_is_no_error() -> None:
    assert ae.normalize_parts(200, {}, b"") is None


def test_urllib3_backoff() -> None:
    policy = exact(initial_delay=0.2, multiplier=2.0, max_delay=120.0)
    # urllib3 sleeps 0 before the first retry; we never retry at once: the first retry waits
    # initial_delay. From the second on the series is the peer's: 0.4, 0.8, 1.6, ... capped.
    assert policy.backoff(1) == pytest.approx(0.2)
    assert [policy.backoff(n) for n in (2, 3, 4)] == pytest.approx([0.4, 0.8, 1.6])
    assert policy.backoff(14) == 120.0


def test_urllib3_configurable_backoff_max() -> None:
    policy = exact(initial_delay=0.2, multiplier=2.0, max_delay=1.0)
    assert [policy.backoff(n) for n in (2, 3, 4, 5)] == pytest.approx([0.4, 0.8, 1.0, 1.0])


def test_urllib3_zero_backoff() -> None:
    policy = exact(initial_delay=0.0)
    assert policy.decide(err(500), attempt=2).delay == 0.0
    assert policy.backoff(3) == 0.0


# =============================================================================================
# tenacity — tests/test_tenacity.py (TestWaitConditions: test_exponential,
# test_exponential_with_max_wait). wait_exponential() is 1 * 2**(attempt - 1), capped by max.
# =============================================================================================


@pytest.mark.parametrize(
    ("attempt", "wait"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 64), (8, 128)]
)
def test_tenacity_exponential(attempt: int, wait: float) -> None:
    policy = exact(initial_delay=1.0, multiplier=2.0, max_delay=1e6)
    assert policy.backoff(attempt) == wait


@pytest.mark.parametrize(
    ("attempt", "wait"), [(1, 1), (5, 16), (6, 32), (7, 40), (8, 40), (50, 40)]
)
def test_tenacity_exponential_with_max_wait(attempt: int, wait: float) -> None:
    policy = exact(initial_delay=1.0, multiplier=2.0, max_delay=40.0)
    assert policy.backoff(attempt) == wait


# =============================================================================================
# openai-python — tests/test_client.py (test_parse_retry_after_header, test_retry_after_max_delay,
# test_api_error_code_is_string), src/openai/_base_client.py (_parse_retry_after_header,
# _calculate_retry_timeout, _should_retry: x-should-retry, 408/409/429/5xx) and
# src/openai/_client.py (_make_status_error).
# =============================================================================================

OPENAI_NOW = 1_696_004_797.0  # Fri, 29 Sep 2023 16:26:37 GMT, the peer's mocked time.time()


def openai_policy() -> ae.RetryPolicy:
    # The peer's constants: INITIAL_RETRY_DELAY 0.5, MAX_RETRY_DELAY 8, a 120 s ceiling.
    return exact(initial_delay=0.5, multiplier=2.0, max_delay=8.0, max_server_delay=120.0)


BACKOFF = "backoff"
NO_RETRY = "no retry"

OPENAI_RETRY_AFTER_TABLE = [
    # (retry-after, the peer's timeout, our retry_after, our delay or NO_RETRY)
    ("20", 20, 20.0, 20.0),
    ("0", 0.5, 0.0, 0.5),  # a zero wait: the backoff is longer, and never shortened
    ("-10", 0.5, None, 0.5),
    ("60", 60, 60.0, 60.0),
    ("61", 61, 61.0, 61.0),
    ("120", 120, 120.0, 120.0),
    # The peer's timeout falls back to backoff, but its _should_retry refuses (max delay);
    # we refuse too: retrying sooner than the server asked is never an option.
    ("121", 0.5, 121.0, NO_RETRY),
    ("Fri, 29 Sep 2023 16:26:57 GMT", 20, 20.0, 20.0),
    ("Fri, 29 Sep 2023 16:26:37 GMT", 0.5, 0.0, 0.5),
    # A past date is a wait of 0 for us (the peer: no hint); both then back off.
    ("Fri, 29 Sep 2023 16:26:27 GMT", 0.5, 0.0, 0.5),
    ("Fri, 29 Sep 2023 16:27:37 GMT", 60, 60.0, 60.0),
    ("Fri, 29 Sep 2023 16:27:38 GMT", 61, 61.0, 61.0),
    ("Fri, 29 Sep 2023 16:28:37 GMT", 120, 120.0, 120.0),
    ("Fri, 29 Sep 2023 16:28:38 GMT", 0.5, 121.0, NO_RETRY),  # as "121"
    ("99999999999999999999999999999999999", 0.5, None, 0.5),
    ("inf", 0.5, None, 0.5),
    ("nan", 0.5, None, 0.5),
    # The day name is not checked (RFC 9110 asks recipients to be lenient); the date is past
    # anyway, so the wait is 0 and both back off.
    ("Zun, 29 Sep 2023 16:26:27 GMT", 0.5, 0.0, 0.5),
    ("Fri, 29 Sep 100000 16:26:57 GMT", 0.5, None, 0.5),
    ("", 0.5, None, 0.5),
]


@pytest.mark.parametrize(("value", "peer", "retry_after", "delay"), OPENAI_RETRY_AFTER_TABLE)
def test_openai_parse_retry_after_header(
    value: str, peer: float, retry_after: float | None, delay: float | str
) -> None:
    error = err(429, {"retry-after": value}, now=OPENAI_NOW)
    assert error.retry_after == retry_after
    decision = openai_policy().decide(error, attempt=1)
    if delay == NO_RETRY:
        assert (decision.retry, decision.reason) == (False, "server_delay_too_long")
    else:
        assert decision.retry
        assert decision.delay == pytest.approx(delay)
        assert decision.delay >= peer  # never sooner than the peer would retry


@pytest.mark.parametrize(("attempt", "delay"), [(2, 1.0), (3, 2.0), (1101, 8.0)])
def test_openai_backoff_series(attempt: int, delay: float) -> None:
    # remaining_retries 2 and 1 of 3 are attempts 2 and 3; -1100 must not overflow.
    assert openai_policy().backoff(attempt) == delay


def test_anthropic_sixty_second_ceiling() -> None:
    # anthropic-sdk-python tests/test_client.py: the same table with a 60 s ceiling, where "61"
    # falls back to backoff. Our default ceiling is the same 60 s, and above it: no retry now.
    assert ae.RetryPolicy().max_server_delay == 60.0
    for value in ("61", "Fri, 29 Sep 2023 16:27:38 GMT"):
        decision = ae.RetryPolicy().decide(
            err(429, {"retry-after": value}, now=OPENAI_NOW), attempt=1
        )
        assert (decision.retry, decision.reason) == (False, "server_delay_too_long")


@pytest.mark.parametrize(
    ("headers", "retry"),
    [
        ({"retry-after": "120"}, True),
        ({"retry-after": "121"}, False),
        ({"retry-after-ms": "120000"}, True),
        ({"retry-after-ms": "120001"}, False),
        ({"retry-after": "Fri, 29 Sep 2023 16:28:37 GMT"}, True),
        ({"retry-after": "Fri, 29 Sep 2023 16:28:38 GMT"}, False),
    ],
)
def test_openai_retry_after_max_delay(headers: dict[str, str], retry: bool) -> None:
    decision = openai_policy().decide(err(429, headers, now=OPENAI_NOW), attempt=1)
    assert decision.retry is retry


@pytest.mark.parametrize(
    ("headers", "expected", "source"),
    [
        ({"retry-after-ms": "1500", "retry-after": "5"}, 1.5, "header:retry-after-ms"),
        ({"retry-after-ms": "soon", "retry-after": "5"}, 5.0, "header:retry-after"),
        ({"retry-after-ms": "-1", "retry-after": "5"}, 5.0, "header:retry-after"),
        ({"retry-after-ms": "250"}, 0.25, "header:retry-after-ms"),
    ],
)
def test_openai_retry_after_ms_first(headers: dict[str, str], expected: float, source: str) -> None:
    error = err(429, headers, now=OPENAI_NOW)
    assert error.retry_after == expected
    assert error.details["retry_after_source"] == source


@pytest.mark.parametrize(
    ("status", "should_retry", "retry", "reason"),
    [
        (400, "true", True, BACKOFF),
        (500, "false", False, "server_says_no"),
        (429, "false", False, "server_says_no"),
        (400, None, False, "not_retryable"),
        (404, None, False, "not_retryable"),
        (408, None, True, BACKOFF),
        # The peer retries every 409 ("lock timeouts"); for us 409 is a state conflict
        # (duplicate, reused idempotency key), which a resend cannot fix. x-should-retry: true
        # still wins, so a server that means "lock timeout" can say so.
        (409, None, False, "not_retryable"),
        (409, "true", True, BACKOFF),
        (429, None, True, BACKOFF),
        (500, None, True, BACKOFF),
        (502, None, True, BACKOFF),
        (503, None, True, BACKOFF),
        (504, None, True, BACKOFF),
        (529, None, True, BACKOFF),
        # The peer retries all of 5xx; 501 is feature_not_available for us (change the request).
        (501, None, False, "feature_not_available"),
        # The peer obeys only the exact "true"/"false"; we read the verdict case-insensitively.
        (400, "TRUE", True, BACKOFF),
        (400, "maybe", False, "not_retryable"),
    ],
)
def test_openai_should_retry(
    status: int, should_retry: str | None, retry: bool, reason: str
) -> None:
    headers = {} if should_retry is None else {"x-should-retry": should_retry}
    decision = openai_policy().decide(err(status, headers, now=OPENAI_NOW), attempt=1)
    assert (decision.retry, decision.reason) == (retry, reason)


@pytest.mark.parametrize(
    ("status", "key", "retry"),
    [
        # The peer's _should_retry never looks at the method: a POST that failed with a 5xx is
        # sent again. Ours only with an idempotency key: the write may already have been done.
        (500, None, False),
        (529, None, False),
        (500, "k-1", True),
        (529, "k-1", True),
        # A throttled request was refused before it was processed: safe for any method.
        (429, None, True),
    ],
)
def test_openai_post_is_retried_only_when_safe(status: int, key: str | None, retry: bool) -> None:
    decision = openai_policy().decide(err(status), attempt=1, method="POST", idempotency_key=key)
    assert decision.retry is retry
    if not retry:
        assert decision.reason == "unsafe_method"


@pytest.mark.parametrize(
    ("status", "kind", "exc"),
    [
        (400, "invalid_request", ae.InvalidRequestError),
        (401, "authentication", ae.AuthenticationError),
        (403, "permission", ae.PermissionDeniedError),
        (404, "not_found", ae.NotFoundError),
        (409, "conflict", ae.ConflictError),
        (422, "invalid_request", ae.InvalidRequestError),
        (429, "rate_limited", ae.RateLimitedError),
        (500, "internal", ae.InternalServerError),
        # The peer has one class for every status >= 500; we tell these apart.
        (502, "unavailable", ae.UnavailableError),
        (503, "unavailable", ae.UnavailableError),
        (504, "timeout", ae.APITimeoutError),
    ],
)
def test_openai_make_status_error(status: int, kind: str, exc: type[ae.AgentAPIError]) -> None:
    error = err(status, {}, {"error": {"message": "m", "type": None, "param": None, "code": None}})
    assert error.kind == kind
    assert ae.error_class(error.kind) is exc


@pytest.mark.parametrize(
    ("code_fields", "expected"),
    [
        # Our one `code` field holds the most telling of the provider's code and type: a number
        # that only repeats the status says less than the type beside it (the peer keeps both).
        ({"code": 404}, "invalid_request_error"),
        ({"code": 0}, "invalid_request_error"),
        ({"code": "invalid_request"}, "invalid_request"),
        ({"code": ""}, "invalid_request_error"),
        ({"code": None}, "invalid_request_error"),
        ({}, "invalid_request_error"),
    ],
)
def test_openai_api_error_code(code_fields: dict[str, object], expected: str) -> None:
    body = {"message": "Example error", "type": "invalid_request_error", "param": "model"}
    error = err(400, {}, {"error": {**body, **code_fields}})
    assert (error.kind, error.code, error.param) == ("invalid_request", expected, "model")
    assert error.message == "Example error"


# =============================================================================================
# anthropic-sdk-python — src/anthropic/_client.py (_make_status_error: 413, 529) and the error
# types its API documents ({"type": "error", "error": {"type", "message"}, "request_id"}).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "error_type", "kind", "retry"),
    [
        (400, "invalid_request_error", "invalid_request", False),
        (401, "authentication_error", "authentication", False),
        (402, "billing_error", "payment_required", False),
        (403, "permission_error", "permission", False),
        (404, "not_found_error", "not_found", False),
        (413, "request_too_large", "invalid_request", False),
        (429, "rate_limit_error", "rate_limited", True),
        (500, "api_error", "internal", True),
        (504, "timeout_error", "timeout", True),
        (529, "overloaded_error", "unavailable", True),
    ],
)
def test_anthropic_error_types(status: int, error_type: str, kind: str, retry: bool) -> None:
    body = {
        "type": "error",
        "error": {"type": error_type, "message": "m"},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    }
    error = err(status, {"request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"}, body)
    assert error.kind == kind
    assert error.code == error_type
    assert error.request_id == "req_011CSHoEeqs5C35K2UUqR7Fy"
    assert exact().decide(error, attempt=1).retry is retry


# =============================================================================================
# google-api-core — google/api_core/exceptions.py (the HTTP and gRPC code of every class,
# from_http_status, from_grpc_status), tests/unit/test_exceptions.py (from_http_response,
# unknown codes, numeric gRPC codes, BadRequest field violations) and
# google/api_core/retry (if_transient_error: 500, 429, 503).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request"),  # BadRequest
        (401, "authentication"),  # Unauthorized
        (403, "permission"),  # Forbidden
        (404, "not_found"),  # NotFound
        (405, "invalid_request"),  # MethodNotAllowed
        (409, "conflict"),  # Conflict
        (411, "invalid_request"),  # LengthRequired
        (412, "conflict"),  # PreconditionFailed: the resource's state did not match
        (416, "invalid_request"),  # RequestRangeNotSatisfiable
        (429, "rate_limited"),  # TooManyRequests
        (499, "cancelled"),  # Cancelled
        (500, "internal"),  # InternalServerError
        (501, "feature_not_available"),  # MethodNotImplemented
        (502, "unavailable"),  # BadGateway
        (503, "unavailable"),  # ServiceUnavailable
        (504, "timeout"),  # GatewayTimeout
    ],
)
def test_google_from_http_status(status: int, kind: str) -> None:
    assert ae.kind_for_status(status) == kind
    assert err(status, {}, b"message").kind == kind


def test_google_from_http_status_unknown_code() -> None:
    assert ae.kind_for_status(156) == "unknown"


GOOGLE_GRPC_TABLE = [
    # (gRPC number, canonical name, the peer's HTTP code, our kind)
    (1, "CANCELLED", 499, "cancelled"),
    (2, "UNKNOWN", 500, "internal"),
    (3, "INVALID_ARGUMENT", 400, "invalid_request"),
    (4, "DEADLINE_EXCEEDED", 504, "timeout"),
    (5, "NOT_FOUND", 404, "not_found"),
    (6, "ALREADY_EXISTS", 409, "conflict"),
    (7, "PERMISSION_DENIED", 403, "permission"),
    (8, "RESOURCE_EXHAUSTED", 429, "rate_limited"),
    (9, "FAILED_PRECONDITION", 400, "invalid_request"),
    (10, "ABORTED", 409, "conflict"),
    (11, "OUT_OF_RANGE", 400, "invalid_request"),
    (12, "UNIMPLEMENTED", 501, "feature_not_available"),
    (13, "INTERNAL", 500, "internal"),
    (14, "UNAVAILABLE", 503, "unavailable"),
    (15, "DATA_LOSS", 500, "internal"),
    (16, "UNAUTHENTICATED", 401, "authentication"),
]


@pytest.mark.parametrize(("number", "name", "http", "kind"), GOOGLE_GRPC_TABLE)
def test_google_from_grpc_status(number: int, name: str, http: int, kind: str) -> None:
    wrapped = {"error": {"code": http, "message": "message", "status": name}}
    error = err(http, {}, wrapped)
    assert (error.kind, error.code, error.status, error.provider) == (
        kind,
        name,
        http,
        "google_rpc",
    )
    assert ae.kind_for_status(http) == kind  # the class's HTTP code says the same on its own


@pytest.mark.parametrize(("number", "name", "http", "kind"), GOOGLE_GRPC_TABLE)
def test_google_from_grpc_status_as_int(number: int, name: str, http: int, kind: str) -> None:
    # gRPC-gateway's bare Status carries the numeric code, like from_grpc_status(11, ...).
    bare = {"code": number, "message": "message", "details": []}
    error = err(http, {}, bare, provider="google_rpc")
    assert (error.kind, error.code) == (kind, name)
    assert error.details["grpc_code"] == number


def test_google_from_http_response_no_content() -> None:
    error = err(404, {}, b"")
    assert error.kind == "not_found"
    assert error.message  # synthesized: never empty


def test_google_from_http_response_text_content() -> None:
    error = err(404, {}, b"message")
    assert (error.kind, error.message) == ("not_found", "message")


def test_google_from_http_response_json_content() -> None:
    error = err(404, {}, {"error": {"message": "json message", "errors": ["1", "2"]}})
    assert (error.kind, error.message) == ("not_found", "json message")


def test_google_from_http_response_bad_json_content() -> None:
    error = err(404, {}, {"meep": "moop"})
    assert error.kind == "not_found"
    assert error.message


def test_google_from_http_response_json_unicode_content() -> None:
    error = err(404, {}, {"error": {"message": "\u2019 message", "errors": ["1", "2"]}})
    assert error.message == "\u2019 message"


def test_google_error_details_from_rest_response() -> None:
    status = {
        "code": 3,
        "message": "3 INVALID_ARGUMENT: One of content, or gcs_content_uri must be set.",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {
                        "field": "document.content",
                        "description": "Must have some text content to annotate.",
                    }
                ],
            }
        ],
    }
    # The peer's helper sends it with a 404; the Status's own code says INVALID_ARGUMENT.
    error = err(404, {}, {"error": status})
    assert error.provider == "google_rpc"
    assert error.param == "document.content"
    assert error.details["BadRequest"]["fieldViolations"][0]["field"] == "document.content"


def test_google_error_info_reason_says_more_than_the_status() -> None:
    # google-api-core builds InvalidArgument (a BadRequest) from the status alone; the ErrorInfo
    # reason says the key is bad, which is authentication for us (it is fixed by a new key).
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ],
        }
    }
    error = err(400, {}, body)
    assert (error.kind, error.code, error.details["status"]) == (
        "authentication",
        "API_KEY_INVALID",
        "INVALID_ARGUMENT",
    )


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (500, True),  # InternalServerError
        (429, True),  # TooManyRequests
        (503, True),  # ServiceUnavailable
        # if_transient_error leaves out 502 and 504; the kinds table retries both
        # (a gateway that could not reach the service, or timed out waiting for it).
        (502, True),
        (504, True),
        (400, False),
        (404, False),
    ],
)
def test_google_if_transient_error(status: int, retry: bool) -> None:
    assert exact().decide(err(status), attempt=1).retry is retry


def test_google_retry_info_delay() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Resource exhausted. Please try again later.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"}],
        }
    }
    error = err(429, {}, body)
    assert (error.kind, error.retry_after) == ("rate_limited", 22.0)
    assert error.details["retry_after_source"] == "body:RetryInfo.retryDelay"


# =============================================================================================
# LiteLLM — tests/test_litellm/litellm_core_utils/test_exception_mapping_utils.py (context
# window strings, content policy strings, rate-limit strings, Vertex "Resource exhausted",
# the OCI status table) and the proxy's budget and throttling errors (type budget_exceeded,
# throttling_error, key_model_access_denied).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request"),
        (401, "authentication"),
        (404, "not_found"),
        (409, "conflict"),
        (429, "rate_limited"),
        (500, "internal"),
        (502, "unavailable"),
        (503, "unavailable"),
        (504, "timeout"),
    ],
)
def test_litellm_status_table(status: int, kind: str) -> None:
    assert err(status, {}, {"message": "Some provider error"}).kind == kind


@pytest.mark.parametrize(
    "message",
    [
        "An error occurred: The input exceeds the model's maximum context limit of 8192 tokens.",
        "Some text before, this model's maximum context length is 4096 tokens. Some text after.",
        "Validation Error: string too long. expected a string with maximum length 1000.",
        "Your prompt is longer than the model's context length of 2048.",
        "AWS Bedrock Error: The request payload size has exceed context limit.",
        (
            "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in "
            "509178 tokens. Please reduce the length of the messages."
        ),
        "ERROR: THIS MODEL'S MAXIMUM CONTEXT LENGTH IS 1024.",
    ],
)
def test_litellm_context_window_exceeded(message: str) -> None:
    # LiteLLM's ContextWindowExceededError is a BadRequestError: for us invalid_request, never
    # retried. We read the kind from the status and code, not from the wording.
    error = err(400, {}, {"error": {"message": message, "type": "invalid_request_error"}})
    assert error.kind == "invalid_request"
    assert not exact().decide(error, attempt=1).retry


def test_litellm_context_length_code() -> None:
    body = {"error": {"message": "too long", "code": "context_length_exceeded"}}
    assert err(400, {}, body).kind == "invalid_request"


@pytest.mark.parametrize(
    "message",
    [
        "invalid_request_error content_policy_violation occurred",
        (
            "The response was filtered due to the prompt triggering Azure OpenAI's content "
            "management policy"
        ),
        "Your task failed as a result of our safety system detecting harmful content",
        "Request blocked due to content_filter_policy restrictions",
    ],
)
def test_litellm_content_policy_violation(message: str) -> None:
    # ContentPolicyViolationError is a BadRequestError too: the request must change.
    body = {"error": {"message": message, "code": "content_filter"}}
    assert err(400, {}, body).kind == "invalid_request"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        # Vertex's own shape: RESOURCE_EXHAUSTED is a rate limit for the peer and for us.
        (
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Quota exceeded for model",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            "rate_limited",
        ),
        (
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Resource exhausted. Please try again later.",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            "rate_limited",
        ),
        (
            429,
            "429 Unable to submit request because the service is temporarily out of capacity.",
            "rate_limited",
        ),
        # A quota with a time window is a rate limit: waiting for the next minute helps.
        (
            429,
            {
                "error": {
                    "message": "Quota exceeded for aiplatform.googleapis.com/"
                    "generate_content_requests_per_minute_per_project_per_base_model",
                    "code": 429,
                }
            },
            "rate_limited",
        ),
        # The peer maps "You exceeded your current quota" to RateLimitError; for us an exhausted
        # quota is payment_required (PROVIDERS.md): waiting will not bring credit back.
        (
            429,
            {
                "error": {
                    "message": "You exceeded your current quota, please check your plan and "
                    "billing details.",
                    "type": "insufficient_quota",
                    "param": None,
                    "code": "insufficient_quota",
                }
            },
            "payment_required",
        ),
    ],
)
def test_litellm_rate_limit_mapping(status: int, body: dict[str, Any] | str, kind: str) -> None:
    assert err(status, {}, body).kind == kind


@pytest.mark.parametrize("status", [400, 429])
def test_litellm_proxy_budget_exceeded(status: int) -> None:
    body = {
        "error": {
            "message": "Budget has been exceeded! Team=c376eb0e Current cost: 2.0, Max budget: 1.0",
            "type": "budget_exceeded",
            "param": None,
            "code": str(status),
        }
    }
    error = err(status, {}, body)
    assert (error.kind, error.code) == ("payment_required", "budget_exceeded")
    assert (exact().decide(error, attempt=1).reason) == "not_retryable"


def test_litellm_proxy_throttling_error() -> None:
    body = {
        "error": {
            "message": "Rate limit exceeded for api_key: f115. Limit type: tokens. Current limit: "
            "100000, Remaining: 100000. Limit resets at: 2026-09-22 19:15:54 UTC",
            "type": "throttling_error",
            "param": None,
            "code": "429",
        }
    }
    error = err(429, {}, body)
    assert (error.kind, error.code) == ("rate_limited", "throttling_error")


def test_litellm_proxy_model_access_denied() -> None:
    body = {
        "error": {
            "message": "key not allowed to access model. This key can only access "
            "models=['support']. Tried to access other",
            "type": "key_model_access_denied",
            "param": "model",
            "code": "403",
        }
    }
    error = err(403, {}, body)
    assert (error.kind, error.code, error.param) == (
        "permission",
        "key_model_access_denied",
        "model",
    )


# LiteLLM — tests/test_litellm/litellm_core_utils/test_exceptions.py: the provider error map,
# Fireworks' rate limit behind a 400, and the waits named in Azure's and the router's messages.


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request"),
        (401, "authentication"),
        (404, "not_found"),
        (408, "timeout"),
        (429, "rate_limited"),
        (500, "internal"),
        (503, "unavailable"),
    ],
)
def test_litellm_provider_error_map(status: int, kind: str) -> None:
    assert err(status, {}, b"This is an error message").kind == kind


def test_litellm_fireworks_rate_limit_text_behind_a_400() -> None:
    body = {
        "error": {
            "object": "error",
            "type": "invalid_request_error",
            "message": "rate limit exceeded, please try again later",
        }
    }
    # The peer reads the words and raises RateLimitError; for us a structured code is never
    # overridden by the message (DESIGN, adapters), so this stays invalid_request.
    assert err(400, {}, body).kind == "invalid_request"
    generic = {"error": {"type": "invalid_request_error", "message": "Invalid parameter value"}}
    assert err(400, {}, generic).kind == "invalid_request"


@pytest.mark.parametrize(
    ("headers", "body", "wait", "source"),
    [
        (
            {},
            {
                "error": {
                    "code": "429",
                    "message": "Requests to the Embeddings_Create Operation under Azure OpenAI API "
                    "version 2023-09-01-preview have exceeded call rate limit of your current "
                    "OpenAI S0 pricing tier. Please retry after 9 seconds. Please go here: "
                    "https://aka.ms/oai/quotaincrease if you would like to further increase the "
                    "default rate limit.",
                }
            },
            9.0,
            "message",
        ),
        (
            {},
            {
                "error": {
                    "message": "No deployments available for selected model, Try again in 60 "
                    "seconds. Passed model=text-embedding-ada-002."
                }
            },
            60.0,
            "message",
        ),
        (
            {"date": "Sat, 21 Sep 2024 22:56:53 GMT", "retry-after": "30"},
            {"detail": "Rate Limit Error!"},
            30.0,
            "header:retry-after",
        ),
    ],
)
def test_litellm_waits_named_by_the_server(
    headers: dict[str, str], body: dict[str, Any], wait: float, source: str
) -> None:
    error = err(429, headers, body)
    assert (error.kind, error.retry_after) == ("rate_limited", wait)
    assert error.details["retry_after_source"] == source


# LiteLLM — tests/test_litellm/litellm_core_utils/test_error_normalization.py: variants of one
# failure share one cluster. The proxy's errors are {"error": {message, type, param, code}} with
# the status as a string code; each cluster must land on one kind here too.
LITELLM_CLUSTERS = [
    # (status, proxy type, message, the peer's cluster, our kind)
    (
        429,
        "rate_limit_error",
        "Rate limit exceeded for team X. Reset at 10:01",
        "429_RATE_LIMIT_EXCEEDED",
        "rate_limited",
    ),
    (
        400,
        "budget_exceeded",
        "User=abc, Current cost=1000.03, Max budget=1000",
        "429_BUDGET_EXCEEDED",
        "payment_required",
    ),
    (401, "expired_key", "Token Expired", "401_AUTHENTICATION_FAILED", "authentication"),
    (400, "expired_key", "Token Expired", "401_AUTHENTICATION_FAILED", "authentication"),
    (401, "auth_error", "Malformed API Key", "401_AUTHENTICATION_FAILED", "authentication"),
    (
        401,
        "token_not_found_in_db",
        "Invalid proxy server token passed.",
        "401_AUTHENTICATION_FAILED",
        "authentication",
    ),
    (
        401,
        "team_model_access_denied",
        "No team has access to gpt-5.5-mini",
        "403_MODEL_ACCESS_DENIED",
        "permission",
    ),
    (
        401,
        "key_model_access_denied",
        "key not allowed to access claude",
        "403_MODEL_ACCESS_DENIED",
        "permission",
    ),
    (403, "user_model_access_denied", "denied", "403_MODEL_ACCESS_DENIED", "permission"),
    (403, "org_model_access_denied", "denied", "403_MODEL_ACCESS_DENIED", "permission"),
    (
        400,
        "bad_request_error",
        "Missing required parameter: messages",
        "400_MISSING_REQUIRED_PARAMETER",
        "invalid_request",
    ),
    (
        404,
        "not_found_error",
        "No vector store found with id abc",
        "404_RESOURCE_NOT_FOUND",
        "not_found",
    ),
    (
        500,
        "internal_server_error",
        "No fallback model group found for gpt-5.6",
        "500_ROUTER_NO_FALLBACK",
        "internal",
    ),
    # The type names a server failure and wins over the status; both kinds are retried.
    (
        503,
        "internal_server_error",
        "503: Upstream passthrough request failed",
        "500_UPSTREAM_PASSTHROUGH",
        "internal",
    ),
    (529, None, "Overloaded", "503_PROVIDER_OVERLOADED", "unavailable"),
    (504, None, "Request timed out", "408_UPSTREAM_TIMEOUT", "timeout"),
]


@pytest.mark.parametrize(("status", "error_type", "message", "cluster", "kind"), LITELLM_CLUSTERS)
def test_litellm_error_normalization_clusters(
    status: int, error_type: str | None, message: str, cluster: str, kind: str
) -> None:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": str(status)}}
    error = err(status, {}, body)
    assert error.kind == kind, cluster
    assert error.code == (error_type or str(status))  # the type, not the status repeated


# =============================================================================================
# RFC 9457 (and RFC 7807 before it) — the examples of sections 3 and 3.1 of the RFCs.
# =============================================================================================

PROBLEM = {"content-type": "application/problem+json", "content-language": "en"}


def test_rfc9457_out_of_credit() -> None:
    body = {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc",
        "balance": 30,
        "accounts": ["/account/12345", "/account/67890"],
    }
    error = err(403, PROBLEM, body)
    assert (error.provider, error.kind, error.status) == (
        "problem_details",
        "payment_required",
        403,
    )
    assert error.message == "Your current balance is 30, but that costs 50."
    assert error.code == "https://example.com/probs/out-of-credit"
    assert error.details["balance"] == 30
    assert error.details["accounts"] == ["/account/12345", "/account/67890"]
    assert error.details["instance"] == "/account/12345/msgs/abc"
    assert not exact().decide(error, attempt=1).retry


def test_rfc9457_validation_errors_with_pointers() -> None:
    body = {
        "type": "https://example.net/validation-error",
        "title": "Your request is not valid.",
        "errors": [
            {"detail": "must be a positive integer", "pointer": "#/age"},
            {"detail": "must be 'green', 'red' or 'blue'", "pointer": "#/profile/color"},
        ],
    }
    error = err(422, {"content-type": "application/problem+json"}, body)
    assert (error.kind, error.param) == ("invalid_request", "age")
    assert error.message == "Your request is not valid."
    assert len(error.details["errors"]) == 2


def test_rfc7807_invalid_params() -> None:
    body = {
        "type": "https://example.net/validation-error",
        "title": "Your request parameters didn't validate.",
        "invalid-params": [
            {"name": "age", "reason": "must be a positive integer"},
            {"name": "color", "reason": "must be 'green', 'red' or 'blue'"},
        ],
    }
    error = err(400, {"content-type": "application/problem+json"}, body)
    assert (error.kind, error.param) == ("invalid_request", "age")


@pytest.mark.parametrize(
    ("status", "kind"), [(404, "not_found"), (429, "rate_limited"), (503, "unavailable")]
)
def test_rfc9457_about_blank_takes_its_meaning_from_the_status(status: int, kind: str) -> None:
    body = {"type": "about:blank", "title": "Some title", "status": status}
    error = err(status, {"content-type": "application/problem+json", "retry-after": "7"}, body)
    assert (error.provider, error.kind, error.code) == ("problem_details", kind, None)
    assert error.retry_after == 7.0


def test_rfc9457_status_member_in_a_stream_event() -> None:
    # Without an HTTP status (an event from a stream), the document's `status` member decides.
    body = {"type": "about:blank", "title": "Service Unavailable", "status": 503}
    error = err(None, {"content-type": "application/problem+json"}, body)
    assert (error.kind, error.status) == ("unavailable", 503)


def test_rfc9457_render_round_trip() -> None:
    body = {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc",
        "balance": 30,
    }
    error = err(403, PROBLEM, body)
    rendered = ae.render(error, to="problem+json")
    assert rendered.status == 403
    doc = json.loads(rendered.body)
    for member in ("type", "title", "detail", "instance"):
        assert doc[member] == body[member]
    assert ae.normalize_parts(rendered.status, rendered.headers, rendered.body) == error


# The same rules end to end, as openai-python's test_does_not_retry_retry_after_above_max and
# test_invalid_retry_after_date_does_not_mask_status_error drive its client.


def _drive(policy: ae.RetryPolicy, *responses: httpx.Response) -> tuple[int, int, list[float]]:
    """(final status, requests sent, sleeps) for a GET answered by `responses` in turn."""
    sent: list[httpx.Request] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return responses[min(len(sent), len(responses)) - 1]

    transport = ae.RetryTransport(httpx.MockTransport(handler), policy=policy, sleep=sleeps.append)
    with httpx.Client(transport=transport) as client:
        status = client.get("https://api.example.com/foo").status_code
    return status, len(sent), sleeps


def test_openai_transport_does_not_retry_retry_after_above_max() -> None:
    first = httpx.Response(429, headers={"retry-after": "121"}, json={"error": {}})
    assert _drive(openai_policy(), first) == (429, 1, [])


def test_openai_transport_waits_what_the_server_asked() -> None:
    first = httpx.Response(429, headers={"retry-after": "20"}, json={"error": {}})
    assert _drive(openai_policy(), first, httpx.Response(200)) == (200, 2, [20.0])


def test_openai_transport_invalid_retry_after_date_does_not_mask_the_error() -> None:
    first = httpx.Response(
        400, headers={"retry-after": "Fri, 29 Sep 100000 16:26:57 GMT"}, json={"error": {}}
    )
    assert _drive(openai_policy(), first) == (400, 1, [])


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [
        ("rate_limited", 429, "Too Many Requests"),
        ("not_found", 404, "Not Found"),
        ("unavailable", 503, "Service Unavailable"),
    ],
)
def test_rfc9457_about_blank_title_is_the_status_phrase(kind: str, status: int, title: str) -> None:
    # RFC 9457 4.2.1: with "about:blank", the title should be the status's reason phrase.
    rendered = ae.render(ae.CanonicalError(kind=ae.Kind(kind), message="m"), to="problem+json")
    doc = json.loads(rendered.body)
    assert rendered.status == doc["status"] == status
    assert (doc["type"], doc["title"], doc["detail"]) == ("about:blank", title, "m")
    assert rendered.content_type == "application/problem+json"


# =============================================================================================
# botocore @ 0e6e2404 — botocore/retries/standard.py
# (ThrottledRetryableChecker._THROTTLED_ERROR_CODES,
# TransientRetryableChecker: RequestTimeout, RequestTimeoutException, PriorRequestNotComplete,
# statuses 500/502/503/504; ExponentialBackoff: rand() * min(2 ** (attempt - 1), 20),
# x-amz-retry-after in ms; DEFAULT_MAX_ATTEMPTS = 3; RetryQuotaChecker prices throttles below
# other failures) and botocore/data/_retry.json (legacy mode: 509, IDPCommunicationError,
# TooManyRequestsException). The adaptive mode adds client-side rate limiting on top of the
# same checkers: the same codes retry.
# =============================================================================================

BOTOCORE_RETRIED = [
    # (service code, the status the service sends it with, kind)
    ("Throttling", 400, ae.Kind.RATE_LIMITED),
    ("ThrottlingException", 400, ae.Kind.RATE_LIMITED),
    ("ThrottledException", 400, ae.Kind.RATE_LIMITED),
    ("RequestThrottledException", 400, ae.Kind.RATE_LIMITED),
    ("TooManyRequestsException", 400, ae.Kind.RATE_LIMITED),
    ("ProvisionedThroughputExceededException", 400, ae.Kind.RATE_LIMITED),
    ("TransactionInProgressException", 400, ae.Kind.RATE_LIMITED),
    ("RequestLimitExceeded", 503, ae.Kind.RATE_LIMITED),
    ("BandwidthLimitExceeded", 509, ae.Kind.RATE_LIMITED),
    ("LimitExceededException", 400, ae.Kind.RATE_LIMITED),
    ("RequestThrottled", 403, ae.Kind.RATE_LIMITED),
    ("SlowDown", 503, ae.Kind.RATE_LIMITED),
    ("PriorRequestNotComplete", 400, ae.Kind.RATE_LIMITED),
    ("EC2ThrottledException", 503, ae.Kind.RATE_LIMITED),
    ("RequestTimeout", 400, ae.Kind.TIMEOUT),
    ("RequestTimeoutException", 408, ae.Kind.TIMEOUT),
    ("IDPCommunicationError", 400, ae.Kind.UNAVAILABLE),
]


@pytest.mark.parametrize(("code", "status", "kind"), BOTOCORE_RETRIED)
def test_botocore_retried_codes(code: str, status: int, kind: ae.Kind) -> None:
    error = err(status, {"x-amzn-ErrorType": code}, {"message": "m"})
    assert (error.kind, error.code) == (kind, code)
    assert exact().decide(error, attempt=1).retry
    budget = ae.RetryBudget()
    throttle = kind is ae.Kind.RATE_LIMITED
    assert budget.cost(error) == (budget.throttle_cost if throttle else budget.failure_cost)


@pytest.mark.parametrize(
    ("status", "retry"),
    [(500, True), (502, True), (503, True), (504, True), (501, False), (505, False)],
)
def test_botocore_transient_statuses(status: int, retry: bool) -> None:
    # 501 is feature_not_available and 505 never clears: botocore retries neither.
    assert exact().decide(err(status, {}, b""), attempt=1).retry is retry


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("AccessDeniedException", 403),
        ("ResourceNotFoundException", 404),
    ],
)
def test_botocore_not_retried(code: str, status: int) -> None:
    error = err(status, {"x-amzn-ErrorType": code}, {"message": "m"})
    assert exact().decide(error, attempt=1).reason == "not_retryable"


def test_botocore_standard_backoff_and_attempts() -> None:
    aws = ae.RetryPolicy.for_provider("aws")
    # rand() * min(2 ** (attempt - 1), 20): with rand() at its top, the cap shows.
    top = attrs.evolve(aws, random=lambda: 0.999_999, budget=None)
    delays = [round(top.backoff(n), 3) for n in (1, 2, 3, 5, 6, 9)]
    assert delays == [1.0, 2.0, 4.0, 16.0, 20.0, 20.0]
    throttle = err(400, {"x-amzn-ErrorType": "ThrottlingException"}, {"message": "m"})
    # DEFAULT_MAX_ATTEMPTS = 3: two retries.
    assert [aws.decide(throttle, attempt=n).reason for n in (1, 2, 3)][-1] == "max_retries"


def test_botocore_x_amz_retry_after() -> None:
    # ExponentialBackoff._get_retry_after_delay: int(value) / 1000; negative or junk ignored.
    assert err(503, {"x-amz-retry-after": "1500"}).retry_after == 1.5
    assert err(503, {"x-amz-retry-after": "-1"}).retry_after is None
    assert err(503, {"x-amz-retry-after": "abc"}).retry_after is None
    # Deliberate difference: botocore waits at most 5 s past its own backoff; the server's full
    # wait is kept here (never retry earlier than the server asked).
    decision = exact().decide(err(503, {"x-amz-retry-after": "9000"}), attempt=1)
    assert (decision.delay, decision.reason) == (9.0, "server_delay")


# =============================================================================================
# azure-core @ 019edeff — azure/core/pipeline/policies/_retry.py (RetryPolicyBase: _SAFE_CODES =
# range(506) - {408, 429, 500, 502, 503, 504}, so 501 and 505 are not retried; retry_total 10,
# backoff_factor 0.8, BACKOFF_MAX 120; _method_whitelist HEAD/GET/PUT/DELETE/OPTIONS/TRACE) and
# policies/_utils.py get_retry_after (Retry-After, retry-after-ms, x-ms-retry-after-ms).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (501, False),
        (505, False),
        (400, False),
        (404, False),
        (409, False),
    ],
)
def test_azure_core_retry_statuses(status: int, retry: bool) -> None:
    assert exact().decide(err(status, {}, b""), attempt=1).retry is retry


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "3500"}, 3.5),
        ({"x-ms-retry-after-ms": "3500"}, 3.5),
        # Deliberate difference: azure-core reads Retry-After first; DESIGN puts the millisecond
        # headers first (they are the finer of two values the same server sent).
        ({"retry-after": "4", "x-ms-retry-after-ms": "3500"}, 3.5),
    ],
)
def test_azure_core_retry_after_headers(headers: dict[str, str], seconds: float) -> None:
    assert err(429, headers).retry_after == seconds


@pytest.mark.parametrize(("method", "retry"), [("GET", True), ("PUT", True), ("POST", False)])
def test_azure_core_methods(method: str, retry: bool) -> None:
    # Deliberate difference: azure-core re-sends POST/PATCH on 500/503/504; without an
    # idempotency key a write may already have been processed, so it is not re-sent here.
    assert exact().decide(err(503, {}, b""), attempt=1, method=method).retry is retry


def test_azure_core_retry_after_on_a_400_does_not_make_it_retryable() -> None:
    # Deliberate difference: azure-core retries any status >= 400 that carries Retry-After; a
    # 400 is wrong whenever it is sent again, so it is not.
    assert exact().decide(err(400, {"retry-after": "1"}, b""), attempt=1).reason == "not_retryable"


# =============================================================================================
# stripe-python @ 6c6e3736 — stripe/_http_client.py (HTTPClient._should_retry: Stripe-Should-Retry
# "false"/"true" first, then 409 and every status >= 500; nothing else, 429 included;
# _sleep_time_seconds: 0.5 * 2 ** (n - 1) capped at 5, jittered into [d/2, d], never < 0.5).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "header", "retry"),
    [
        (500, None, True),
        (503, None, True),
        (500, "false", False),
        (400, "true", True),
        (402, "true", True),  # Stripe's own word wins over the kind
        # Deliberate difference: Stripe retries a bare 409; a conflict is a state, not a moment.
        (409, None, False),
        # Deliberate difference: Stripe does not retry 429 without its header; a rate limit clears.
        (429, None, True),
    ],
)
def test_stripe_should_retry(status: int, header: str | None, retry: bool) -> None:
    headers = {} if header is None else {"Stripe-Should-Retry": header}
    body = {"error": {"type": "api_error", "message": "m"}}
    assert exact().decide(err(status, headers, body), attempt=1).retry is retry


# =============================================================================================
# AIP-194 (google.aip.dev/194) — retry UNAVAILABLE; never CANCELLED, DEADLINE_EXCEEDED,
# INVALID_ARGUMENT, DATA_LOSS; generally not RESOURCE_EXHAUSTED (quota), INTERNAL, UNKNOWN.
# =============================================================================================


@pytest.mark.parametrize(
    ("name", "http", "retry"),
    [
        ("UNAVAILABLE", 503, True),
        ("CANCELLED", 499, False),
        ("INVALID_ARGUMENT", 400, False),
        ("DATA_LOSS", 500, False),
        ("UNKNOWN", 500, False),
        ("NOT_FOUND", 404, False),
        ("PERMISSION_DENIED", 403, False),
        # Deliberate difference: the deadline AIP-194 means is the caller's own; a gateway's
        # 504 DEADLINE_EXCEEDED is a server-side timeout and clears like one.
        ("DEADLINE_EXCEEDED", 504, True),
        # Deliberate difference: INTERNAL is a 500, transient by DESIGN's kinds table.
        ("INTERNAL", 500, True),
        # RESOURCE_EXHAUSTED is a rate limit unless its quota is daily (payment_required).
        ("RESOURCE_EXHAUSTED", 429, True),
    ],
)
def test_aip_194(name: str, http: int, retry: bool) -> None:
    body = {"error": {"code": http, "message": "m", "status": name}}
    error = err(http, {"content-type": "application/json"}, body)
    assert exact().decide(error, attempt=1).retry is retry


# =============================================================================================
# Envoy — router filter docs, x-envoy-retry-on: 5xx (any 5xx, or no response: reset, connect
# failure), gateway-error (502/503/504), reset, connect-failure, retriable-4xx (409 only),
# envoy-ratelimited (retry when x-envoy-ratelimited is present; without it Envoy never retries
# a response that carries the header).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "headers", "retry", "why"),
    [
        (502, {}, True, "gateway-error"),
        (503, {}, True, "gateway-error"),
        (504, {}, True, "gateway-error"),
        (500, {}, True, "5xx"),
        # Deliberate differences from 5xx: 501 needs a changed request, 505 never clears.
        (501, {}, False, "5xx"),
        (505, {}, False, "5xx"),
        # Deliberate difference: retriable-4xx re-sends 409; a conflict is a state.
        (409, {}, False, "retriable-4xx"),
        # envoy-ratelimited: a throttle, retried (after its wait) at the throttle price.
        (503, {"x-envoy-ratelimited": "true"}, True, "envoy-ratelimited"),
        (429, {"x-envoy-ratelimited": "true"}, True, "envoy-ratelimited"),
    ],
)
def test_envoy_retry_on(status: int, headers: dict[str, str], retry: bool, why: str) -> None:
    error = err(status, headers, b"")
    assert exact().decide(error, attempt=1).retry is retry, why
    if "x-envoy-ratelimited" in headers:
        assert error.kind is ae.Kind.RATE_LIMITED


@pytest.mark.parametrize(
    ("method", "sent", "retry"), [("POST", False, True), ("POST", True, False)]
)
def test_envoy_reset_and_connect_failure(method: str, sent: bool, retry: bool) -> None:
    # connect-failure (never sent) is safe for any method; a reset after sending a write is not.
    error = ae.CanonicalError(ae.Kind.NETWORK, "reset", details={"request_sent": sent})
    assert exact().decide(error, attempt=1, method=method).retry is retry


# =============================================================================================
# httpx-retries @ 67c97253 — httpx_retries/retry.py
# (Retry: total=10, backoff_factor=0, status_forcelist
# 429/502/503/504, RETRYABLE_METHODS HEAD/GET/PUT/DELETE/OPTIONS/TRACE, max_backoff_wait=120,
# Retry-After respected but cut to max_backoff_wait).
# =============================================================================================


@pytest.mark.parametrize(
    ("status", "retry"), [(429, True), (502, True), (503, True), (504, True), (500, True)]
)
def test_httpx_retries_status_forcelist(status: int, retry: bool) -> None:
    # 500 is retried here too (DESIGN: internal is transient); httpx-retries leaves it out.
    assert exact().decide(err(status, {}, b""), attempt=1).retry is retry


@pytest.mark.parametrize(
    ("method", "retry"),
    [
        ("HEAD", True),
        ("GET", True),
        ("PUT", True),
        ("DELETE", True),
        ("OPTIONS", True),
        ("TRACE", True),
        ("POST", False),
        ("PATCH", False),
    ],
)
def test_httpx_retries_methods(method: str, retry: bool) -> None:
    assert exact().decide(err(503, {}, b""), attempt=1, method=method).retry is retry


def test_httpx_retries_long_retry_after() -> None:
    # Deliberate difference: httpx-retries sleeps min(Retry-After, 120); a shorter wait than the
    # server asked is never taken here: above the ceiling the answer is "not now".
    decision = exact(max_server_delay=120.0).decide(err(429, {"retry-after": "300"}), attempt=1)
    assert (decision.retry, decision.reason, decision.retry_after) == (
        False,
        "server_delay_too_long",
        300.0,
    )


# =============================================================================================
# stamina @ 87ccfa48 — src/stamina/_core.py
# (retry_context defaults: attempts=10, timeout=45, wait_initial
# 0.1, wait_max 5, wait_jitter 1, wait_exp_base 2; _compute_backoff clamps after jitter:
# min(wait_max, initial * base ** (n - 1) + uniform(0, jitter))).
# =============================================================================================


def test_stamina_backoff_is_clamped_after_jitter() -> None:
    # stamina's schedule, expressed as a policy: the clamp holds after jitter for every mode.
    for jitter in ae.Jitter:
        policy = ae.RetryPolicy(
            initial_delay=0.1, max_delay=5.0, jitter=jitter, random=lambda: 0.999_999
        )
        assert all(policy.backoff(n) <= 5.0 for n in range(1, 12))


def test_stamina_timeout_is_a_deadline() -> None:
    policy = exact(deadline=45.0, max_retries=10)
    error = err(503, {}, b"")
    assert policy.decide(error, attempt=3, elapsed=44.0).reason == "deadline"
    assert policy.decide(error, attempt=3, elapsed=10.0).retry
