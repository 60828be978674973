"""OneCLI: a flat `{"error": "..."}` or an envelope, keyed by status, `param` from the message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from _contract import AdapterContract, normalize_rendered, pytest_generate_tests, sample_error
from agent_errors.adapters import onecli

import agent_errors as ae

__all__ = ["TestOneCLI", "pytest_generate_tests"]


class TestOneCLI(AdapterContract):
    """OneCLI's table is keyed by status; its documented messages give `param`."""

    provider = "onecli"
    carries_param = False
    codes_round_trip = False  # keyed by status: see test_round_trip
    # Documented: of its own statuses only 500 is retried, "with exponential backoff".
    profile: ClassVar = {"jitter": "equal"}


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
def test_round_trip(kind: ae.Kind, code: str) -> None:
    adapter = ae.get_adapter("onecli")
    original = sample_error(kind, code, None)
    rendered = adapter.render(original)
    assert json.loads(rendered.body) == {"error": {"message": original.message, "type": code}}
    back = normalize_rendered(rendered, "onecli")
    assert (back.provider, back.kind, back.message, back.code) == (
        "onecli",
        original.kind,
        original.message,
        original.code,
    )
    assert back.retry_after == 3
    assert back.request_id == original.request_id


def test_a_documented_message_is_detected_with_its_param() -> None:
    original = sample_error(ae.Kind.INVALID_REQUEST, None, 400, message="Label is required")
    back = normalize_rendered(ae.get_adapter("onecli").render(original), None)
    assert back.provider == "onecli"
    assert back.param == "label"
    assert back.code == "invalid_request"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request"),
        (401, "authentication"),
        (403, "permission"),
        (404, "not_found"),
        (409, "conflict"),
        (500, "internal"),
    ],
)
def test_the_kind_follows_the_status(status: int, kind: str) -> None:
    row = onecli.CODES[str(status)]
    assert row.kind == kind
    assert row.is_retryable is (status == 500)
    error = ae.normalize_parts(status, {}, '{"error": "Label is required"}')
    assert error is not None
    assert error.kind == kind
    assert error.retryable is (status == 500)


def test_a_message_without_status_uses_the_documented_status() -> None:
    error = ae.normalize_parts(None, {}, '{"error": {"message": "Unknown provider: x"}}')
    assert error is not None
    assert error.provider == "onecli"
    assert error.kind == "not_found"
    assert error.param == "provider"
    assert error.details["provider"] == "x"


def test_every_documented_message_has_a_golden_case() -> None:
    corpus = Path(__file__).resolve().parent.parent / "corpus" / "onecli"
    matched = set()
    for path in corpus.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))["body"]
        error = body["error"]
        message = error if isinstance(error, str) else error["message"]
        found = onecli.match_message(message)
        if found is not None:
            matched.add(onecli.MESSAGES.index(found[0]))
    assert matched == set(range(len(onecli.MESSAGES)))
