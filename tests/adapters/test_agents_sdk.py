"""The 21st.dev Agents SDK: `{"error": {"code", "message", "status", "retryAfter"}}`."""

from __future__ import annotations

import json
from typing import ClassVar

from _contract import AdapterContract, Documented, pytest_generate_tests, sample_error

import agent_errors as ae

__all__ = ["TestAgentsSDK", "pytest_generate_tests"]


class TestAgentsSDK(AdapterContract):
    """The SDK's documented codes, the whole of its table."""

    provider = "agents_sdk"
    documented: ClassVar[tuple[Documented, ...]] = (
        ("invalid_request", 400, "invalid_request", False),
        ("validation_error", 422, "invalid_request", False),
        ("credential_cap_exceeded", 400, "invalid_request", False),
        ("vault_coverage_missing", 400, "invalid_request", False),
        ("unauthorized", 401, "authentication", False),
        ("forbidden", 403, "permission", False),
        ("not_found", 404, "not_found", False),
        ("conflict", 409, "conflict", False),
        ("stream_active", 409, "conflict", False),
        ("budget_exceeded", None, "payment_required", False),
        ("rate_limit_exceeded", 429, "rate_limited", True),
        ("sandbox_error", 500, "internal", True),
    )
    documented_is_whole_table = True
    carries_param = False
    detectable = True
    # Documented: a 429 carries retryAfter in seconds (60 in the example).
    profile: ClassVar = {"max_server_delay": 120.0}

    @staticmethod
    def body_for(code: str, status: int | None) -> object:
        return {"error": {"code": code, "message": "m", "status": status or 402}}


def test_retry_after_is_written_in_the_body() -> None:
    original = sample_error(ae.Kind.RATE_LIMITED, "rate_limit_exceeded", 429, retry_after=59.5)
    body = json.loads(ae.get_adapter("agents_sdk").render(original).body)
    assert body == {
        "error": {
            "code": "rate_limit_exceeded",
            "message": original.message,
            "status": 429,
            "retryAfter": 60,
        }
    }
