"""The code tables say what the providers' documents say: each documented code, status and kind.

The expectations below are transcribed from the providers' documents (and written independently
of the adapters' tables), so a row that drifts fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_errors.adapters import onecli

import agent_errors as ae

# (provider, code, documented status or None for run results / "any", kind, retryable)
DOCUMENTED = [
    ("qoder", "invalid_request_error", 400, "invalid_request", False),
    ("qoder", "authentication_error", 401, "authentication", False),
    ("qoder", "permission_error", 403, "permission", False),
    ("qoder", "not_found_error", 404, "not_found", False),
    ("qoder", "conflict_error", 409, "conflict", False),
    ("qoder", "api_error", 500, "internal", True),
    ("qoder", "feature_not_available", 501, "feature_not_available", False),
    ("agentgate", "MISSING_API_KEY", 401, "authentication", False),
    ("agentgate", "INVALID_API_KEY", 401, "authentication", False),
    ("agentgate", "EXPIRED_API_KEY", 401, "authentication", False),
    ("agentgate", "INVALID_API_KEY_FORMAT", 401, "authentication", False),
    ("agentgate", "INSUFFICIENT_PERMISSIONS", 403, "permission", False),
    ("agentgate", "SCOPE_REQUIRED", 403, "permission", False),
    ("agentgate", "ORGANIZATION_SUSPENDED", 403, "permission", False),
    ("agentgate", "INVALID_REQUEST", 400, "invalid_request", False),
    ("agentgate", "MISSING_FIELD", 400, "invalid_request", False),
    ("agentgate", "INVALID_FORMAT", 400, "invalid_request", False),
    ("agentgate", "INVALID_VALUE", 400, "invalid_request", False),
    ("agentgate", "INSUFFICIENT_CREDITS", 402, "payment_required", False),
    ("agentgate", "BILLING_ERROR", 402, "payment_required", False),
    ("agentgate", "RESOURCE_NOT_FOUND", 404, "not_found", False),
    ("agentgate", "RUN_NOT_FOUND", 404, "not_found", False),
    ("agentgate", "WORK_ORDER_NOT_FOUND", 404, "not_found", False),
    ("agentgate", "WEBHOOK_NOT_FOUND", 404, "not_found", False),
    ("agentgate", "TEMPLATE_NOT_FOUND", 404, "not_found", False),
    ("agentgate", "RATE_LIMITED", 429, "rate_limited", True),
    ("agentgate", "CONCURRENT_LIMIT", 429, "concurrency_limited", True),
    ("agentgate", "INTERNAL_ERROR", 500, "internal", True),
    ("agentgate", "SERVICE_UNAVAILABLE", 503, "unavailable", True),
    ("agentgate", "TIMEOUT", 504, "timeout", True),
    ("agentgate", "MAX_ITERATIONS_REACHED", None, "run_failed", False),
    ("agentgate", "VERIFICATION_FAILED", None, "run_failed", False),
    ("agentgate", "WORKSPACE_ERROR", None, "run_failed", False),
    ("agentgate", "EXECUTION_TIMEOUT", None, "timeout", False),
    ("agentgate", "CANCELLED", None, "cancelled", False),
    ("agents_sdk", "invalid_request", 400, "invalid_request", False),
    ("agents_sdk", "validation_error", 422, "invalid_request", False),
    ("agents_sdk", "credential_cap_exceeded", 400, "invalid_request", False),
    ("agents_sdk", "vault_coverage_missing", 400, "invalid_request", False),
    ("agents_sdk", "unauthorized", 401, "authentication", False),
    ("agents_sdk", "forbidden", 403, "permission", False),
    ("agents_sdk", "not_found", 404, "not_found", False),
    ("agents_sdk", "conflict", 409, "conflict", False),
    ("agents_sdk", "stream_active", 409, "conflict", False),
    ("agents_sdk", "budget_exceeded", None, "payment_required", False),
    ("agents_sdk", "rate_limit_exceeded", 429, "rate_limited", True),
    ("agents_sdk", "sandbox_error", 500, "internal", True),
    ("google_rpc", "CANCELLED", 499, "cancelled", False),
    ("google_rpc", "UNKNOWN", 500, "internal", False),  # AIP-194: never retried
    ("google_rpc", "INVALID_ARGUMENT", 400, "invalid_request", False),
    ("google_rpc", "DEADLINE_EXCEEDED", 504, "timeout", True),
    ("google_rpc", "NOT_FOUND", 404, "not_found", False),
    ("google_rpc", "ALREADY_EXISTS", 409, "conflict", False),
    ("google_rpc", "PERMISSION_DENIED", 403, "permission", False),
    ("google_rpc", "RESOURCE_EXHAUSTED", 429, "rate_limited", True),
    ("google_rpc", "FAILED_PRECONDITION", 400, "invalid_request", False),
    ("google_rpc", "ABORTED", 409, "conflict", False),
    ("google_rpc", "OUT_OF_RANGE", 400, "invalid_request", False),
    ("google_rpc", "UNIMPLEMENTED", 501, "feature_not_available", False),
    ("google_rpc", "INTERNAL", 500, "internal", True),
    ("google_rpc", "UNAVAILABLE", 503, "unavailable", True),
    ("google_rpc", "DATA_LOSS", 500, "internal", False),  # AIP-194: never retried
    ("google_rpc", "UNAUTHENTICATED", 401, "authentication", False),
]


def _body(provider: str, code: str, status: int | None) -> object:
    if provider == "qoder":
        return {"type": "error", "error": {"type": code, "message": "m"}}
    if provider == "agentgate":
        if status is None:
            return {"id": "run_1", "status": "failed", "error": {"code": code, "message": "m"}}
        return {"error": {"code": code, "message": "m"}}
    if provider == "agents_sdk":
        return {"error": {"code": code, "message": "m", "status": status or 402}}
    return {"error": {"code": status, "message": "m", "status": code}}


@pytest.mark.parametrize(("provider", "code", "status", "kind", "retryable"), DOCUMENTED)
def test_documented_code(
    provider: str, code: str, status: int | None, kind: str, retryable: bool
) -> None:
    row = ae.get_adapter(provider).codes[code]
    assert row.kind == kind
    assert row.status == status
    assert row.is_retryable is retryable
    error = ae.normalize_parts(status, {}, json.dumps(_body(provider, code, status)))
    assert error is not None
    assert error.provider == provider
    assert error.kind == kind
    assert error.retryable is retryable
    assert error.code == code


@pytest.mark.parametrize("provider", ["qoder", "agentgate", "agents_sdk", "google_rpc"])
def test_no_undocumented_rows_in_the_provider_part_of_the_table(provider: str) -> None:
    documented = {code for p, code, *_ in DOCUMENTED if p == provider}
    table = ae.get_adapter(provider).codes
    if provider == "qoder":
        # The rest of Qoder's table is the Anthropic-style types sharing its envelope.
        assert documented <= set(table)
    elif provider == "google_rpc":
        assert documented <= set(table)
    else:
        assert documented == set(table)


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
def test_onecli_kind_follows_the_status(status: int, kind: str) -> None:
    row = onecli.CODES[str(status)]
    assert row.kind == kind
    assert row.is_retryable is (status == 500)
    error = ae.normalize_parts(status, {}, '{"error": "Label is required"}')
    assert error is not None
    assert error.kind == kind
    assert error.retryable is (status == 500)


def test_onecli_message_without_status_uses_the_documented_status() -> None:
    error = ae.normalize_parts(None, {}, '{"error": {"message": "Unknown provider: x"}}')
    assert error is not None
    assert error.provider == "onecli"
    assert error.kind == "not_found"
    assert error.param == "provider"
    assert error.details["provider"] == "x"


def test_every_onecli_message_has_a_golden_case() -> None:
    corpus = Path(__file__).parent / "corpus" / "onecli"
    matched = set()
    for path in corpus.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))["body"]
        error = body["error"]
        message = error if isinstance(error, str) else error["message"]
        found = onecli.match_message(message)
        if found is not None:
            matched.add(onecli.MESSAGES.index(found[0]))
    assert matched == set(range(len(onecli.MESSAGES)))
