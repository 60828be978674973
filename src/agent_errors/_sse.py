"""Errors inside server-sent event streams.

A stream that started with a 200 can still fail: Qoder session streams and Anthropic-style
streams send `event: error` with an error envelope in `data`, and some servers send a data frame
whose JSON is an error document under the default event type. This module holds one SSE decoder
(the WHATWG event-stream parsing rules: CR, LF and CRLF line ends, `:` comments, one optional
space after the colon, `data` lines joined with LF, an event dispatched at a blank line, an
unterminated event at the end of the stream discarded), one function that finds the error in an
event, and thin sync and async shells that raise `AgentAPIError` when an error event arrives.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Final, TypeVar, overload

import attrs
import httpx

from . import _normalize, _redact
from ._exceptions import AgentAPIError
from ._finish import STREAM_SOURCE
from ._model import CanonicalError, Kind
from ._view import ResponseView, request_url
from .adapter_kit import first_str, synthesize_message

__all__ = [
    "SSEDecoder",
    "SSEEvent",
    "aiter_sse_events",
    "araise_for_error_events",
    "error_from_event",
    "iter_sse_events",
    "raise_for_error_events",
]

_E = TypeVar("_E")


@attrs.frozen
class SSEEvent:
    """One dispatched server-sent event.

    Attributes:
        event: The event type (`"message"` when the stream named none).
        data: The data lines joined with LF.
        id: The last event id seen so far in the stream ("" when none).
        retry: The reconnection time in milliseconds, when this event set one.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


class SSEDecoder:
    """An incremental event-stream decoder: feed it bytes or text, get whole events back.

    Bytes are decoded as UTF-8 (invalid sequences replaced), a leading byte order mark is
    dropped, and a CR at the end of one chunk followed by an LF in the next counts as one line
    end.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._started = False
        self._pending_cr = False
        self._event = ""
        self._data: list[str] = []
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Return the events completed by `chunk` (possibly none)."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._pending_cr:
            self._pending_cr = False
            text = text.removeprefix("\n")
        buffer = self._buffer + text
        events: list[SSEEvent] = []
        start = 0
        length = len(buffer)
        while True:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr == -1 and lf == -1:
                break
            end = lf if cr == -1 else cr if lf == -1 else min(cr, lf)
            line = buffer[start:end]
            if buffer[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if buffer[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._pending_cr = True
            else:
                start = end + 1
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._buffer = buffer[start:]
        return events

    def close(self) -> list[SSEEvent]:
        """End the stream: an event with no blank line after it is discarded, as the spec says."""
        self._buffer = ""
        self._data = []
        self._event = ""
        return []

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], "", None
        if not data:
            return None
        return SSEEvent(
            event=event or "message", data="\n".join(data), id=self._last_id, retry=retry
        )


def decode_events(body: bytes | str) -> list[SSEEvent]:
    """Return every complete event in a whole (or truncated) event-stream body."""
    return SSEDecoder().feed(body)


_ERROR_MARKERS: Final = ('"error', "'error", '_error"', '.failed"', '.incomplete"')
# Event types that end a run or a response in failure (OpenAI Responses and Assistants).
_FAILURE_EVENT_SUFFIXES: Final = (".failed", ".incomplete")
_SSE_FIELDS: Final = (b"event:", b"data:", b"id:", b"retry:", b":")


def looks_like_event_stream(body: bytes) -> bool:
    """Return whether a body with no event-stream content type is an event stream all the same.

    Its first non-blank line (after a byte order mark) starts with an SSE field name: a stream
    read into a file or a log, then handed to `normalize_parts` with no headers.
    """
    head = body[:256].lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(_SSE_FIELDS) and not head.startswith(b"::")


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
    error = _normalize.normalize_view(view, provider=provider)
    if error is None:
        if not is_error_event:
            return None
        error = _bare_error_event(view, status)
    stream_details: dict[str, Any] = {"source": STREAM_SOURCE, "event": kind_of_event}
    event_id = getattr(event, "id", None)
    if isinstance(event_id, str) and event_id:
        stream_details["event_id"] = event_id
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


def error_in_view(view: ResponseView, provider: str | None = None) -> CanonicalError | None:
    """Return the first error event in an event-stream body held by `view`, or None."""
    for event in decode_events(view.body):
        error = error_from_event(
            event, provider=provider, status=view.status, headers=view.headers, url=view.url
        )
        if error is not None:
            return error
    return None


class _Watch:
    """The I/O-free core of the stream shells: raise on the first error event."""

    def __init__(
        self, provider: str | None, response: httpx.Response | None, status: int | None
    ) -> None:
        self.provider = provider
        self.response = response
        self.status = response.status_code if response is not None and status is None else status
        self.headers = response.headers if response is not None else None
        self.url = request_url(response)

    def check(self, event: object) -> None:
        error = error_from_event(
            event, provider=self.provider, status=self.status, headers=self.headers, url=self.url
        )
        if error is not None:
            raise AgentAPIError.from_error(error, self.response)


def iter_sse_events(response: httpx.Response) -> Iterator[SSEEvent]:
    """Yield the events of a streamed `httpx.Response` as they arrive (no error checks)."""
    decoder = SSEDecoder()
    for chunk in response.iter_bytes():
        yield from decoder.feed(chunk)
    decoder.close()


async def aiter_sse_events(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """Yield the events of an async streamed `httpx.Response` as they arrive (no error checks)."""
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    decoder.close()


@overload
def raise_for_error_events(
    events: httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[SSEEvent]: ...


@overload
def raise_for_error_events(
    events: Iterable[_E],
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[_E]: ...


def raise_for_error_events(
    events: Iterable[_E] | httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[_E] | Iterator[SSEEvent]:
    """Yield every event, raising when an error event arrives.

    `events` is an `httpx.Response` opened with `stream=True` (its body is decoded here) or any
    iterable of events (`SSEEvent`, httpx-sse's `ServerSentEvent`, anything with `.event` and
    `.data`). `response` gives the status, headers and request for the error when `events` is
    not the response itself.

    Raises:
        AgentAPIError: the subclass for the error's kind, when an error event arrives.
        ValueError: `provider` names no registered adapter.
    """
    if isinstance(events, httpx.Response):
        response = events
        return _checked(iter_sse_events(events), _Watch(provider, response, status))
    return _checked(events, _Watch(provider, response, status))


def _checked(events: Iterable[_E], watch: _Watch) -> Iterator[_E]:
    for event in events:
        watch.check(event)
        yield event


@overload
def araise_for_error_events(
    events: httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[SSEEvent]: ...


@overload
def araise_for_error_events(
    events: AsyncIterable[_E],
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[_E]: ...


def araise_for_error_events(
    events: AsyncIterable[_E] | httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[_E] | AsyncIterator[SSEEvent]:
    """Like `raise_for_error_events`, for async iterables and async streamed responses.

    Raises:
        AgentAPIError: the subclass for the error's kind, when an error event arrives.
        ValueError: `provider` names no registered adapter.
    """
    if isinstance(events, httpx.Response):
        response = events
        return _achecked(aiter_sse_events(events), _Watch(provider, response, status))
    return _achecked(events, _Watch(provider, response, status))


async def _achecked(events: AsyncIterable[_E], watch: _Watch) -> AsyncIterator[_E]:
    async for event in events:
        watch.check(event)
        yield event
