"""The error formats of the OpenAI and Anthropic APIs, written so their own SDKs read them.

A gateway that fronts agent platforms for clients built on the `openai` or `anthropic` SDKs
renders every error in that client's dialect (`render(error, to="openai")`,
`ErrorMiddleware(app, render_as="anthropic")`): the SDK then raises its own exception class for
the status (`RateLimitError`, `AuthenticationError`, `OverloadedError`, …), honours
`Retry-After` / `retry-after-ms` and `x-should-retry` in its retry loop, and reports the request
id from its own header (`x-request-id` for OpenAI, `request-id` for Anthropic).

The code (OpenAI) and type (Anthropic) words are the providers' documented ones for each kind,
read from the `openai` and `anthropic` provider packs (`_packs.PROFILE_PACKS`); the provider's
own code stays in `details` of the canonical error and is not sent to a client that would not
know it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from agent_errors._core import _json
from agent_errors._core._model import CanonicalError, Kind
from agent_errors.adapter_kit import Rendered, default_status

from ._packs import PROFILE_PACKS

__all__ = ["DIALECTS", "render_anthropic", "render_openai"]

# kind -> error.type as the OpenAI API documents it (error-codes guide); error.code is the
# `openai` pack's code for the kind (none for invalid_request and unknown).
_OPENAI_TYPES: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        Kind.INVALID_REQUEST: "invalid_request_error",
        Kind.AUTHENTICATION: "invalid_request_error",
        Kind.PERMISSION: "invalid_request_error",
        Kind.NOT_FOUND: "invalid_request_error",
        Kind.CONFLICT: "invalid_request_error",
        Kind.PAYMENT_REQUIRED: "insufficient_quota",
        Kind.RATE_LIMITED: "requests",
        Kind.CONCURRENCY_LIMITED: "requests",
        Kind.FEATURE_NOT_AVAILABLE: "invalid_request_error",
        Kind.TIMEOUT: "server_error",
        Kind.UNAVAILABLE: "server_error",
        Kind.INTERNAL: "server_error",
        Kind.NETWORK: "server_error",
        Kind.CANCELLED: "invalid_request_error",
        Kind.RUN_FAILED: "server_error",
        Kind.UNKNOWN: "server_error",
    }
)
_OPENAI_CODES: Final = PROFILE_PACKS["openai"].render_codes
# kind -> error.type as the Anthropic API documents it: the `anthropic` pack's code for the kind.
_ANTHROPIC_TYPES: Final = PROFILE_PACKS["anthropic"].render_codes

# Statuses a kind takes when the error carries none (a stream event, a transport failure):
# those the SDKs map to the kind's own exception class.
_STATUS: Final[Mapping[Kind, int]] = MappingProxyType(
    {Kind.NETWORK: 502, Kind.RUN_FAILED: 500, Kind.CANCELLED: 400, Kind.UNKNOWN: 500}
)


def _status(error: CanonicalError, overloaded: int | None = None) -> int:
    if error.status is None or not 400 <= error.status <= 599:
        if error.kind is Kind.UNAVAILABLE and overloaded is not None:
            return overloaded
        found = _STATUS.get(error.kind)
        if found is not None:
            return found
    return default_status(error)


def _retry_headers(error: CanonicalError) -> list[tuple[str, str]]:
    """`retry-after` (whole seconds), `retry-after-ms` and `x-should-retry`, as both SDKs read."""
    headers: list[tuple[str, str]] = []
    wait = error.retry_after
    if wait is not None and math.isfinite(wait) and wait >= 0:
        headers.append(("retry-after", str(math.ceil(wait))))
        headers.append(("retry-after-ms", str(math.ceil(wait * 1000))))
    # The SDKs retry 408/409/429/5xx on their own; say what the error itself says.
    headers.append(("x-should-retry", "true" if error.retryable else "false"))
    return headers


def render_openai(error: CanonicalError) -> Rendered:
    """Return `error` as the OpenAI API sends errors: `{"error": {message, type, param, code}}`."""
    body = {
        "error": {
            "message": error.message,
            "type": _OPENAI_TYPES[error.kind],
            "param": error.param,
            "code": _OPENAI_CODES.get(error.kind),
        }
    }
    headers = [("content-type", "application/json"), *_retry_headers(error)]
    if error.request_id:
        headers.append(("x-request-id", error.request_id))
    return Rendered(status=_status(error), headers=tuple(headers), body=_json.dumps(body))


def render_anthropic(error: CanonicalError) -> Rendered:
    """Return `error` as the Anthropic API sends errors: `{"type": "error", "error": {...}}`."""
    body: dict[str, object] = {
        "type": "error",
        "error": {"type": _ANTHROPIC_TYPES.get(error.kind, "api_error"), "message": error.message},
    }
    headers = [("content-type", "application/json"), *_retry_headers(error)]
    if error.request_id:
        body["request_id"] = error.request_id
        headers.append(("request-id", error.request_id))
    return Rendered(
        status=_status(error, overloaded=529), headers=tuple(headers), body=_json.dumps(body)
    )


DIALECTS: Final[Mapping[str, Callable[[CanonicalError], Rendered]]] = MappingProxyType(
    {"openai": render_openai, "anthropic": render_anthropic}
)
"""Render-only formats: the name `render(..., to=)` takes, and the writer."""
