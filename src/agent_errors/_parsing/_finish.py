"""The one finishing pass: hints in their priority order, their sources, redaction, the message.

An adapter reads a body into a `Parsed` (what the body says); `finish_error` turns it into the
`CanonicalError` normalization returns, once. `complete` is the same pass over fields that are
already an error's (a third-party adapter's own `CanonicalError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from agent_errors._core import _redact
from agent_errors._core._model import CanonicalError, Kind, status_phrase

from ._hints import (
    VERDICT_HEADERS,
    clean_request_id,
    envoy_rate_limited,
    gather_hints,
    message_request_id,
    usable_retry_after,
)
from ._view import ResponseView

__all__ = [
    "PARSE_KEYS",
    "STREAM_KEYS",
    "STREAM_SOURCE",
    "USE_VIEW_STATUS",
    "Parsed",
    "UseViewStatus",
    "complete",
    "finish_error",
    "provider_details",
    "synthesize_message",
]

PARSE_KEYS: Final = frozenset(
    {"retry_after_source", "request_id_source", "should_retry", "body_truncated", "raw_status"}
)
"""The `details` entries normalization adds: they describe one parse, not the provider's error."""

STREAM_SOURCE: Final = "stream"
"""`details["source"]` of an error found in an event stream."""

STREAM_KEYS: Final = frozenset({"source", "event", "event_id"})
"""The `details` entries the SSE reader adds (the stream marker), when `source` is `"stream"`."""


class UseViewStatus:
    """The type of `USE_VIEW_STATUS`: a `Parsed` whose status is the response's own."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "USE_VIEW_STATUS"


USE_VIEW_STATUS: Final = UseViewStatus()
"""`Parsed.status`'s default: the status of the response the body came with.

