"""Qoder Cloud Agents: its envelope, its documented codes, its render and its retry profile."""

from __future__ import annotations

from typing import ClassVar

from _contract import AdapterContract, Documented, normalize_rendered, pytest_generate_tests

import agent_errors as ae

__all__ = ["TestQoder", "pytest_generate_tests"]


class TestQoder(AdapterContract):
    """Qoder's `{"type": "error", "error": {"type", "message"}}` envelope."""

    provider = "qoder"
    documented: ClassVar[tuple[Documented, ...]] = (
        ("invalid_request_error", 400, "invalid_request", False),
        ("authentication_error", 401, "authentication", False),
        ("permission_error", 403, "permission", False),
        ("not_found_error", 404, "not_found", False),
        ("conflict_error", 409, "conflict", False),
        ("api_error", 500, "internal", True),
        ("feature_not_available", 501, "feature_not_available", False),
    )
    # The rest of Qoder's table is the Anthropic-style types sharing its envelope.
    documented_is_whole_table = False
    detectable = True
    # Documented: 5xx and 429 retried 1 s -> 2 s -> 4 s, at most 3 retries; writes again only
    # with an Idempotency-Key.
    profile: ClassVar = {
        "max_retries": 3,
        "initial_delay": 1.0,
        "multiplier": 2.0,
        "max_delay": 4.0,
        "idempotency_header": "Idempotency-Key",
    }

    @staticmethod
    def body_for(code: str, status: int | None) -> object:
        return {"type": "error", "error": {"type": code, "message": "m"}}


def test_a_request_too_large_renders_the_same_twice() -> None:
    # A 413 reads as invalid_request whatever its type: the type is kept on the next render.
    error = ae.CanonicalError(kind=ae.Kind.RATE_LIMITED, message=":", status=413)
    once = normalize_rendered(ae.render(error, to="qoder"), "qoder")
    twice = normalize_rendered(ae.render(once, to="qoder"), "qoder")
    assert (once.kind, once.code) == (ae.Kind.INVALID_REQUEST, "rate_limit_error")
    assert (twice.kind, twice.code, twice.status) == (once.kind, once.code, 413)


def test_a_request_too_large_with_any_type_reads_back_as_invalid_request() -> None:
    # Only a throttle's type stands for a request too large at 413 (the reader turns it into
    # invalid_request); any other type would read back as its own kind, so it is replaced.
    for code in ae.get_adapter("qoder").codes:
        error = ae.CanonicalError(kind=ae.Kind.INVALID_REQUEST, message=":", status=413, code=code)
        once = normalize_rendered(ae.render(error, to="qoder"), "qoder")
        twice = normalize_rendered(ae.render(once, to="qoder"), "qoder")
        assert once.kind is ae.Kind.INVALID_REQUEST, code
        assert (twice.kind, twice.code) == (once.kind, once.code), code
