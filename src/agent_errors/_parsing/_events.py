"""Errors inside server-sent events: an event's data read as an error document.

`normalize_view` reads a stream body through `read_stream`, and an event's data is read by
`normalize_view` again: the two recurse, so `normalize_view` is passed in (it lives above this
module), never imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from agent_errors._core import _redact
from agent_errors._core._model import CanonicalError, Kind
from agent_errors._core._sse import SSEEvent, decode_events
from agent_errors.adapter_kit import first_str, synthesize_message

from ._finish import STREAM_SOURCE
from ._view import ResponseView

__all__ = ["NormalizeView", "read_event", "read_stream"]

NormalizeView = Callable[..., "CanonicalError | None"]
"""`normalize_view`'s signature: `(view, *, provider=None) -> CanonicalError | None`."""

_ERROR_MARKERS: Final = ('"error', "'error", '_error"', '.failed"', '.incomplete"')
# Event types that end a run or a response in failure (OpenAI Responses and Assistants).
_FAILURE_EVENT_SUFFIXES: Final = (".failed", ".incomplete")
_MAX_STREAM_FIELD: Final = 256  # characters of an event's type or id kept in `details`


def read_event(
    event: Any,
    normalize_view: NormalizeView,
    *,
    provider: str | None = None,
    status: int | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    url: str | None = None,
) -> CanonicalError | None:
    """`error_from_event` (in `_normalize`, which passes itself as `normalize_view`)."""
    kind_of_event = str(getattr(event, "event", "") or "message")
    data = getattr(event, "data", "")
    if not isinstance(data, str):
        data = str(data)
    is_error_event = kind_of_event == "error"
    failure_event = kind_of_event.endswith(_FAILURE_EVENT_SUFFIXES)
    if (
        not is_error_event
        and not failure_event
        and not any(marker in data for marker in _ERROR_MARKERS)
    ):
        return None  # the cheap test that keeps ordinary frames from being decoded twice
    view = ResponseView(status, headers, data, url=url)
    error = normalize_view(view, provider=provider)
    if error is None:
        if not is_error_event:
            return None
        error = _bare_error_event(view, status)
    # The type and id are the upstream's words: bounded and redacted like every other field.
    stream_details: dict[str, Any] = {
        "source": STREAM_SOURCE,
        "event": kind_of_event[:_MAX_STREAM_FIELD],
    }
    event_id = getattr(event, "id", None)
    if isinstance(event_id, str) and event_id:
        stream_details["event_id"] = event_id[:_MAX_STREAM_FIELD]
    stream_details = _redact.redact_value(stream_details)
    return attrs.evolve(error, details={**error.details, **stream_details})


def _bare_error_event(view: ResponseView, status: int | None) -> CanonicalError:
    """An `event: error` whose data is in no error format: a message at most."""
    doc = view.json
    message = None
    code = None
    if isinstance(doc, dict):
        message = first_str(doc.get("message"), doc.get("detail"), doc.get("error"))
        code = first_str(doc.get("code"), doc.get("type"))
    elif doc is None:
        message = first_str(view.text)
    message = _redact.redact(message or synthesize_message(Kind.UNKNOWN, status, code))
    return CanonicalError(kind=Kind.UNKNOWN, message=message, code=code, status=status)


def read_stream(
    view: ResponseView, normalize_view: NormalizeView, provider: str | None = None
) -> CanonicalError | None:
    """Return the first error event in an event-stream body held by `view`, or None.

    A JSON document written into the stream after its events, outside any `data:` line (Gemini
    ends a 200 `alt=sse` stream that failed with its bare, pretty-printed Status), counts as one
    more event.
    """
    events = decode_events(view.body)
    tail = _unframed_tail(view.body)
    if tail is not None:
        events.append(SSEEvent(data=tail))
    for event in events:
        error = read_event(
            event,
            normalize_view,
            provider=provider,
            status=view.status,
            headers=view.headers,
            url=view.url,
        )
        if error is not None:
            return error
    return None


def _unframed_tail(body: bytes) -> str | None:
    """The JSON object that ends a stream on lines of its own, not in an event; else None.

    Its first line starts with `{`, which no SSE field line does; it runs to the end of the
    body. One `rfind` and at most one decode of the (already capped) body: linear.
    """
    start = body.rfind(b"\n{")
    if start < 0:
        return None
    tail = body[start + 1 :].rstrip()
    if not tail.endswith(b"}"):
        return None
    return tail.decode("utf-8", "replace")
