"""normalize(): a response in, a `CanonicalError` (or None for a success) out.

It never raises on the response's content: any status, headers or bytes give a best-effort
canonical error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from . import _sse
from ._finish import finish_fields
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
    if not view.body:
        if status is None or status < 400:
            return None
    elif view.content_type == "text/event-stream":
        # An event stream (even one that began with a 200) may carry its error as an event.
        found = _sse.error_in_view(view, provider)
        if found is not None:
            return found
    adapter = detect(view, provider)  # raises ValueError for an unknown provider: API misuse
    try:
        error = adapter.parse(view)
        if error is None:
            if status is None or status < 400:
                return None
            if adapter.name != "generic":
                # The body is in no shape the adapter knows (a proxy's page, an unknown JSON
                # shape): read it the generic way, but the error stays the provider's, so that
                # its retry profile and renderer still apply.
                error = generic_adapter().parse(view)
                if error is not None:
                    error = attrs.evolve(error, provider=adapter.name)
            if error is None:
                error = fallback_error(view, adapter.name)
        return _complete(error, view)
    except Exception:
        _logger.warning(
            "adapter %r failed on a response; using its status", adapter.name, exc_info=True
        )
        return _last_resort(view, adapter.name)


def _complete(error: CanonicalError, view: ResponseView) -> CanonicalError:
    """Finish an error an adapter built itself (not through `adapter_kit.build_error`)."""
    if view.finished is error:
        return error
    message = error.message or synthesize_message(error.kind, error.status, error.code)
    message, details, retry_after, request_id = finish_fields(
        view, error.kind, message, error.details, error.retry_after, error.request_id
    )
    return attrs.evolve(
        error, message=message, details=details, retry_after=retry_after, request_id=request_id
    )


def _last_resort(view: ResponseView, provider: str) -> CanonicalError:
    try:
        return _complete(fallback_error(view, provider), view)
    except Exception:  # noqa: BLE001
        kind = kind_for_status(view.status)
        return CanonicalError(
            kind=kind if view.status is not None else Kind.UNKNOWN,
            message=synthesize_message(kind, view.status),
            status=view.status,
            provider=provider,
        )