Pass a status (or None) only when the body names another one: a run result, a stream event,
an error document wrapped in a 200.
"""


@attrs.frozen(init=False)
class Parsed:
    """What an adapter read from a body, before the core finishes it.

    Only `kind` is required, and only it may be given by position. The core (`finish_error`)
    fills in the rest once: an empty `message` is synthesized from the status and kind,
    `retryable` defaults to the kind's, retry-after and request-id hints are gathered from the
    headers and the usual body fields (an adapter's own `retry_after`/`request_id` are used
    only when none of them gives one), and secrets are redacted from every text field and from
    `details`. The types are not checked, for speed: give each field its annotated type (a
    `CanonicalError` returned by `parse` is checked instead).

    Attributes:
        kind: The canonical kind the adapter resolved.
        message: The provider's message, or None to have one synthesized.
        code: The provider's own code or type, verbatim.
        param: The offending request parameter or header.
        details: Provider extras (field errors, limits, scopes...).
        retryable: Overrides the kind's default when the provider says otherwise.
        status: The status the error stands for; `USE_VIEW_STATUS` (the default) for the
            response's own.
        retry_after: A wait the format carries in a field of its own, in seconds.
        request_id: A request id the format carries in a field of its own.
        provider: The provider the error came from, when the body names it (the canonical
            form does); None for the adapter's name.
    """

    kind: Kind
    message: str | None = None
    code: str | None = None
    param: str | None = None
    details: Mapping[str, Any] | None = None
    retryable: bool | None = None
    status: int | UseViewStatus | None = USE_VIEW_STATUS
    retry_after: float | None = None
    request_id: str | None = None
    provider: str | None = None

    def __init__(
        self,
        kind: Kind,
        *,
        message: str | None = None,
        code: str | None = None,
        param: str | None = None,
        details: Mapping[str, Any] | None = None,
        retryable: bool | None = None,
        status: int | UseViewStatus | None = USE_VIEW_STATUS,
        retry_after: float | None = None,
        request_id: str | None = None,
        provider: str | None = None,
    ) -> None:
        # Through the slots: attrs' frozen __init__ goes through object.__setattr__ field by
        # field, and one of these is made for every error normalized.
        _SET_KIND(self, kind)
        _SET_MESSAGE(self, message)
        _SET_CODE(self, code)
        _SET_PARAM(self, param)
        _SET_DETAILS(self, details)
        _SET_RETRYABLE(self, retryable)
        _SET_STATUS(self, status)
        _SET_RETRY_AFTER(self, retry_after)
        _SET_REQUEST_ID(self, request_id)
        _SET_PROVIDER(self, provider)


_SLOTS: Final[Mapping[str, Any]] = Parsed.__dict__
_SET_KIND: Final = _SLOTS["kind"].__set__
_SET_MESSAGE: Final = _SLOTS["message"].__set__
_SET_CODE: Final = _SLOTS["code"].__set__
_SET_PARAM: Final = _SLOTS["param"].__set__
_SET_DETAILS: Final = _SLOTS["details"].__set__
_SET_RETRYABLE: Final = _SLOTS["retryable"].__set__
_SET_STATUS: Final = _SLOTS["status"].__set__
_SET_RETRY_AFTER: Final = _SLOTS["retry_after"].__set__
_SET_REQUEST_ID: Final = _SLOTS["request_id"].__set__
_SET_PROVIDER: Final = _SLOTS["provider"].__set__


def provider_details(error: CanonicalError) -> dict[str, Any]:
    """Return `error.details` without what the core added while normalizing.

    Drops `PARSE_KEYS`, and the stream marker (`STREAM_KEYS`) when `details["source"]` is
    `"stream"`: a renderer writes the provider's error, not how one response was read.
    """
    details = error.details
    stream = details.get("source") == STREAM_SOURCE
    return {
        key: value
        for key, value in details.items()
        if key not in PARSE_KEYS and not (stream and key in STREAM_KEYS)
    }


_KIND_TEXT: Final = {
    Kind.INVALID_REQUEST: "The request was invalid.",
    Kind.AUTHENTICATION: "Authentication failed.",
    Kind.PERMISSION: "Permission denied.",
    Kind.NOT_FOUND: "The resource was not found.",
    Kind.CONFLICT: "The request conflicts with the current state of the resource.",
    Kind.PAYMENT_REQUIRED: "Payment required: credits, quota or budget exhausted.",
    Kind.RATE_LIMITED: "Rate limited: too many requests.",
    Kind.CONCURRENCY_LIMITED: "Too many concurrent requests or runs.",
    Kind.FEATURE_NOT_AVAILABLE: "The feature is not available.",
    Kind.TIMEOUT: "The request timed out.",
    Kind.UNAVAILABLE: "The service is temporarily unavailable.",
    Kind.INTERNAL: "The server failed unexpectedly.",
    Kind.NETWORK: "No response was received.",
    Kind.CANCELLED: "The run was cancelled.",
    Kind.RUN_FAILED: "The run failed.",
    Kind.UNKNOWN: "An unknown error occurred.",
}


def synthesize_message(kind: Kind, status: int | None, code: str | None = None) -> str:
    """Return a message for an error whose provider sent none."""
    text = _KIND_TEXT[kind]
    if status is not None:
        text = f"{status_phrase(status)}: {text}"
    if code:
        text = f"{text} (code: {code})"
    return text


def finish_error(view: ResponseView, parsed: Parsed, provider: str) -> CanonicalError:
    """Return the finished `CanonicalError` for what an adapter read from `view`.

    `provider` is the adapter's name, used unless `parsed.provider` names another. The kind
    is the adapter's, except that Envoy's rate-limit filter (an `unavailable` 503 that the
    `x-envoy-ratelimited` header marks) is `rate_limited`. A 505 (HTTP Version Not Supported)
    is not retryable unless the adapter says otherwise: it answers every attempt the same.
    """
    kind = parsed.kind
    status = parsed.status
    if status is USE_VIEW_STATUS:
        status = view.status
    assert not isinstance(status, UseViewStatus)  # for mypy: the sentinel is replaced above
    if kind is Kind.UNAVAILABLE and envoy_rate_limited(view):
        kind = Kind.RATE_LIMITED  # Envoy's rate-limit filter, not an outage
    stated = parsed.retryable
    return complete(
        view,
        kind=kind,
        message=parsed.message,
        param=parsed.param,
        retryable=(kind.retryable and status != 505) if stated is None else stated,
        stated_retryable=kind.retryable if stated is None else stated,
        retry_after=parsed.retry_after,
        request_id=parsed.request_id,
        status=status,
        code=parsed.code,
        provider=parsed.provider or provider,
        details=parsed.details,
    )


def complete(
    view: ResponseView,
    *,
    kind: Kind,
    message: str | None,
    param: str | None,
    retryable: bool,
    stated_retryable: bool,
    retry_after: float | None,
    request_id: str | None,
    status: int | None,
    code: str | None,
    provider: str,
    details: Mapping[str, Any] | None,
) -> CanonicalError:
    """Return the `CanonicalError` with these fields, finished: the pass itself.

    An empty `message` is synthesized. Header and standard body hints win over the given
    `retry_after`/`request_id` (the format's own), which are kept only when no standard source
    gives one (and, for a wait, only when it is usable). `details` records the winning sources
    and the server's retry verdict (the `x-should-retry` header, or a body verdict that differs
    from `stated_retryable`, what the error itself says).

    Secrets are redacted from every text field and from the keys and strings of `details`:
    one search over all of the fields' text decides whether anything is redacted at all. The
    request id is always checked.
    """
    if not message:
        message = synthesize_message(kind, status, code)
    extra: dict[str, Any] = {}
    found, source, rid, id_source, should_retry = gather_hints(view, kind, message)
    if found is None and usable_retry_after(retry_after):
        found, source = retry_after, "adapter"
    if source is not None:
        extra["retry_after_source"] = source
    if rid is None and request_id is not None:
        rid = clean_request_id(request_id)  # an adapter's id is held to the same rule
        id_source = None if rid is None else "adapter"
    if rid is None:
        rid = message_request_id(message)
        id_source = None if rid is None else "message"
    if id_source is not None:
        extra["request_id_source"] = id_source
    if (
        should_retry is not None
        and should_retry is stated_retryable
        and not any(name in view.headers.lowered for name in VERDICT_HEADERS)
    ):
        # A verdict in the body that repeats what the error already says adds nothing (a
        # problem+json `retryable` member is the error's own field).
        should_retry = None
    if should_retry is not None:
        extra["should_retry"] = should_retry
    if view.truncated:
        extra["body_truncated"] = True
    if view.raw_status is not None:
        raw = _safe_raw(view.raw_status)
        extra["raw_status"] = _redact.redact(raw) if isinstance(raw, str) else raw

    # The values themselves, wherever they came from (body, headers, synthesized), never a proxy
    # such as the body: a code taken from `x-amzn-errortype` is not in the body.
    if _redact.needs_redaction(message, param, code, details=details):
        message = _redact.redact(message)
        details = _redact.redact_value(details) if details else details
        param = _redact.redact(param) if param else param
        code = _redact.redact(code) if code else code
    if rid:
        rid = _redact.redact(rid)
    if details:
        if extra:
            details = {**details, **extra}
    else:
        details = extra
    return CanonicalError(
        kind=kind,
        message=message,
        param=param,
        retryable=retryable,
        retry_after=found,
        request_id=rid,
        status=status,
        code=code,
        provider=provider,
        details=details,
    )


def _safe_raw(value: object) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    try:
        return repr(value)[:100]
    except Exception:  # noqa: BLE001 - an object whose repr raises
        return "<unrepresentable>"
