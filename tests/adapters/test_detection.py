"""Sniffing claims a body only on specific evidence, and no adapter raises on any JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import adapter_kit
from agent_errors._parsing._registry import BUILTIN_ADAPTERS, SNIFF_THRESHOLD

SPECIFIC = [name for name in BUILTIN_ADAPTERS if name != "generic"]

# Shapes other APIs send. None of them carries evidence of a specific built-in format.
UNRELATED: list[tuple[str, int, Any]] = [
    (
        "openai",
        400,
        {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}},
    ),
    ("openai_with_code", 429, {"error": {"message": "slow down", "type": "x", "code": "rl"}}),
    ("flat_error", 500, {"error": "Something went wrong"}),
    ("flat_error_with_status", 400, {"error": "Bad input", "status": 400}),
    ("flat_error_message_pair", 400, {"error": {"message": "Bad input", "type": "bad"}}),
    ("oauth", 401, {"error": "invalid_token", "error_description": "expired"}),
    ("fastapi_detail", 404, {"detail": "Not Found"}),
    ("fastapi_list", 422, {"detail": [{"loc": ["body", "x"], "msg": "Field required"}]}),
    ("message_only", 403, {"message": "Forbidden"}),
    ("code_and_message_int", 404, {"code": 404, "message": "Not found"}),
    ("code_and_message_str", 400, {"code": "BAD", "message": "Bad"}),
    ("upper_snake_unknown", 403, {"error": {"code": "ACCOUNT_LOCKED", "message": "Locked"}}),
    ("int_code_in_error", 404, {"error": {"code": 404, "message": "Not found"}}),
    ("jsonapi", 422, {"errors": [{"status": "422", "title": "Invalid", "detail": "x"}]}),
    ("graphql", 200, {"errors": [{"message": "boom", "path": ["a"]}], "data": None}),
    ("spring_boot", 500, {"timestamp": "2024-01-01", "status": 500, "error": "Internal"}),
    ("success_body", 200, {"id": "run_1", "status": "completed", "output": "ok"}),
    ("list_body", 400, [{"message": "x"}]),
    ("string_body", 400, "oops"),
    ("number_body", 500, 42),
]


@pytest.mark.parametrize(("label", "status", "body"), UNRELATED, ids=[u[0] for u in UNRELATED])
def test_unrelated_shapes_are_not_claimed(label: str, status: int, body: Any) -> None:
    view = adapter_kit.ResponseView(status, {"content-type": "application/json"}, json.dumps(body))
    for name in SPECIFIC:
        assert ae.get_adapter(name).sniff(view) < SNIFF_THRESHOLD, name
    assert ae.detect(view).name == "generic"


@pytest.mark.parametrize(
    ("body", "headers", "provider"),
    [
        ({"error": "Label is required"}, {}, "onecli"),
        ({"error": {"message": "Agent not found", "type": "not_found"}}, {}, "onecli"),
        ({"error": {"code": "RUN_NOT_FOUND", "message": "Run not found"}}, {}, "agentgate"),
        (
            {"id": "run_9", "status": "failed", "error": {"code": "X", "message": "m"}},
            {},
            "agentgate",
        ),
        ({"error": {"code": "whatever", "message": "m", "status": 418}}, {}, "agents_sdk"),
        ({"error": {"code": 500, "message": "m", "status": "INTERNAL"}}, {}, "google_rpc"),
        ({"code": 5, "message": "m", "details": []}, {}, "google_rpc"),
        ({"title": "Gone", "status": 410}, {}, "problem_details"),
        ({"detail": "x"}, {"content-type": "application/problem+json"}, "problem_details"),
        ({"type": "error", "error": {"type": "mystery", "message": "m"}}, {}, "qoder"),
        (
            {"type": "error", "error": {"type": "mystery", "message": "Invalid API key or token."}},
            {},
            "qoder",
        ),
    ],
)
def test_specific_structure_is_claimed(body: Any, headers: dict[str, str], provider: str) -> None:
    view = adapter_kit.ResponseView(400, headers, json.dumps(body))
    assert ae.detect(view).name == provider


def test_a_templated_onecli_message_is_weaker_than_a_documented_one() -> None:
    onecli = ae.get_adapter("onecli")
    documented = adapter_kit.ResponseView(400, {}, '{"error": "Label is required"}')
    templated = adapter_kit.ResponseView(400, {}, '{"error": "apiKey is required"}')
    unknown = adapter_kit.ResponseView(400, {}, '{"error": "apiKey looks wrong"}')
    assert onecli.sniff(documented) > onecli.sniff(templated) >= SNIFF_THRESHOLD
    assert onecli.sniff(unknown) < SNIFF_THRESHOLD


def test_a_success_without_an_error_document_is_none() -> None:
    for name in BUILTIN_ADAPTERS:
        body = '{"id": "run_1", "status": "completed"}'
        assert ae.normalize_parts(200, {}, body, provider=name) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "error",
                    "code",
                    "message",
                    "type",
                    "status",
                    "details",
                    "detail",
                    "title",
                    "errors",
                    "id",
                    "param",
                    "kind",
                    "retry_after",
                    "invalid-params",
                    "@type",
                    "fieldViolations",
                    "reason",
                    "field",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    body=json_values,
    status=st.none() | st.integers(min_value=100, max_value=599),
    problem=st.booleans(),
)
def test_no_adapter_raises_on_any_json(body: Any, status: int | None, problem: bool) -> None:
    headers = {"content-type": "application/problem+json" if problem else "application/json"}
    data = json.dumps(body)
    view = adapter_kit.ResponseView(status, headers, data)
    for name in BUILTIN_ADAPTERS:
        adapter = ae.get_adapter(name)
        score = adapter.sniff(view)
        assert 0.0 <= score <= 1.0
        error = adapter.parse(view)
        if error is not None:
            assert error.message
            assert isinstance(error.kind, ae.Kind)
            adapter.render(error)


@pytest.mark.parametrize("status", [200, 201, None])
def test_a_success_shaped_like_a_problem_is_not_one(status: int | None) -> None:
    body = '{"type": "article", "title": "Hello", "detail": "A post"}'
    view = adapter_kit.ResponseView(status, {}, body)
    assert ae.get_adapter("problem_details").sniff(view) == 0.0
    assert ae.normalize_parts(status, {}, body) is None
    problem = '{"title": "Too Many Requests", "status": 429}'
    error = ae.normalize_parts(status, {}, problem)
    assert error is not None
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.provider == "problem_details"
