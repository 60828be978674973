"""The generic adapter on shapes of APIs it has no adapter for: where an error is, and where not.

The golden cases live in `tests/corpus/other/`; these tests pin the boundaries around them: a
success document is no error, a message never overrides a recognized code, and a class code
(`invalid_request_error`) gives way only to a status that says more.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import agent_errors as ae
from agent_errors import adapter_kit
from agent_errors._parsing._registry import BUILTIN_ADAPTERS, SNIFF_THRESHOLD


def _parse(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> ae.CanonicalError | None:
    return ae.normalize_parts(status, headers or {}, json.dumps(body).encode(), provider="generic")


@pytest.mark.parametrize(
    "body",
    [
        {"ok": True, "channel": "C1", "ts": "1.2"},
        {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200},
        {"errors": "deprecated field used"},
        {"errors": {"title": ["looks odd"]}},
        {"message": {"detail": [{"loc": ["body", "x"], "msg": "Field required"}]}},
        {"success": True, "errors": [], "result": {"id": "z1"}},
    ],
)
def test_success_documents_are_no_error(body: Any) -> None:
    assert _parse(200, body) is None


def test_slack_code_behind_200_is_an_error_without_a_made_up_status() -> None:
    error = _parse(200, {"ok": False, "error": "token_revoked"})
    assert error is not None
    assert (error.kind, error.code) == (ae.Kind.AUTHENTICATION, "token_revoked")
    assert not error.message.startswith("HTTP 200")


def test_slack_sentence_is_a_message_not_a_code() -> None:
    error = _parse(500, {"ok": False, "error": "Something broke downstream"})
    assert error is not None
    assert (error.message, error.code, error.kind) == (
        "Something broke downstream",
        None,
        ae.Kind.INTERNAL,
    )


def test_error_object_in_200_takes_its_own_status() -> None:
    error = _parse(200, {"error": {"code": 429, "message": "Upstream rate limited"}})
    assert error is not None
    assert (error.status, error.kind) == (429, ae.Kind.RATE_LIMITED)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ae.Kind.INVALID_REQUEST),
        (413, ae.Kind.INVALID_REQUEST),
        (402, ae.Kind.PAYMENT_REQUIRED),
        (404, ae.Kind.NOT_FOUND),
        (429, ae.Kind.RATE_LIMITED),
    ],
)
def test_class_code_gives_way_to_a_status_that_says_more(status: int, kind: ae.Kind) -> None:
    error = _parse(status, {"error": {"message": "x", "type": "invalid_request_error"}})
    assert error is not None
    assert (error.kind, error.code) == (kind, "invalid_request_error")


def test_specific_code_is_not_overridden_by_the_status() -> None:
    body = {"error": {"message": "x", "type": "tokens", "code": "rate_limit_exceeded"}}
    # (A 413 is the exception: a request too large for the limit, test_wider_formats.py.)
    error = _parse(400, body)
    assert error is not None
    assert error.kind is ae.Kind.RATE_LIMITED


def test_rate_limit_phrase_never_overrides_a_recognized_code() -> None:
    body = {"error": {"code": "FORBIDDEN", "message": "API rate limit exceeded for this user"}}
    error = _parse(403, body)
    assert error is not None
    assert error.kind is ae.Kind.PERMISSION


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"x-ratelimit-remaining": "0"}, ae.Kind.RATE_LIMITED),
        ({"x-ratelimit-remaining": "12"}, ae.Kind.PERMISSION),
        ({}, ae.Kind.PERMISSION),
    ],
)
def test_403_is_a_rate_limit_only_when_the_budget_is_spent(
    headers: dict[str, str], kind: ae.Kind
) -> None:
    error = _parse(403, {"message": "Resource not accessible by integration"}, headers)
    assert error is not None
    assert error.kind is kind


def test_estimated_time_yields_to_a_header() -> None:
    body = {"error": "Model x is currently loading", "estimated_time": 20.0}
    error = _parse(503, body, {"retry-after": "5"})
    assert error is not None
    assert error.retry_after == 5.0


def test_kubernetes_status_in_a_stream_event_keeps_the_reason() -> None:
    body = {"kind": "Status", "status": "Failure", "reason": "Expired", "code": 410, "message": "m"}
    error = _parse(410, body)
    assert error is not None
    assert (error.code, error.kind) == ("Expired", ae.Kind.NOT_FOUND)


NEW_SHAPES: list[Any] = [
    {"ok": False, "error": "ratelimited"},
    {"success": False, "errors": [{"code": 7003, "message": "Could not route"}], "result": None},
    {"code": "PGRST116", "details": "0 rows", "hint": None, "message": "JSON object requested"},
    {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404},
    {"error": {"code": "NotFound", "message": "x", "innerError": {"request-id": "r1"}}},
    [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    {"errors": "[API] Invalid API key or access token"},
    {"object": "error", "message": {"detail": []}, "type": "invalid_request_error"},
    {"error": {"code": 402, "message": "Insufficient credits", "metadata": {}}},
    {"error": "Model x is currently loading", "estimated_time": 20.0},
    {"code": 21211, "message": "Invalid number", "more_info": "https://x", "status": 400},
]


@pytest.mark.parametrize("body", NEW_SHAPES)
@pytest.mark.parametrize("name", [n for n in BUILTIN_ADAPTERS if n != "generic"])
def test_no_specific_adapter_claims_shared_shapes(name: str, body: Any) -> None:
    view = adapter_kit.ResponseView(400, {}, json.dumps(body).encode())
    assert ae.get_adapter(name).sniff(view) < SNIFF_THRESHOLD


def test_numeric_string_code_gives_way_to_a_word() -> None:
    body = {"error": {"message": "m", "type": "auth_error", "param": "None", "code": "401"}}
    error = _parse(401, body)
    assert error is not None
    assert (error.code, error.param) == ("auth_error", None)


def test_numeric_string_code_alone_is_kept() -> None:
    error = _parse(429, {"error": {"code": "429", "message": "Slow down"}})
    assert error is not None
    assert (error.code, error.kind) == ("429", ae.Kind.RATE_LIMITED)


@pytest.mark.parametrize(
    ("problem", "message"),
    [("can't be blank", "title can't be blank"), ("Title is required.", "Title is required.")],
)
def test_field_map_fragments_read_after_the_field(problem: str, message: str) -> None:
    error = _parse(422, {"errors": {"title": [problem]}})
    assert error is not None
    assert (error.message, error.param) == (message, "title")


def test_empty_error_object_in_a_success_is_no_error() -> None:
    assert _parse(200, {"data": [1], "error": {}}) is None
    assert _parse(200, {"data": [1], "error": None}) is None
    error = _parse(500, {"error": {}})
    assert error is not None
    assert error.kind is ae.Kind.INTERNAL


def _parse_text(status: int, text: str) -> ae.CanonicalError | None:
    return ae.normalize_parts(status, {"content-type": "application/xml"}, text, provider="generic")


def test_xml_error_document_in_a_success_is_no_error() -> None:
    xml = "<Error><Code>InternalError</Code><Message>We encountered an error.</Message></Error>"
    assert _parse_text(200, xml) is None


def test_xml_without_code_or_message_falls_back_to_the_status() -> None:
    text = "<ErrorResponse><Detail>upstream</Detail></ErrorResponse>"
    error = _parse_text(502, text)
    assert error is not None
    assert (error.code, error.message, error.kind) == (None, text, ae.Kind.UNAVAILABLE)


def test_xml_message_is_unescaped_and_a_header_request_id_wins() -> None:
    xml = (
        "<Error><Code>AccessDenied</Code><Message>Access &amp; denied</Message>"
        "<RequestId>body-id</RequestId></Error>"
    )
    error = ae.normalize_parts(403, {"x-amz-request-id": "header-id"}, xml, provider="generic")
    assert error is not None
    assert (error.message, error.code, error.request_id) == (
        "Access & denied",
        "AccessDenied",
        "header-id",
    )
    assert error.kind is ae.Kind.PERMISSION


@pytest.mark.parametrize("text", ["Unauthorized", "Bad Gateway", "upstream", "error", "x" * 80])
def test_plain_text_that_is_no_code_keeps_no_code(text: str) -> None:
    error = ae.normalize_parts(502, {"content-type": "text/plain"}, text, provider="generic")
    assert error is not None
    assert error.code is None


def test_a_rendered_param_named_none_round_trips() -> None:
    original = ae.CanonicalError(
        kind=ae.Kind.INVALID_REQUEST, message="m", param="None", status=400, provider="generic"
    )
    rendered = ae.render(original, to="generic")
    back = ae.normalize_parts(
        rendered.status, list(rendered.headers), rendered.body, provider="generic"
    )
    assert back is not None
    assert back.param == "None"
