"""21st.dev Agents SDK: `{"error": {"code", "message", "status", "retryAfter"?}}`.

Codes are lower_snake and the HTTP status is repeated inside the error object; `retryAfter` is
in seconds (sent on 429, read by the core). A newer version of the page adds 422 and the codes
`validation_error`, `conflict`, `credential_cap_exceeded` and `vault_coverage_missing`.
`budget_exceeded` ("exceeded a configured budget", `maxBudgetUsd`) is payment_required whatever
status carries it. A 503 ("sandbox runtime is temporarily unavailable") has no code of its own;
like any unknown code it falls back to its status.
"""

from __future__ import annotations

import re
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
    body_status,
    code_table,
    default_status,
    error_status,
    finish_error,
    first_str,
    json_rendered,
    kind_for_code,
    whole_seconds,
)

NAME: Final = "agents_sdk"
HOSTS: Final[tuple[str, ...]] = ()

CODES: Final = code_table(
    ErrorCode(
        "invalid_request",
        Kind.INVALID_REQUEST,
        400,
        "The request body is malformed or missing required fields",
    ),
    ErrorCode("validation_error", Kind.INVALID_REQUEST, 422, "The request failed validation"),
    ErrorCode(
        "credential_cap_exceeded",
        Kind.INVALID_REQUEST,
        400,
        "The vault already holds the maximum of 20 active credentials",
    ),
    ErrorCode(
        "vault_coverage_missing",
        Kind.INVALID_REQUEST,
        400,
        "No vault credential covers a server the request needs",
    ),
    ErrorCode(
        "unauthorized", Kind.AUTHENTICATION, 401, "The API key is invalid, expired, or missing"
    ),
    ErrorCode(
        "forbidden", Kind.PERMISSION, 403, "The API key does not have permission for this operation"
    ),
    ErrorCode(
        "not_found",
        Kind.NOT_FOUND,
        404,
        "The specified resource (sandbox, thread, etc.) does not exist",
    ),
    ErrorCode(
        "conflict",
        Kind.CONFLICT,
        409,
        "Duplicate credential for the same server URL, or hard delete without archive",
    ),
    ErrorCode("stream_active", Kind.CONFLICT, 409, "A stream is already active for this sandbox"),
    ErrorCode(
        "budget_exceeded", Kind.PAYMENT_REQUIRED, None, "The request exceeded a configured budget"
    ),
    ErrorCode("rate_limit_exceeded", Kind.RATE_LIMITED, 429, "Too many requests in a short period"),
    ErrorCode("sandbox_error", Kind.INTERNAL, 500, "The sandbox encountered a runtime error"),
)

# Kind -> the code this API uses for it, for rendering (503 has no code of its own).
_RENDER_CODES: Final[Mapping[Kind, str]] = {
    Kind.INVALID_REQUEST: "invalid_request",
    Kind.AUTHENTICATION: "unauthorized",
    Kind.PERMISSION: "forbidden",
    Kind.NOT_FOUND: "not_found",
    Kind.CONFLICT: "conflict",
    Kind.PAYMENT_REQUIRED: "budget_exceeded",
    Kind.RATE_LIMITED: "rate_limit_exceeded",
    Kind.INTERNAL: "sandbox_error",
    Kind.UNAVAILABLE: "service_unavailable",
}
# Documented: a 429 carries retryAfter in seconds (60 in the example); 500/503 are transient.
RETRY_PROFILE: Final[Mapping[str, Any]] = {"max_server_delay": 120.0, "jitter": "equal"}

PACK: Final = ProviderPack(
    NAME, codes=CODES, render_codes=_RENDER_CODES, retry=RETRY_PROFILE, hosts=HOSTS
)
"""Everything about the 21st.dev Agents SDK API: codes, the code for each kind, retry profile."""

# The documented example names its field in the message ("sandboxId is required").
_REQUIRED_RE: Final = re.compile(r"\A\s*([A-Za-z_][\w.]*) is required\.?\s*\Z")
_ENVELOPE_KEYS: Final = frozenset({"code", "message", "status", "retryAfter", "details"})


def _error(view: ResponseView) -> Mapping[str, Any] | None:
    err = view.error_object
    if err is not None and isinstance(err.get("code"), str):
        return err
    return None


class AgentsSDKAdapter:
    """Adapter for the 21st.dev Agents SDK API."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset({Shape.TYPED_ENVELOPE, Shape.CANONICAL, Shape.CODE_STATUS})
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.9 for a documented code with an integer `status` beside it, 0.6 for another code.

        The string `code` next to an integer HTTP `status` inside `error` is what sets the format
        apart (google.rpc has them the other way round); without the status nothing is claimed.
        """
        err = _error(view)
        if err is None or body_status(err.get("status")) is None:
            return 0.0
        if err["code"] in CODES:
            return 0.9
        return 0.6 if set(err) <= _ENVELOPE_KEYS else 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse the envelope; None when the body has none."""
        err = _error(view)
        if err is None:
            return None
        code: str = err["code"]
        in_body = body_status(err.get("status"))
        # An error event in a stream (or a 200 wrapping it): the body's status is the one.
        status = error_status(view, in_body)
        kind, retryable = kind_for_code(code, CODES, status)
        details: dict[str, Any] = {
            key: value for key, value in err.items() if key not in {"code", "message", "status"}
        }
        if in_body is not None and in_body != view.status:
            details["body_status"] = in_body
        message = first_str(err.get("message"))
        found = _REQUIRED_RE.match(message) if message is not None else None
        return Parsed(
            kind=kind,
            message=message,
            code=code,
            param=found.group(1) if found is not None else None,
            details=details,
            retryable=retryable,
            status=status,
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render the envelope, with `retryAfter` (whole seconds) when there is a wait."""
        status = default_status(error)
        inner: dict[str, Any] = {
            "code": _render_code(error, status),
            "message": error.message,
            "status": status,
        }
        if error.retry_after is not None:
            inner["retryAfter"] = whole_seconds(error.retry_after)
        return json_rendered(status, {"error": inner}, error=error)


def _render_code(error: CanonicalError, status: int) -> str:
    # A foreign code becomes this API's own for the kind; only a kind it has no code for, nor
    # the status, keeps the error's code, which reads back through the status.
    return PACK.code_to_write(error.code, error.kind, status) or error.code or error.kind.value


ADAPTER: Final = AgentsSDKAdapter()
