"""Retry rules that trusted clients encode (issue 11, items 8-12), from their real instances.

Each case names where its response or rule comes from: the peer SDK source (botocore,
azure-core, stripe-python, openai-python), the provider's documentation, or AIP-194.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors._parsing._hints import SECONDARY_RATE_LIMIT_WAIT

NOW = 1_764_806_400.0  # 2025-12-04 00:00:00 UTC, written into every response's Date header


def err(
    status: int | None,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | dict[str, Any] | None = b"",
    *,
    provider: str | None = None,
) -> ae.CanonicalError:
    hdrs = {"date": formatdate(NOW, usegmt=True), **(headers or {})}
    raw = json.dumps(body) if isinstance(body, dict) else body
    error = ae.normalize_parts(status, hdrs, raw, provider=provider)
    assert error is not None
    return error


def exact(**overrides: Any) -> ae.RetryPolicy:
    return ae.RetryPolicy(jitter="none", budget=None, **overrides)


# --- 8. Vendor delay and verdict headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds", "source"),
    [
        # azure-core policies/_utils.py get_retry_after: retry-after-ms, x-ms-retry-after-ms.
        ({"x-ms-retry-after-ms": "1500"}, 1.5, "header:x-ms-retry-after-ms"),
        ({"retry-after-ms": "250"}, 0.25, "header:retry-after-ms"),
        # botocore retries/standard.py ExponentialBackoff: x-amz-retry-after, in milliseconds.
        ({"x-amz-retry-after": "3000"}, 3.0, "header:x-amz-retry-after"),
        # A millisecond header is finer than Retry-After's whole seconds: it wins (DESIGN).
        ({"x-ms-retry-after-ms": "1500", "retry-after": "2"}, 1.5, "header:x-ms-retry-after-ms"),
        ({"x-amz-retry-after": "800", "retry-after": "1"}, 0.8, "header:x-amz-retry-after"),
        # An unusable value is no hint: the next source is read (botocore logs and ignores it).
        ({"x-amz-retry-after": "-5", "retry-after": "4"}, 4.0, "header:retry-after"),
        ({"x-ms-retry-after-ms": "soon", "retry-after": "4"}, 4.0, "header:retry-after"),
        ({"x-amz-retry-after": "1e400"}, None, None),
        ({"x-ms-retry-after-ms": "3s"}, None, None),  # not a bare number of milliseconds
    ],
)
def test_millisecond_delay_headers(
    headers: dict[str, str], seconds: float | None, source: str | None
) -> None:
    error = err(429, headers)
    assert error.retry_after == seconds
    assert error.details.get("retry_after_source") == source


def test_azure_cosmos_throttle_waits_the_milliseconds_it_names() -> None:
    # Azure Cosmos DB's documented 429 ("Request rate is large"), x-ms-retry-after-ms in ms.
    error = err(
        429,
        {"x-ms-retry-after-ms": "4960", "x-ms-activity-id": "a1b2", "x-ms-substatus": "3200"},
        {"code": "TooManyRequests", "message": 'Message: {"Errors":["Request rate is large."]}'},
    )
    assert error.kind is ae.Kind.RATE_LIMITED
    decision = exact().decide(error, attempt=1)
    assert (decision.retry, decision.delay, decision.reason) == (True, 4.96, "server_delay")


@pytest.mark.parametrize(
    ("value", "verdict", "reason"),
    [
        # stripe-python _http_client.py _should_retry: "false" never, "true" always.
        ("false", False, "server_says_no"),
        ("true", True, "backoff"),
        ("TRUE", True, "backoff"),
        ("maybe", None, "not_retryable"),
    ],
)
def test_stripe_should_retry(value: str, verdict: bool | None, reason: str) -> None:
    # A 400 lock_timeout is where Stripe sends `Stripe-Should-Retry: true` (its docs, "Errors").
    error = err(
        400,
        {"Stripe-Should-Retry": value, "request-id": "req_5yKGZ"},
        {"error": {"type": "invalid_request_error", "code": "lock_timeout", "message": "x"}},
    )
    assert error.details.get("should_retry") is verdict
    assert error.request_id == "req_5yKGZ"
    decision = exact().decide(error, attempt=1)
    assert decision.reason == reason


def test_stripe_should_retry_false_stops_a_500() -> None:
    error = err(500, {"stripe-should-retry": "false"}, {"error": {"type": "api_error"}})
    assert exact().decide(error, attempt=1).reason == "server_says_no"


def test_x_should_retry_is_read_before_stripes() -> None:
    error = err(503, {"x-should-retry": "false", "stripe-should-retry": "true"})
    assert error.details["should_retry"] is False


@pytest.mark.parametrize("status", [503, 429])
def test_envoy_ratelimited_is_a_rate_limit(status: int) -> None:
    # Envoy's router docs: the rate-limit filter marks its answer with x-envoy-ratelimited; for
    # gRPC it is UNAVAILABLE (503) unless rate_limited_as_resource_exhausted is set.
    error = err(status, {"x-envoy-ratelimited": "true", "server": "envoy"})
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.retryable
    budget = ae.RetryBudget()
    assert budget.cost(error) == budget.throttle_cost


def test_envoy_503_without_the_header_stays_an_outage() -> None:
    error = err(
        503, {"server": "envoy"}, "upstream connect error or disconnect/reset before headers"
    )
    assert error.kind is ae.Kind.UNAVAILABLE


def test_envoy_ratelimited_grpc_status_body() -> None:
    body = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "rate limited"}}
    error = err(503, {"x-envoy-ratelimited": "true", "content-type": "application/json"}, body)
    assert error.kind is ae.Kind.RATE_LIMITED


# --- 9. AWS throttling and transient codes (botocore retries/standard.py, data/_retry.json) --

BOTOCORE_THROTTLES = [
    ("Throttling", 400),
    ("ThrottlingException", 400),
    ("ThrottledException", 400),
    ("RequestThrottledException", 400),
    ("TooManyRequestsException", 400),
    ("ProvisionedThroughputExceededException", 400),
    ("TransactionInProgressException", 400),
    ("RequestLimitExceeded", 503),  # ec2
    ("BandwidthLimitExceeded", 509),  # cloudsearch
    ("LimitExceededException", 400),  # kinesis
    ("RequestThrottled", 403),  # sqs
    ("SlowDown", 503),  # s3
    ("PriorRequestNotComplete", 400),  # route53
    ("EC2ThrottledException", 503),  # ec2
]
BOTOCORE_TRANSIENT = [
    ("RequestTimeout", 400, ae.Kind.TIMEOUT),  # s3
    ("RequestTimeoutException", 408, ae.Kind.TIMEOUT),  # glacier
    ("IDPCommunicationError", 400, ae.Kind.UNAVAILABLE),  # sts
]


@pytest.mark.parametrize(("code", "status"), BOTOCORE_THROTTLES)
def test_botocore_throttles_json(code: str, status: int) -> None:
    # The JSON protocols: `__type` in the body (awsJson1_0/1_1), sometimes with a namespace.
    body = {"__type": f"com.amazonaws.service#{code}", "message": "Rate exceeded"}
    error = err(status, {"x-amzn-RequestId": "3f1c"}, body)
    assert (error.kind, error.code, error.retryable) == (ae.Kind.RATE_LIMITED, code, True)
    assert error.request_id == "3f1c"
    budget = ae.RetryBudget()
    assert budget.cost(error) == budget.throttle_cost < budget.failure_cost


@pytest.mark.parametrize(("code", "status"), BOTOCORE_THROTTLES)
def test_botocore_throttles_xml(code: str, status: int) -> None:
    # The query and REST-XML protocols (EC2, SQS, S3, Route 53).
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        "<Message>Rate exceeded</Message></Error><RequestId>7a62</RequestId></ErrorResponse>"
    )
    error = err(status, {"content-type": "text/xml"}, body)
    assert (error.kind, error.code) == (ae.Kind.RATE_LIMITED, code)
    assert exact().decide(error, attempt=1).retry


@pytest.mark.parametrize(("code", "status", "kind"), BOTOCORE_TRANSIENT)
def test_botocore_transient_codes(code: str, status: int, kind: ae.Kind) -> None:
    error = err(status, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}, b"{}")
    assert (error.kind, error.code, error.retryable) == (kind, code, True)
    budget = ae.RetryBudget()
    assert budget.cost(error) == budget.failure_cost
    assert exact().decide(error, attempt=1).retry


def test_s3_request_timeout_real_body() -> None:
    # S3's documented RequestTimeout (Error responses, "List of error codes").
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeout</Code><Message>Your '
        "socket connection to the server was not read from or written to within the timeout "
        "period.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>"
    )
    error = err(400, {"content-type": "application/xml"}, body)
    assert (error.kind, error.retryable) == (ae.Kind.TIMEOUT, True)


def test_throttle_budget_price_in_a_store() -> None:
    # 40 throttled retries cost what 10 failures cost: the default bucket holds 10 tokens.
    store = ae.MemoryStore()
    policy = ae.RetryPolicy(jitter="none")
    budget = policy.budget
    assert budget is not None
    throttle = err(400, {}, {"__type": "ThrottlingException", "message": "Rate exceeded"})
    granted = sum(
        policy.decide(throttle, attempt=1).retry and budget.withdraw(store, throttle, scope="aws")
        for _ in range(60)
    )
    assert granted == 40
    failure = err(500, {}, {"__type": "InternalFailure", "message": "x"})
    store = ae.MemoryStore()
    granted = sum(
        policy.decide(failure, attempt=1).retry and budget.withdraw(store, failure, scope="aws")
        for _ in range(60)
    )
    assert granted == 10


# --- 10. Failures that never clear -------------------------------------------------------


def test_505_is_never_retried() -> None:
    error = err(505, {}, "HTTP Version Not Supported")
    decision = exact().decide(error, attempt=1)
    assert (decision.retry, decision.reason) == (False, "not_retryable")
    # Not even when a server says otherwise: the version will not change by itself.
    forced = err(505, {"x-should-retry": "true"})
    assert exact().decide(forced, attempt=1).reason == "not_retryable"


@pytest.mark.parametrize(
    ("status_name", "http", "retry"),
    [
        # AIP-194: UNAVAILABLE is retried; DATA_LOSS must be surfaced at once; UNKNOWN not retried.
        ("UNAVAILABLE", 503, True),
        ("DATA_LOSS", 500, False),
        ("UNKNOWN", 500, False),
    ],
)
def test_aip_194_codes(status_name: str, http: int, retry: bool) -> None:
    body = {"error": {"code": http, "message": "m", "status": status_name}}
    error = err(http, {"content-type": "application/json"}, body)
    assert error.retryable is retry
    assert exact().decide(error, attempt=1).retry is retry


def test_tls_certificate_failure_is_not_retried() -> None:
    # The exception mapping marks a certificate failure retryable=False; the engine obeys it,
    # for any method, even though the request never reached the server.
    error = ae.CanonicalError(
        ae.Kind.NETWORK,
        "certificate verify failed: self-signed certificate",
        retryable=False,
        details={"request_sent": False},
    )
    for method in ("GET", "POST"):
        decision = exact().decide(error, attempt=1, method=method)
        assert (decision.retry, decision.reason) == (False, "not_retryable")
    assert exact().decide(ae.CanonicalError(ae.Kind.NETWORK, "reset"), attempt=1).retry


def test_gemini_per_day_quota_is_payment_required() -> None:
    # The Gemini API's free-tier daily quota (ai.google.dev, "Rate limits"; google-genai issue
    # threads): a RetryInfo rides along, but the next try is tomorrow.
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing "
            "details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                            "quotaDimensions": {"location": "global", "model": "gemini-2.0-flash"},
                            "quotaValue": "200",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41s"},
            ],
        }
    }
    error = err(429, {"content-type": "application/json"}, body)
    assert (error.kind, error.retryable) == (ae.Kind.PAYMENT_REQUIRED, False)
    assert exact().decide(error, attempt=1).reason == "not_retryable"


def test_gemini_per_minute_quota_stays_a_rate_limit() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"},
            ],
        }
    }
    error = err(429, {"content-type": "application/json"}, body)
    assert (error.kind, error.retry_after) == (ae.Kind.RATE_LIMITED, 12.0)


# --- 11. GitHub's secondary rate limits --------------------------------------------------

GITHUB_SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
    "try again. If you reach out to GitHub Support for help, please include the request ID "
    "C2D2:3D5E:1A2B3C:4D5E6F:65A0B1C2.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
    "status": "403",
}


@pytest.mark.parametrize("status", [403, 429])
def test_github_secondary_limit_waits_a_minute(status: int) -> None:
    # docs.github.com "Rate limits for the REST API": without retry-after, and with requests
    # remaining, "wait for at least one minute before retrying".
    error = err(status, {"x-github-request-id": "C2D2:3D5E"}, GITHUB_SECONDARY)
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.retry_after == SECONDARY_RATE_LIMIT_WAIT == 60.0
    assert error.details["retry_after_source"] == "message:secondary-rate-limit"
    decision = exact().decide(error, attempt=1)
    assert (decision.retry, decision.delay, decision.reason) == (True, 60.0, "server_delay")


def test_github_secondary_limit_with_retry_after_waits_that() -> None:
    error = err(403, {"retry-after": "37"}, GITHUB_SECONDARY)
    assert (error.retry_after, error.details["retry_after_source"]) == (37.0, "header:retry-after")


def test_github_primary_limit_waits_until_reset() -> None:
    body = {
        "message": "API rate limit exceeded for 203.0.113.7. (But here's the good news: "
        "Authenticated requests get a higher rate limit.)",
        "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api"
        "#rate-limiting",
    }
    headers = {
        "x-ratelimit-limit": "60",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(NOW) + 754),
    }
    error = err(403, headers, body)
    assert error.kind is ae.Kind.RATE_LIMITED
    assert (error.retry_after, error.details["retry_after_source"]) == (
        754.0,
        "header:x-ratelimit-reset",
    )
    # Longer than the default ceiling: not now, and the error says when.
    assert exact().decide(error, attempt=1).reason == "server_delay_too_long"


def test_secondary_limit_hint_is_message_text_so_it_locks_nobody_out() -> None:
    # DESIGN, shared cooldowns: a hint read from message text applies to that one error only.
    error = err(403, {}, GITHUB_SECONDARY)
    assert error.details["retry_after_source"].startswith("message")


# --- 12. Jitter never pushes a delay past max_delay ----------------------------------------


def test_proportional_jitter_is_capped() -> None:
    # The reported case: base 0.42 (the cap) spread up by 25 % was 0.525.
    policy = ae.RetryPolicy(
        initial_delay=0.42, max_delay=0.42, jitter="proportional", random=lambda: 0.999_999
    )
    assert policy.backoff(1) == 0.42
    assert policy.backoff(5) == 0.42
    low = ae.RetryPolicy(initial_delay=0.42, max_delay=0.42, jitter="proportional", random=float)
    assert low.backoff(1) == pytest.approx(0.315)


@given(
    jitter=st.sampled_from(list(ae.Jitter)),
    initial=st.floats(0, 100, allow_nan=False),
    multiplier=st.floats(0, 10, allow_nan=False),
    max_delay=st.floats(0, 100, allow_nan=False),
    fraction=st.floats(0, 5, allow_nan=False),
    attempt=st.integers(-3, 200),
    u=st.floats(0, 1, exclude_max=True),
)
def test_backoff_is_within_zero_and_the_cap(
    jitter: ae.Jitter,
    initial: float,
    multiplier: float,
    max_delay: float,
    fraction: float,
    attempt: int,
    u: float,
) -> None:
    policy = ae.RetryPolicy(
        initial_delay=initial,
        multiplier=multiplier,
        max_delay=max_delay,
        jitter=jitter,
        jitter_fraction=fraction,
        random=lambda: u,
    )
    assert 0.0 <= policy.backoff(attempt) <= max_delay


def test_server_delay_above_the_cap_is_still_waited_in_full() -> None:
    # The cap is on backoff: a server's own wait is never shortened to it.
    error = err(429, {"retry-after": "20"})
    policy = ae.RetryPolicy(max_delay=0.42, jitter="proportional", budget=None)
    decision = policy.decide(error, attempt=1)
    assert (decision.delay, decision.reason) == (20.0, "server_delay")
