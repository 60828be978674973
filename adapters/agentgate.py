"""AgentGate: `{"error": {"code", "message", "details"?}}`, and failed run results.

Codes are UPPER_SNAKE and documented per status (the table below). `details` varies by code:
`errors[] {field, message}` for validation, `requiredScope`/`availableScopes` for permissions,
`estimatedCost`/`availableCredits` (another page says `required`/`available`) for credits,
`limit`/`remaining`/`resetAt` for rate limits and `requestId` on server errors.

Run errors arrive in a run result rather than an HTTP error:
`{"id": "run_…", "status": "failed", "error": {"code", "message", "details"}}`. They are parsed
too, with `status` None and the run id kept in `details["run_id"]`. Every response carries
`X-RateLimit-*` headers; a 429 adds `Retry-After` (the core reads both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from agent_errors._core._model import CanonicalError, Kind
from agent_errors.adapter_kit import (
    ErrorCode,
    Parsed,
    ProviderPack,
    Rendered,
    ResponseView,
    Shape,
    code_table,
    default_status,
    finish_error,
    first_str,
    is_number,
    json_rendered,
    kind_for_code,
)

NAME: Final = "agentgate"
HOSTS: Final[tuple[str, ...]] = ()

CODES: Final = code_table(
    # Authentication errors (401)
    ErrorCode("MISSING_API_KEY", Kind.AUTHENTICATION, 401, "No API key provided"),
    ErrorCode("INVALID_API_KEY", Kind.AUTHENTICATION, 401, "API key format invalid"),
    ErrorCode("EXPIRED_API_KEY", Kind.AUTHENTICATION, 401, "API key has been revoked"),
    ErrorCode("INVALID_API_KEY_FORMAT", Kind.AUTHENTICATION, 401, "Malformed authorization header"),
    # Authorization errors (403)
    ErrorCode("INSUFFICIENT_PERMISSIONS", Kind.PERMISSION, 403, "Key lacks required scope"),
    ErrorCode("SCOPE_REQUIRED", Kind.PERMISSION, 403, "Specific scope needed"),
    ErrorCode("ORGANIZATION_SUSPENDED", Kind.PERMISSION, 403, "Organization access suspended"),
    # Validation errors (400)
    ErrorCode("INVALID_REQUEST", Kind.INVALID_REQUEST, 400, "Request body invalid"),
    ErrorCode("MISSING_FIELD", Kind.INVALID_REQUEST, 400, "Required field missing"),
    ErrorCode("INVALID_FORMAT", Kind.INVALID_REQUEST, 400, "Field format invalid"),
    ErrorCode("INVALID_VALUE", Kind.INVALID_REQUEST, 400, "Field value not allowed"),
    # Payment errors (402)
    ErrorCode("INSUFFICIENT_CREDITS", Kind.PAYMENT_REQUIRED, 402, "Not enough credits"),
    ErrorCode("BILLING_ERROR", Kind.PAYMENT_REQUIRED, 402, "Billing configuration issue"),
    # Not found errors (404)
    ErrorCode("RESOURCE_NOT_FOUND", Kind.NOT_FOUND, 404, "Resource doesn't exist"),
    ErrorCode("RUN_NOT_FOUND", Kind.NOT_FOUND, 404, "Run ID not found"),
    ErrorCode("WORK_ORDER_NOT_FOUND", Kind.NOT_FOUND, 404, "Work order ID not found"),
    ErrorCode("WEBHOOK_NOT_FOUND", Kind.NOT_FOUND, 404, "Webhook ID not found"),
    ErrorCode("TEMPLATE_NOT_FOUND", Kind.NOT_FOUND, 404, "Template ID not found"),
    # Rate limit errors (429)
    ErrorCode("RATE_LIMITED", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("CONCURRENT_LIMIT", Kind.CONCURRENCY_LIMITED, 429, "Too many concurrent runs"),
    # Server errors (5xx)
    ErrorCode("INTERNAL_ERROR", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("SERVICE_UNAVAILABLE", Kind.UNAVAILABLE, 503, "Service temporarily unavailable"),
    ErrorCode("TIMEOUT", Kind.TIMEOUT, 504, "Request timed out"),
    # Run error codes: in failed run results, not API responses.
    ErrorCode("MAX_ITERATIONS_REACHED", Kind.RUN_FAILED, None, "Didn't converge in time"),
    ErrorCode("VERIFICATION_FAILED", Kind.RUN_FAILED, None, "Verification never passed"),
    ErrorCode("WORKSPACE_ERROR", Kind.RUN_FAILED, None, "Workspace setup failed"),
    # A run that took too long is an outcome, not a transient failure: running it again as it
    # was would time out again.
    ErrorCode("EXECUTION_TIMEOUT", Kind.TIMEOUT, None, "Run took too long", retryable=False),
    ErrorCode("CANCELLED", Kind.CANCELLED, None, "User cancelled run"),
)

# Kind -> the code AgentGate uses for it, for rendering.
_RENDER_CODES: Final[Mapping[Kind, str]] = {
    Kind.INVALID_REQUEST: "INVALID_REQUEST",
    Kind.AUTHENTICATION: "INVALID_API_KEY",
    Kind.PERMISSION: "INSUFFICIENT_PERMISSIONS",
    Kind.NOT_FOUND: "RESOURCE_NOT_FOUND",
    Kind.PAYMENT_REQUIRED: "INSUFFICIENT_CREDITS",
    Kind.RATE_LIMITED: "RATE_LIMITED",
    Kind.CONCURRENCY_LIMITED: "CONCURRENT_LIMIT",
    Kind.INTERNAL: "INTERNAL_ERROR",
    Kind.UNAVAILABLE: "SERVICE_UNAVAILABLE",
    Kind.TIMEOUT: "TIMEOUT",
    Kind.RUN_FAILED: "MAX_ITERATIONS_REACHED",
    Kind.CANCELLED: "CANCELLED",
}
# Documented: on 429 wait Retry-After (or 60 s); else min(1000 * 2^attempt, 30000) ms,
# 3 attempts in all.
RETRY_PROFILE: Final[Mapping[str, Any]] = {
    "max_retries": 2,
    "initial_delay": 1.0,
    "multiplier": 2.0,
    "max_delay": 30.0,
    "jitter": "equal",
    "max_server_delay": 120.0,
    "throttle_default": 60.0,
}

PACK: Final = ProviderPack(
    NAME, codes=CODES, render_codes=_RENDER_CODES, retry=RETRY_PROFILE, hosts=HOSTS
)
"""Everything about AgentGate: its codes, the code written for each kind, its retry profile."""

_RUN_KINDS: Final = frozenset({Kind.RUN_FAILED, Kind.CANCELLED})
_RUN_STATUSES: Final = frozenset({"failed", "cancelled", "canceled", "timed_out", "error"})
_ENVELOPE_KEYS: Final = frozenset({"code", "message", "details"})


def _error(view: ResponseView) -> tuple[Mapping[str, Any], Mapping[str, Any] | None] | None:
    """(error object, run result) when the body holds an AgentGate error; None otherwise."""
    doc = view.json
    if not isinstance(doc, dict):
        return None
    err = doc.get("error")
    if not isinstance(err, dict) or not isinstance(err.get("code"), str):
        return None
    run_status = doc.get("status")
    if isinstance(run_status, str) and (
        run_status.lower() in _RUN_STATUSES or str(doc.get("id", "")).startswith("run_")
    ):
        return err, doc
    return err, None


def _first_field(details: Mapping[str, Any]) -> str | None:
    errors = details.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                field = first_str(item.get("field"), item.get("path"))
                if field is not None:
                    return field
    return first_str(details.get("field"))


def _summaries(details: Mapping[str, Any]) -> dict[str, Any]:
    """Scopes, credits and limits under one spelling, whichever page's names were used."""
    found: dict[str, Any] = {}
    if "requiredScope" in details or "availableScopes" in details:
        found["scopes"] = {
            "required": details.get("requiredScope"),
            "available": details.get("availableScopes"),
        }
    required = details.get("estimatedCost", details.get("required"))
    available = details.get("availableCredits", details.get("available"))
    if is_number(required) or is_number(available):
        found["credits"] = {"required": required, "available": available}
    if "limit" in details or "remaining" in details or "resetAt" in details:
        found["rate_limit"] = {
            "limit": details.get("limit"),
            "remaining": details.get("remaining"),
            "reset_at": details.get("resetAt"),
        }
    return found


