"""Qoder Cloud Agents API: `{"type": "error", "error": {"type", "message", "param"?, ...}}`.

The same typed envelope is used by Anthropic-style APIs, so types beyond Qoder's own table are
accepted (Anthropic's documented types are listed too); an unknown type falls back to the status.
Qoder's gateway answers 429 or 503 with no envelope at all (burst suppression, DDoS protection)
or resets the connection: those are parsed from the status alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from agent_errors._core._model import CanonicalError, Kind
from agent_errors._core._phrases import asks_for_payment, too_large
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
    from_status,
    json_rendered,
    kind_for_code,
)

NAME: Final = "qoder"
HOSTS: Final = ("api.qoder.com", "openapi.qoder.sh", "api.qoder.com.cn")
BETA_HEADER: Final = "x-qoder-beta"

CODES: Final = code_table(
    # Qoder's documented error types.
    ErrorCode(
        "invalid_request_error", Kind.INVALID_REQUEST, 400, "Invalid or missing request parameters"
    ),
    ErrorCode(
        "authentication_error",
        Kind.AUTHENTICATION,
        401,
        "Authentication failed; token missing or invalid",
    ),
    ErrorCode(
        "permission_error",
        Kind.PERMISSION,
        403,
        "Authenticated but not authorized for the resource",
    ),
    ErrorCode("not_found_error", Kind.NOT_FOUND, 404, "Target resource does not exist"),
    ErrorCode(
        "conflict_error",
        Kind.CONFLICT,
        409,
        "Resource state conflict (for example, duplicate creation)",
    ),
    ErrorCode("api_error", Kind.INTERNAL, 500, "Internal server error"),
    ErrorCode(
        "feature_not_available",
        Kind.FEATURE_NOT_AVAILABLE,
        501,
        "Feature not enabled; activation via Beta header required",
    ),
    # The same envelope as sent by Anthropic-style APIs.
    ErrorCode("request_too_large", Kind.INVALID_REQUEST, 413, "Request exceeds the maximum size"),
    ErrorCode("rate_limit_error", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("billing_error", Kind.PAYMENT_REQUIRED, 402, "Billing or credit problem"),
    ErrorCode("timeout_error", Kind.TIMEOUT, 504, "The request timed out"),
    ErrorCode("overloaded_error", Kind.UNAVAILABLE, 529, "The API is temporarily overloaded"),
)

# Kind -> the type this envelope uses for it, for rendering.
_RENDER_TYPES: Final[Mapping[Kind, str]] = {
    Kind.INVALID_REQUEST: "invalid_request_error",
    Kind.AUTHENTICATION: "authentication_error",
    Kind.PERMISSION: "permission_error",
    Kind.NOT_FOUND: "not_found_error",
    Kind.CONFLICT: "conflict_error",
    Kind.INTERNAL: "api_error",
    Kind.FEATURE_NOT_AVAILABLE: "feature_not_available",
    Kind.RATE_LIMITED: "rate_limit_error",
    Kind.CONCURRENCY_LIMITED: "rate_limit_error",
    Kind.PAYMENT_REQUIRED: "billing_error",
    Kind.TIMEOUT: "timeout_error",
    Kind.UNAVAILABLE: "overloaded_error",
}
# Documented: retry 5xx and 429 with 1 s -> 2 s -> 4 s, at most 3 retries; never 4xx unless the
# request changed; the SDK never retries 409 and sends writes again only with a key.
RETRY_PROFILE: Final[Mapping[str, Any]] = {
    "max_retries": 3,
    "initial_delay": 1.0,
    "multiplier": 2.0,
    "max_delay": 4.0,
    "jitter": "none",
    "max_server_delay": 60.0,
    "retry_4xx": {429},
    "never_retry_statuses": {409},
    "idempotent_methods": {"GET", "HEAD"},
    "idempotency_header": "Idempotency-Key",
    "gateway_statuses": {429, 503},
    "stream_paths": ("sessions/*/events/stream", "sessions/*/threads/*/stream"),
}

PACK: Final = ProviderPack(
    NAME,
    codes=CODES,
    render_codes=_RENDER_TYPES,
    retry=RETRY_PROFILE,
    hosts=HOSTS,
    too_large_at_413=True,
)
"""Everything about Qoder: its types, the type written for each kind, its retry profile, hosts."""

_EXTRA_FIELDS: Final = ("feature", "available_from")
_READ_FIELDS: Final = frozenset({"type", "message", "param", *_EXTRA_FIELDS})
# Types that name a class of errors: an unambiguous message says more (DESIGN, Adapter).
_CLASS_TYPES: Final = frozenset({"invalid_request_error", "api_error"})


def _envelope(view: ResponseView) -> Mapping[str, Any] | None:
    doc = view.json
    if isinstance(doc, dict) and doc.get("type") == "error":
        err = doc.get("error")
        if isinstance(err, dict) and isinstance(err.get("type"), str):
            return err
    return None


def feature_message(feature: str | None, available_from: str | None) -> str:
    """The message for a 501 that came without one (Qoder documents it so)."""
    subject = f"The feature {feature!r}" if feature else "This feature"
    if available_from:
        return (
            f"{subject} is not available without activation; send the beta header "
            f"'{BETA_HEADER}: {available_from}' to enable it."
        )
    return f"{subject} is not available; it needs activation through a beta header."


class QoderAdapter:
    """Adapter for the Qoder Cloud Agents API (and the Anthropic-style typed envelope)."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset({Shape.TYPED_ENVELOPE})
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.95 for a Qoder type in the envelope, 0.8 for any other type in it, else 0."""
        err = _envelope(view)
        if err is None:
            return 0.0
        return 0.95 if err["type"] in CODES else 0.8

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse the envelope; without one, a 4xx/5xx (the gateway's) is read from its status."""
        err = _envelope(view)
        if err is None:
            if view.status is not None and view.status >= 400:
                return from_status(view)
            return None
        code: str = err["type"]
        kind, retryable = kind_for_code(code, CODES, view.status)
        if kind is Kind.UNKNOWN and code not in CODES:
            # Another API's type in this envelope (OpenAI's Responses stream `error` event)
            # with no status to read it by: the generic reader knows more codes.
            return None
        details: dict[str, Any] = {}
        for key in _EXTRA_FIELDS:
            value = err.get(key)
            if value is not None:
                details[key] = value
        details.update({key: value for key, value in err.items() if key not in _READ_FIELDS})
        message = first_str(err.get("message"))
        if (code in _CLASS_TYPES or code not in CODES) and asks_for_payment(message):
            # Anthropic: a 400 invalid_request_error "Your credit balance is too low…"; another
            # API's own type in this envelope (Zhipu's "1113") says no more than its message.
            kind, retryable = Kind.PAYMENT_REQUIRED, None
        elif kind is Kind.RATE_LIMITED and too_large(message, view.status):
            kind, retryable = Kind.INVALID_REQUEST, False
        if kind is Kind.FEATURE_NOT_AVAILABLE:
            beta = first_str(err.get("available_from"))
            if beta:
                details["beta_header"] = {BETA_HEADER: beta}
            if message is None:
                message = feature_message(first_str(err.get("feature")), beta)
        doc = view.json
        request_id = first_str(doc.get("request_id")) if isinstance(doc, dict) else None
        return Parsed(
            kind=kind,
            message=message,
            code=code,
            param=first_str(err.get("param")),
            details=details,
            retryable=retryable,
            request_id=request_id,
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render in Qoder's envelope; kinds it has no type for use `api_error`."""
        status = default_status(error)
        inner: dict[str, Any] = {
            "type": _render_type(error, status),
            "message": error.message,
        }
        if error.param is not None:
            inner["param"] = error.param
        for key in _EXTRA_FIELDS:
            value = error.details.get(key)
            if isinstance(value, str):
                inner[key] = value
        body: dict[str, Any] = {"type": "error", "error": inner}
        if error.request_id is not None:
            body["request_id"] = error.request_id
        return json_rendered(status, body, error=error)


def _render_type(error: CanonicalError, status: int) -> str:
    return PACK.code_to_write(error.code, error.kind, status) or "api_error"


ADAPTER: Final = QoderAdapter()
