"""google.rpc `Status`: canonical codes, ErrorInfo reasons, RetryInfo."""

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

__all__ = ["TestGoogleRPC", "pytest_generate_tests"]


class TestGoogleRPC(AdapterContract):
    """The canonical codes of google.rpc.Code, as AIP-194 says to retry them."""

    provider = "google_rpc"
    documented: ClassVar[tuple[Documented, ...]] = (
        ("CANCELLED", 499, "cancelled", False),
        ("UNKNOWN", 500, "internal", False),  # AIP-194: never retried
        ("INVALID_ARGUMENT", 400, "invalid_request", False),
        ("DEADLINE_EXCEEDED", 504, "timeout", True),
        ("NOT_FOUND", 404, "not_found", False),
        ("ALREADY_EXISTS", 409, "conflict", False),
        ("PERMISSION_DENIED", 403, "permission", False),
        ("RESOURCE_EXHAUSTED", 429, "rate_limited", True),
        ("FAILED_PRECONDITION", 400, "invalid_request", False),
        ("ABORTED", 409, "conflict", False),
        ("OUT_OF_RANGE", 400, "invalid_request", False),
        ("UNIMPLEMENTED", 501, "feature_not_available", False),
        ("INTERNAL", 500, "internal", True),
        ("UNAVAILABLE", 503, "unavailable", True),
        ("DATA_LOSS", 500, "internal", False),  # AIP-194: never retried
        ("UNAUTHENTICATED", 401, "authentication", False),
    )
    detectable = True
    # google-genai HttpRetryOptions: 5 attempts, 1 s initial, base 2, 60 s max.
    profile: ClassVar = {"max_retries": 4, "initial_delay": 1.0, "max_delay": 60.0}

    @staticmethod
    def body_for(code: str, status: int | None) -> object:
        return {"error": {"code": status, "message": "m", "status": code}}


def test_the_reason_rides_in_error_info() -> None:
    original = sample_error(ae.Kind.AUTHENTICATION, "API_KEY_INVALID", 400)
    body = json.loads(ae.get_adapter("google_rpc").render(original).body)
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["details"][0] == {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
    }


def test_payment_keeps_its_kind_with_an_unknown_reason() -> None:
    original = sample_error(ae.Kind.PAYMENT_REQUIRED, "OUT_OF_CREDITS", None)
    back = normalize_rendered(ae.get_adapter("google_rpc").render(original), None)
    assert back.kind is ae.Kind.PAYMENT_REQUIRED
    assert back.code == "OUT_OF_CREDITS"
    assert back.status == 402