class AgentGateAdapter:
    """Adapter for the AgentGate API and its failed run results."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset(
        {Shape.TYPED_ENVELOPE, Shape.CANONICAL, Shape.CODE_STATUS, Shape.CODE_DETAILS}
    )
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.9 for a documented code or a run result, 0.6 for a documented code with extra keys.

        An unknown UPPER_SNAKE code in the same three keys scores 0.4: many APIs share that shape.
        """
        found = _error(view)
        if found is None:
            return 0.0
        err, run = found
        if run is not None:
            return 0.9
        exact = set(err) <= _ENVELOPE_KEYS and (
            "details" not in err or isinstance(err["details"], dict)
        )
        if err["code"] in CODES:
            return 0.9 if exact else 0.6
        code: str = err["code"]
        return 0.4 if exact and code.isupper() else 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse an error envelope or a failed run result; None when the body has neither."""
        found = _error(view)
        if found is None:
            return None
        err, run = found
        code: str = err["code"]
        raw = err.get("details")
        extra: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        details: dict[str, Any] = dict(extra)
        details.update(_summaries(extra))
        if run is not None:
            status = None
            kind, retryable = kind_for_code(code, CODES, None)
            if kind is Kind.UNKNOWN:
                cancelled = run.get("status") in ("cancelled", "canceled")
                kind = Kind.CANCELLED if cancelled else Kind.RUN_FAILED
            run_id = first_str(run.get("id"))
            if run_id is not None:
                details["run_id"] = run_id
            details["run_status"] = run.get("status")
        else:
            status = view.status
            kind, retryable = kind_for_code(code, CODES, status)
        return Parsed(
            kind=kind,
            message=first_str(err.get("message")),
            code=code,
            param=_first_field(extra),
            details=details,
            retryable=retryable,
            status=status,
            request_id=first_str(extra.get("requestId")),
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render AgentGate's envelope; a run outcome without a status as a failed run result."""
        code = _render_code(error)
        inner: dict[str, Any] = {"code": code, "message": error.message}
        details: dict[str, Any] = {}
        if error.param is not None:
            details["errors"] = [{"field": error.param, "message": error.message}]
        if error.request_id is not None:
            details["requestId"] = error.request_id
        if details:
            inner["details"] = details
        is_run = error.status is None and (
            error.kind in _RUN_KINDS or (code in CODES and CODES[code].status is None)
        )
        if is_run:
            run_id = first_str(error.details.get("run_id")) or "run_unknown"
            status = "cancelled" if error.kind is Kind.CANCELLED else "failed"
            return json_rendered(200, {"id": run_id, "status": status, "error": inner}, error=error)
        return json_rendered(default_status(error), {"error": inner}, error=error)


def _render_code(error: CanonicalError) -> str:
    # A code that is not AgentGate's for the kind (another provider's `rate_limit_exceeded`)
    # becomes AgentGate's own; only a kind AgentGate has no code for, nor the status, keeps the
    # error's code, which reads back through the status (or, in a run, the run's status).
    status = default_status(error)
    code = PACK.code_to_write(error.code, error.kind, status)
    return code or error.code or error.kind.value.upper()


ADAPTER: Final = AgentGateAdapter()
