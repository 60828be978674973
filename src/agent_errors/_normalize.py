"""normalize(): a response in, a `CanonicalError` (or None for a success) out.

It never raises on the response's content: any status, headers or bytes give a best-effort
canonical error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import _redact
from ._hints import request_id_hint, retry_after_hint, should_retry_hint
from ._model import CanonicalError, Kind, kind_for_status
from ._registry import detect, generic_adapter
from ._view import DEFAULT_BODY_CAP, ResponseView
from .adapter_kit import fallback_error, synthesize_message

if TYPE_CHECKING:
    import httpx

__all__ = ["anormalize", "normalize", "normalize_parts", "normalize_view"]

_logger = logging.getLogger("agent_errors")


def normalize(
    response: httpx.Response, *, provider: str | None = None, cap: int = DEFAULT_BODY_CAP
) -> CanonicalError | None:
    """Return the canonical error in an `httpx.Response`, or None for a success without one.

    Reads at most `cap` bytes of an unread body (see `ResponseView.from_response`). An unread
    success response is left unread unless its declared length fits within the cap, so streamed
    2xx bodies are never consumed here.

    Raises:
        ValueError: `provider` names no registered adapter.
    """
    try:
        if _leave_unread(response, cap):
            view = ResponseView(response.status_code, response.headers, None, url=_url(response))
        else:
            view = ResponseView.from_response(response, cap=cap)
    except Exception:
        _logger.debug("could not read the response", exc_info=True)
        view = ResponseView(getattr(response, "status_code", None), None, None)
    return normalize_view(view, provider=provider)


async def anormalize(
    response: httpx.Response, *, provider: str | None = None, cap: int = DEFAULT_BODY_CAP
) -> CanonicalError | None:
    """Like `normalize`, but reads an unread asynchronous response body (up to `cap` bytes)."""
    try:
        if _leave_unread(response, cap):
            view = ResponseView(response.status_code, response.headers, None, url=_url(response))
        else:
            view = await ResponseView.afrom_response(response, cap=cap)
    except Exception:
        _logger.debug("could not read the response", exc_info=True)
        view = ResponseView(getattr(response, "status_code", None), None, None)
    return normalize_view(view, provider=provider)


def _url(response: httpx.Response) -> str | None:
    try:
        return str(response.request.url)
    except RuntimeError:
        return None


def _leave_unread(response: httpx.Response, cap: int) -> bool:
    """A success whose body is still a stream is not read, unless it is small and declared so."""
    if response.status_code >= 400 or response.is_stream_consumed:
        return False
    try:
        response.content  # noqa: B018 - raises ResponseNotRead while the body is a stream
    except Exception:  # noqa: BLE001
        length = response.headers.get("content-length")
        return not (length is not None and length.isdigit() and int(length) <= cap)
    return False


def normalize_parts(
    status: int | None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    body: bytes | str | None,
    *,
    provider: str | None = None,
    url: str | None = None,
    cap: int = DEFAULT_BODY_CAP,
) -> CanonicalError | None:
    """Return the canonical error for a status, headers and body, or None for a success.

    `status` may be None (a run result or an event from a stream: the body decides). Headers are
    a mapping or (name, value) pairs, any case. `url` is the request URL, used for host-based
    detection. At most `cap` bytes of `body` are looked at.

    Never raises on the response's content. Raises:
        ValueError: `provider` names no registered adapter.
    """
    try:
        view = ResponseView(status, headers, body, url=url, cap=cap)
    except Exception:
        _logger.debug("could not build a view", exc_info=True)
        view = ResponseView(status, None, None, url=None, cap=cap)
    return normalize_view(view, provider=provider)


def normalize_view(view: ResponseView, *, provider: str | None = None) -> CanonicalError | None:
    """Return the canonical error in a `ResponseView`, or None for a success without one.

    Raises:
        ValueError: `provider` names no registered adapter.
    """
    status = view.status
    if (status is None or status < 400) and not view.body:
        return None
    adapter = detect(view, provider)  # raises ValueError for an unknown provider: API misuse
    try:
        error = adapter.parse(view)
        if error is None:
            if status is None or status < 400:
                return None
            if adapter.name != "generic":
                error = generic_adapter().parse(view)
            if error is None:
                error = fallback_error(view, adapter.name)
        return _complete(error, view, trusted=_is_builtin(adapter))
    except Exception:
        _logger.warning(
            "adapter %r failed on a response; using its status", adapter.name, exc_info=True
        )
        return _last_resort(view, adapter.name)


def _is_builtin(adapter: object) -> bool:
    return type(adapter).__module__.startswith("agent_errors.adapters.")


def _complete(error: CanonicalError, view: ResponseView, *, trusted: bool) -> CanonicalError:
    """Add hints (in their priority order), record their sources, and redact secrets."""
    extra: dict[str, Any] = {}
    retry_after, source = retry_after_hint(view, error.kind, error.message)
    if retry_after is None and error.retry_after is not None:
        retry_after, source = error.retry_after, "adapter"
    if source is not None:
        extra["retry_after_source"] = source
    request_id, id_source = request_id_hint(view)
    if request_id is None and error.request_id is not None:
        request_id, id_source = error.request_id, "adapter"
    if id_source is not None:
        extra["request_id_source"] = id_source
    should_retry = should_retry_hint(view)
    if should_retry is not None:
        extra["should_retry"] = should_retry
    if view.truncated and "body_truncated" not in error.details:
        extra["body_truncated"] = True

    details: Mapping[str, Any] = error.details
    message = error.message
    # Built-in adapters build messages and details only from the body, so a body with nothing
    # secret-looking in it needs no redaction pass. Third-party adapters are always redacted.
    if not trusted or _redact.might_contain_secret(view.body):
        details = _redact.redact_value(details)
        message = _redact.redact(message)
        if request_id is not None:
            request_id = _redact.redact(request_id)
    if extra:
        details = {**details, **extra}
    if not message:
        message = synthesize_message(error.kind, error.status, error.code)
    # Built field by field rather than with attrs.evolve: this runs for every error, and evolve
    # costs several times more.
    return CanonicalError(
        error.kind,
        message,
        error.param,
        error.retryable,
        retry_after,
        request_id,
        error.status,
        error.code,
        error.provider,
        details,
    )


def _last_resort(view: ResponseView, provider: str) -> CanonicalError:
    try:
        return _complete(fallback_error(view, provider), view, trusted=False)
    except Exception:  # noqa: BLE001
        kind = kind_for_status(view.status)
        return CanonicalError(
            kind=kind if view.status is not None else Kind.UNKNOWN,
            message=synthesize_message(kind, view.status),
            status=view.status,
            provider=provider,
        )
