"""Every adapter's `render` writes what its `parse` reads back.

For each built-in adapter and each row of its code table, an error is rendered and normalized
again; kind, message, param (where the format has a place for it), code, retry_after (rounded up
to whole seconds, as `Retry-After` carries it) and request_id must survive.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

import agent_errors as ae
from agent_errors._registry import BUILTIN_ADAPTERS
from agent_errors.adapter_kit import Rendered

# Adapter -> whether its format has a place for `param`.
CARRIES_PARAM = {
    "qoder": True,
    "onecli": False,
    "agentgate": True,
    "agents_sdk": False,
    "problem_details": True,
    "google_rpc": True,
    "generic": True,
}
# Adapters whose rendered body is recognized from its structure alone, whatever the message.
DETECTABLE = ("qoder", "agentgate", "agents_sdk", "problem_details", "google_rpc")
# Adapters that keep every kind apart, whatever the code.
EVERY_KIND = ("problem_details", "generic")
ROUND_TRIP_KINDS = [k for k in ae.Kind if k not in {ae.Kind.NETWORK, ae.Kind.UNKNOWN}]


def _rows() -> list[tuple[str, str]]:
    return [
        (name, code)
        for name in sorted(CARRIES_PARAM)
        if name != "onecli"  # keyed by status; see test_onecli_round_trip
        for code in ae.get_adapter(name).codes
    ]


def _normalize(rendered: Rendered, provider: str | None) -> ae.CanonicalError:
    error = ae.normalize_parts(
        rendered.status, list(rendered.headers), rendered.body, provider=provider
    )
    assert error is not None
    return error


def _error(kind: ae.Kind, code: str | None, status: int | None, **fields: Any) -> ae.CanonicalError:
    values: dict[str, Any] = {
        "message": "The thing failed: try another thing.",
        "param": "thing.name",
        "retry_after": 2.25,
        "request_id": "req_round_trip_1",
    }
    values.update(fields)
    return ae.CanonicalError(kind=kind, code=code, status=status, **values)


def _assert_round_trip(
    back: ae.CanonicalError, original: ae.CanonicalError, provider: str, *, code: bool = True
) -> None:
    assert back.provider == provider
    assert back.kind is original.kind
    assert back.message == original.message
    if CARRIES_PARAM[provider]:
        assert back.param == original.param
    if code:
        assert back.code == original.code
    assert original.retry_after is not None
    assert back.retry_after == math.ceil(original.retry_after)
    assert back.request_id == original.request_id


def test_every_builtin_adapter_is_covered() -> None:
    # `canonical` is our own format, not a provider's: tests/test_render.py covers it.
    assert set(CARRIES_PARAM) == set(BUILTIN_ADAPTERS) - {"canonical"}


@pytest.mark.parametrize(("provider", "code"), _rows())
def test_every_code_round_trips(provider: str, code: str) -> None:
    adapter = ae.get_adapter(provider)
    row = adapter.codes[code]
    original = _error(row.kind, code, row.status)
    back = _normalize(adapter.render(original), provider)
    _assert_round_trip(back, original, provider)
    assert back.retryable is row.is_retryable
    if row.status is not None:
        assert back.status == row.status


@pytest.mark.parametrize(("provider", "code"), [r for r in _rows() if r[0] in DETECTABLE])
def test_rendered_bodies_are_detected(provider: str, code: str) -> None:
    adapter = ae.get_adapter(provider)
    row = adapter.codes[code]
    back = _normalize(adapter.render(_error(row.kind, code, row.status)), None)
    assert back.provider == provider
    assert back.code == code


@pytest.mark.parametrize("provider", EVERY_KIND)
@pytest.mark.parametrize("kind", ROUND_TRIP_KINDS)
def test_every_kind_round_trips(provider: str, kind: ae.Kind) -> None:
    original = _error(kind, "some_code", None)
    back = _normalize(ae.get_adapter(provider).render(original), provider)
    _assert_round_trip(back, original, provider)


@pytest.mark.parametrize("provider", sorted(CARRIES_PARAM))
def test_without_optional_fields(provider: str) -> None:
    original = ae.CanonicalError(kind=ae.Kind.NOT_FOUND, message="No such agent", status=404)
    rendered = ae.get_adapter(provider).render(original)
    names = {name for name, _ in rendered.headers}
    assert "retry-after" not in names
    assert "x-request-id" not in names
    back = _normalize(rendered, provider)
    assert back.kind is ae.Kind.NOT_FOUND
    assert back.message == "No such agent"
    assert back.param is None
    assert back.retry_after is None
    assert back.request_id is None
    assert back.status == 404


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (ae.Kind.INVALID_REQUEST, "bad_request"),
        (ae.Kind.AUTHENTICATION, "unauthorized"),
        (ae.Kind.PERMISSION, "forbidden"),
        (ae.Kind.NOT_FOUND, "not_found"),
        (ae.Kind.CONFLICT, "conflict"),
        (ae.Kind.INTERNAL, "internal_error"),
    ],
)
def test_onecli_round_trip(kind: ae.Kind, code: str) -> None:
    adapter = ae.get_adapter("onecli")
    original = _error(kind, code, None)
    rendered = adapter.render(original)
    assert json.loads(rendered.body) == {"error": {"message": original.message, "type": code}}
    back = _normalize(rendered, "onecli")
    _assert_round_trip(back, original, "onecli")


def test_onecli_documented_message_is_detected_with_its_param() -> None:
    original = _error(ae.Kind.INVALID_REQUEST, None, 400, message="Label is required", param=None)
    back = _normalize(ae.get_adapter("onecli").render(original), None)
    assert back.provider == "onecli"
    assert back.param == "label"
    assert back.code == "invalid_request"


def test_problem_details_shape() -> None:
    original = _error(ae.Kind.RATE_LIMITED, "rate_limit_error", 429, retry_after=0.2)
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


def test_problem_details_uri_code_becomes_the_type() -> None:
    original = _error(ae.Kind.PAYMENT_REQUIRED, "https://example.com/probs/out-of-credit", 403)
    rendered = ae.get_adapter("problem_details").render(original)
    assert json.loads(rendered.body)["type"] == "https://example.com/probs/out-of-credit"
    back = _normalize(rendered, None)
    assert back.code == original.code
    assert back.kind is ae.Kind.PAYMENT_REQUIRED


def test_agentgate_run_outcome_renders_as_a_run_result() -> None:
    original = ae.CanonicalError(
        kind=ae.Kind.CANCELLED,
        message="User cancelled run",
        code="CANCELLED",
        details={"run_id": "run_42"},
    )
    rendered = ae.get_adapter("agentgate").render(original)
    assert rendered.status == 200
    assert json.loads(rendered.body) == {
        "id": "run_42",
        "status": "cancelled",
        "error": {"code": "CANCELLED", "message": "User cancelled run"},
    }
    back = _normalize(rendered, None)
    assert back.provider == "agentgate"
    assert back.kind is ae.Kind.CANCELLED
    assert back.status is None
    assert back.details["run_id"] == "run_42"


def test_agentgate_unknown_code_keeps_its_kind_through_the_status() -> None:
    original = _error(ae.Kind.CONFLICT, "WORK_ORDER_LOCKED", 409)
    back = _normalize(ae.get_adapter("agentgate").render(original), "agentgate")
    assert back.code == "WORK_ORDER_LOCKED"
    assert back.kind is ae.Kind.CONFLICT


def test_agents_sdk_writes_retry_after_in_the_body() -> None:
    original = _error(ae.Kind.RATE_LIMITED, "rate_limit_exceeded", 429, retry_after=59.5)
    body = json.loads(ae.get_adapter("agents_sdk").render(original).body)
    assert body == {
        "error": {
            "code": "rate_limit_exceeded",
            "message": original.message,
            "status": 429,
            "retryAfter": 60,
        }
    }


def test_google_rpc_reason_rides_in_error_info() -> None:
    original = _error(ae.Kind.AUTHENTICATION, "API_KEY_INVALID", 400)
    body = json.loads(ae.get_adapter("google_rpc").render(original).body)
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["details"][0] == {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
    }


def test_google_rpc_payment_keeps_its_kind_with_an_unknown_reason() -> None:
    original = _error(ae.Kind.PAYMENT_REQUIRED, "OUT_OF_CREDITS", None)
    back = _normalize(ae.get_adapter("google_rpc").render(original), None)
    assert back.kind is ae.Kind.PAYMENT_REQUIRED
    assert back.code == "OUT_OF_CREDITS"
    assert back.status == 402


@pytest.mark.parametrize("provider", sorted(CARRIES_PARAM))
def test_request_id_is_header_safe(provider: str) -> None:
    original = _error(ae.Kind.INTERNAL, None, 500, request_id="req\r\nX-Evil: 1")
    rendered = ae.get_adapter(provider).render(original)
    assert ("x-request-id", "reqX-Evil: 1") in rendered.headers
