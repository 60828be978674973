"""The last step of every normalization: hints in their priority order, their sources, redaction.

Shared by `adapter_kit.build_error` (which finishes an error as it builds it, so the error is
constructed once) and by `normalize_view` (for adapters that build `CanonicalError` themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import _redact
from ._hints import (
    VERDICT_HEADERS,
    body_containers,
    clean_request_id,
    message_request_id,
    request_id_hint,
    retry_after_hint,
    should_retry_hint,
    usable_retry_after,
)
from ._model import CanonicalError, Kind
from ._view import ResponseView

__all__ = ["PARSE_KEYS", "STREAM_KEYS", "STREAM_SOURCE", "finish_fields", "provider_details"]

PARSE_KEYS: Final = frozenset(
    {"retry_after_source", "request_id_source", "should_retry", "body_truncated", "raw_status"}
)
"""The `details` entries normalization adds: they describe one parse, not the provider's error."""

STREAM_SOURCE: Final = "stream"
"""`details["source"]` of an error found in an event stream."""

STREAM_KEYS: Final = frozenset({"source", "event", "event_id"})
"""The `details` entries the SSE reader adds (the stream marker), when `source` is `"stream"`."""


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


def finish_fields(
    view: ResponseView,
    *,
    kind: Kind,
    message: str,
    details: Mapping[str, Any] | None,
    retry_after: float | None,
    request_id: str | None,
    param: str | None,
    code: str | None,
    trusted: bool,
    retryable: bool | None = None,
) -> tuple[str, Mapping[str, Any], float | None, str | None, str | None, str | None]:
    """Return (message, details, retry_after, request_id, param, code) as the error carries them.

    Header and standard body hints win over the adapter's own `retry_after`/`request_id`, which
    are kept only when no standard source gives one (and, for a wait, only when it is usable).
    `details` records the winning sources and the server's retry verdict (the `x-should-retry`
    header, or a body verdict that differs from `retryable`, the error's own).

    Secrets are redacted from every text field and from the keys and strings of `details`,
    whoever built them (`trusted` adapters included): one search over all of the fields' text
    decides whether anything is redacted at all. The request id is always checked.
    """
    containers = body_containers(view)
    extra: dict[str, Any] = {}
    found, source = retry_after_hint(view, kind, message, containers=containers)
    if found is None and usable_retry_after(retry_after):
        found, source = retry_after, "adapter"
    if source is not None:
        extra["retry_after_source"] = source
    rid, id_source = request_id_hint(view, containers=containers)
    if rid is None and request_id is not None:
        rid = clean_request_id(request_id)  # an adapter's id is held to the same rule
        id_source = None if rid is None else "adapter"
    if rid is None:
        rid = message_request_id(message)
        id_source = None if rid is None else "message"
    if id_source is not None:
        extra["request_id_source"] = id_source
    should_retry = should_retry_hint(view, containers=containers)
    if (
        should_retry is not None
        and should_retry is (kind.retryable if retryable is None else retryable)
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
    return message, details, found, rid, param, code


def _safe_raw(value: object) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    try:
        return repr(value)[:100]
    except Exception:  # noqa: BLE001 - an object whose repr raises
        return "<unrepresentable>"
