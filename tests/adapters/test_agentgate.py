"""AgentGate: its `{"error": {"code", "message", "details"}}` envelope and its run results."""

from __future__ import annotations

import json
from typing import ClassVar

from _contract import (
    AdapterContract,
    Documented,
    normalize_rendered,
    pytest_generate_tests,
    sample_error,
)

import agent_errors as ae

__all__ = ["TestAgentGate", "pytest_generate_tests"]


class TestAgentGate(AdapterContract):
    """AgentGate's documented codes, the whole of its table."""

    provider = "agentgate"
    documented: ClassVar[tuple[Documented, ...]] = (
        ("MISSING_API_KEY", 401, "authentication", False),
        ("INVALID_API_KEY", 401, "authentication", False),
        ("EXPIRED_API_KEY", 401, "authentication", False),
        ("INVALID_API_KEY_FORMAT", 401, "authentication", False),
        ("INSUFFICIENT_PERMISSIONS", 403, "permission", False),
        ("SCOPE_REQUIRED", 403, "permission", False),
        ("ORGANIZATION_SUSPENDED", 403, "permission", False),
        ("INVALID_REQUEST", 400, "invalid_request", False),
        ("MISSING_FIELD", 400, "invalid_request", False),
        ("INVALID_FORMAT", 400, "invalid_request", False),
        ("INVALID_VALUE", 400, "invalid_request", False),
        ("INSUFFICIENT_CREDITS", 402, "payment_required", False),
        ("BILLING_ERROR", 402, "payment_required", False),
        ("RESOURCE_NOT_FOUND", 404, "not_found", False),
        ("RUN_NOT_FOUND", 404, "not_found", False),
        ("WORK_ORDER_NOT_FOUND", 404, "not_found", False),
        ("WEBHOOK_NOT_FOUND", 404, "not_found", False),
        ("TEMPLATE_NOT_FOUND", 404, "not_found", False),
        ("RATE_LIMITED", 429, "rate_limited", True),
        ("CONCURRENT_LIMIT", 429, "concurrency_limited", True),
        ("INTERNAL_ERROR", 500, "internal", True),
        ("SERVICE_UNAVAILABLE", 503, "unavailable", True),
        ("TIMEOUT", 504, "timeout", True),
        ("MAX_ITERATIONS_REACHED", None, "run_failed", False),
        ("VERIFICATION_FAILED", None, "run_failed", False),
        ("WORKSPACE_ERROR", None, "run_failed", False),
        ("EXECUTION_TIMEOUT", None, "timeout", False),
        ("CANCELLED", None, "cancelled", False),
    )
    documented_is_whole_table = True
    detectable = True
    # Documented: on 429 wait Retry-After (or 60 s); else min(1000 * 2^attempt, 30000) ms,
    # 3 attempts in all.
    profile: ClassVar = {
        "max_retries": 2,
        "initial_delay": 1.0,
        "multiplier": 2.0,
        "max_delay": 30.0,
        "throttle_default": 60.0,
    }

    @staticmethod
    def body_for(code: str, status: int | None) -> object:
        if status is None:  # a run result, not an HTTP error
            return {"id": "run_1", "status": "failed", "error": {"code": code, "message": "m"}}
        return {"error": {"code": code, "message": "m"}}


def test_a_run_outcome_renders_as_a_run_result() -> None:
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
    back = normalize_rendered(rendered, None)
    assert back.provider == "agentgate"
    assert back.kind is ae.Kind.CANCELLED
    assert back.status is None
    assert back.details["run_id"] == "run_42"


def test_an_unknown_code_keeps_its_kind_through_the_status() -> None:
    original = sample_error(ae.Kind.CONFLICT, "WORK_ORDER_LOCKED", 409)
    back = normalize_rendered(ae.get_adapter("agentgate").render(original), "agentgate")
    assert back.code == "WORK_ORDER_LOCKED"
    assert back.kind is ae.Kind.CONFLICT
