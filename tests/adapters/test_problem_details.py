"""RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import json

from _contract import AdapterContract, normalize_rendered, pytest_generate_tests, sample_error

import agent_errors as ae

__all__ = ["TestProblemDetails", "pytest_generate_tests"]


class TestProblemDetails(AdapterContract):
    """Problem details keep every kind apart (the `kind` member), whatever the code."""

    provider = "problem_details"
    detectable = True
    every_kind = True


def test_the_shape() -> None:
    original = sample_error(ae.Kind.RATE_LIMITED, "rate_limit_error", 429, retry_after=0.2)
    rendered = ae.get_adapter("problem_details").render(original)
    assert rendered.content_type == "application/problem+json"
    assert rendered.status == 429
    assert json.loads(rendered.body) == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": original.message,
        "kind": "rate_limited",
        "code": "rate_limit_error",
        "param": "thing.name",
        "request_id": "req_round_trip_1",
        "retry_after": 1,
        "retryable": True,
    }
    assert ("retry-after", "1") in rendered.headers


def test_a_uri_code_becomes_the_type() -> None:
    original = sample_error(
        ae.Kind.PAYMENT_REQUIRED, "https://example.com/probs/out-of-credit", 403
    )
    rendered = ae.get_adapter("problem_details").render(original)
    assert json.loads(rendered.body)["type"] == "https://example.com/probs/out-of-credit"
    back = normalize_rendered(rendered, None)
    assert back.code == original.code
    assert back.kind is ae.Kind.PAYMENT_REQUIRED
