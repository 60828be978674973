"""normalize(): a response in, a `CanonicalError` (or None for a success) out.

It never raises on the response's content: any status, headers or bytes give a best-effort
canonical error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from agent_errors._core import _redact
from agent_errors._core._error_document import is_error_document
from agent_errors._core._escape import LOG_FIELD_LIMIT, escape_text
from agent_errors._core._model import CanonicalError, Kind, kind_for_status
from agent_errors._core._reading import check_deadline as _check_deadline
from agent_errors._core._sse import looks_like_event_stream
from agent_errors.adapter_kit import from_status

from . import _events, _inputs
from ._finish import complete, finish_error, synthesize_message
from ._hints import usable_retry_after
from ._registry import detect, generic_adapter
from ._view import DEFAULT_BODY_CAP, DEFAULT_READ_DEADLINE, ResponseView, coerce_status, request_url

if TYPE_CHECKING:
    import httpx

__all__ = [
    "anormalize",
    "error_from_event",
    "headers_only",
    "normalize",
    "normalize_parts",
    "normalize_view",
]

_logger = logging.getLogger("agent_errors")


def normalize(
    response: object,
    *,
    provider: str | None = None,
    cap: int = DEFAULT_BODY_CAP,
    read_deadline: float | None = DEFAULT_READ_DEADLINE,
) -> CanonicalError | None:
    """Return the canonical error in a response, or None for a success without one.

    `response` is what the caller holds: an `httpx.Response` or `requests.Response`; an
    exception that carries a response (`httpx.HTTPStatusError`, `requests.HTTPError`, the openai
    and anthropic SDKs' `APIStatusError`, read from their response with its headers, so
    Retry-After and the request id are kept); botocore's `ClientError` (its parsed error, status,
    headers and request id); google-api-core's `GoogleAPICallError`; or aiohttp's
    `ClientResponseError`. An `aiohttp.ClientResponse` needs `anormalize`.

    Reads at most `cap` bytes of an unread body, decoded with an output bound whatever its
    content-coding, and for at most `read_deadline` seconds (None: no deadline; checked between
    chunks, so one blocking read may add up to httpx's read timeout); the error is classified
    from what arrived. The response keeps its whole body as a stream: what was read, then the
    rest (see `ResponseView.from_response`). A response whose body cannot be read is judged by
    its status and headers. An unread success response is left unread unless its declared
    length fits within the cap, so streamed 2xx bodies are never consumed here.

    Raises:
        TypeError: `response` is none of the types above (None, a number, a string...).
        ValueError: `provider` names no registered adapter, or `read_deadline` is not None or
            a positive number of seconds.
    """
    _check_deadline(read_deadline)
    prepared = _inputs.prepare(response, cap, read_deadline)
    if isinstance(prepared, ResponseView):
        return normalize_view(prepared, provider=provider)
    response = prepared
    try:
        if _leave_unread(response, cap):
            view = headers_only(response)
        else:
            view = ResponseView.from_response(response, cap=cap, read_deadline=read_deadline)
    except Exception:
        _logger.debug("could not read the response", exc_info=True)
        view = headers_only(response)
    return normalize_view(view, provider=provider)


async def anormalize(
    response: object,
    *,
    provider: str | None = None,
    cap: int = DEFAULT_BODY_CAP,
    read_deadline: float | None = DEFAULT_READ_DEADLINE,
) -> CanonicalError | None:
    """Like `normalize`, but reads an unread asynchronous response body (up to `cap` bytes).

    Accepts everything `normalize` does, and also an `aiohttp.ClientResponse`, whose unread
    body is read with `content.read()` up to `cap` bytes. The `read_deadline` also cancels a
    read in flight (see `ResponseView.afrom_response`).

    Raises:
        TypeError: `response` is none of the accepted types.
        ValueError: `provider` names no registered adapter, or `read_deadline` is not None or
            a positive number of seconds.
    """
    _check_deadline(read_deadline)
    prepared = await _inputs.aprepare(response, cap, read_deadline)
    if isinstance(prepared, ResponseView):
        return normalize_view(prepared, provider=provider)
    response = prepared
    try:
        if _leave_unread(response, cap):
            view = headers_only(response)
        else:
            view = await ResponseView.afrom_response(response, cap=cap, read_deadline=read_deadline)
    except Exception:
        _logger.debug("could not read the response", exc_info=True)
        view = headers_only(response)
    return normalize_view(view, provider=provider)


def headers_only(response: object) -> ResponseView:
    """The status, headers and URL of a response whose body could not be read.

    The headers still carry Retry-After and the request id, so they are kept when they can be.
    """
    status = _attribute(response, "status_code")
    return ResponseView(status, _attribute(response, "headers"), None, url=request_url(response))


def _attribute(obj: object, name: str) -> object:
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a property that raises is as good as a missing one
        return None


def _leave_unread(response: httpx.Response, cap: int) -> bool:
    """A success whose body is still a stream is not read, unless it is small and declared so.

    Only an uncompressed body's Content-Length says how much will be read: a compressed one
    may inflate past the cap, and reading it would then destroy the caller's success body.
    """
    if response.status_code >= 400 or response.is_stream_consumed:
        return False
    try:
        response.content  # noqa: B018 - raises ResponseNotRead while the body is a stream
    except Exception:  # noqa: BLE001
        headers = response.headers
        if headers.get("content-encoding", "identity").strip().lower() != "identity":
            return True
        length = headers.get("content-length")
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
        if view.raw_status is None and (status is None or status < 400):
            return None
    elif (
        "event-stream" in view.headers.lowered.get("content-type", "")
        and view.content_type == "text/event-stream"
    ) or (view.json is None and looks_like_event_stream(view.body)):
        # An event stream (even one that began with a 200) may carry its error as an event.
        found = _events.read_stream(view, normalize_view, provider)
        if found is not None:
            return found
    adapter = detect(view, provider)  # raises ValueError for an unknown provider: API misuse
    try:
        read = getattr(adapter, "read", None)
        if read is None:
            error = adapter.parse(view)
            if error is not None:
                return _complete(error, view, trusted=False)
            if not _is_error(view):
                return None  # a third-party adapter's None for a success is final
            parsed = None
        else:
            parsed = read(view)
        name = adapter.name
        if parsed is None and name != "generic":
            # The body is in no shape the adapter knows (a proxy's page, an unknown JSON
            # shape, another API's stream event in its envelope): read it the generic way,
            # but the error stays the provider's, so that its retry profile and renderer
            # still apply.
            generic = generic_adapter()
            read_generic = getattr(generic, "read", None)
            if read_generic is not None:
                parsed = read_generic(view)
            else:  # a third-party adapter registered as "generic"
                error = generic.parse(view)
                if error is not None:
                    return _complete(attrs.evolve(error, provider=name), view, trusted=False)
        if parsed is None:
            if not _is_error(view):
                return None
            parsed = from_status(view)
        return finish_error(view, parsed, name)
    except Exception:
        _logger.warning(
            "adapter %r failed on a response; using its status",
            adapter.name,
            exc_info=True,
            extra={
                "event": "agent_errors.adapter_failed",
                "provider": escape_text(adapter.name, limit=LOG_FIELD_LIMIT),
                "status": status,
            },
        )
        return _last_resort(view, adapter.name)


def error_from_event(
    event: Any,
    *,
    provider: str | None = None,
    status: int | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    url: str | None = None,
) -> CanonicalError | None:
    """Return the error an SSE event carries, or None for an ordinary event.

    `event` is an `SSEEvent` or anything with `.event` and `.data` (httpx-sse's events too).
    An event counts as an error when its type is `error`, or when its data is a JSON error
    document (a Qoder/Anthropic envelope, `{"error": {...}}`, ...) or a failed run or response
    (`response.failed`, `response.incomplete`, `thread.run.failed` and their `last_error`).
    `status` is the stream's HTTP status (the error's status is None when it is not given),
    `headers` the stream's response headers (for the request id). The error's `details` record
    the stream: `source` is `"stream"`, `event` the event type, `event_id` the last event id.

    Raises:
        ValueError: `provider` names no registered adapter.
    """
    return _events.read_event(
        event, normalize_view, provider=provider, status=status, headers=headers, url=url
    )


def _is_error(view: ResponseView) -> bool:
    """Whether a response no adapter recognized is still an error: the one rule.

    An error status is; so is a status that is no HTTP status at all (1000, 0, -1: an error of
    kind unknown, the raw value kept in `details["raw_status"]`), and, when there is no status
    (a run result, a stream event), a body that is plainly an error document.
    """
    status = view.status
    if status is None:
        return view.raw_status is not None or is_error_document(view.json)
    return status >= 400


def _complete(error: CanonicalError, view: ResponseView, *, trusted: bool) -> CanonicalError:
    """Finish an error a third-party adapter's `parse` built itself: the same pass, once.

    Unless `trusted`, the error is first held to the model's invariants (attrs does not check
    them); then hints, their sources and redaction are applied in full.
    """
    if not trusted:
        error = _sanitize(error, view)
    finished = complete(
        view,
        kind=error.kind,
        message=error.message,
        param=error.param,
        retryable=error.retryable,
        stated_retryable=error.retryable,
        retry_after=error.retry_after,
        request_id=error.request_id,
        status=error.status,
        code=error.code,
        provider=error.provider,
        details=error.details,
    )
    if type(error) is CanonicalError:
        return finished
    # A subclass of CanonicalError keeps its class.
    return attrs.evolve(
        error,
        message=finished.message,
        param=finished.param,
        retry_after=finished.retry_after,
        request_id=finished.request_id,
        code=finished.code,
        details=finished.details,
    )


def _sanitize(error: object, view: ResponseView) -> CanonicalError:
    """Hold a third-party adapter's result to the model's invariants (attrs does not check)."""
    if not isinstance(error, CanonicalError):
        msg = f"parse() returned {type(error).__name__}, not a CanonicalError"
        raise TypeError(msg)
    kind = error.kind if isinstance(error.kind, Kind) else Kind(error.kind)
    return attrs.evolve(
        error,
        kind=kind,
        message=error.message if isinstance(error.message, str) else "",
        param=_str_or_none(error.param),
        retryable=bool(error.retryable),
        retry_after=error.retry_after if usable_retry_after(error.retry_after) else None,
        request_id=_str_or_none(error.request_id),
        status=coerce_status(error.status),
        code=_str_or_none(error.code),
        provider=_redact.redact(error.provider)
        if isinstance(error.provider, str) and error.provider
        else "unknown",
        details=error.details if isinstance(error.details, Mapping) else {},
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _last_resort(view: ResponseView, provider: str) -> CanonicalError:
    try:
        return finish_error(view, from_status(view), provider)
    except Exception:  # noqa: BLE001
        kind = kind_for_status(view.status)
        return CanonicalError(
            kind=kind if view.status is not None else Kind.UNKNOWN,
            message=synthesize_message(kind, view.status),
            status=view.status,
            provider=provider,
        )
