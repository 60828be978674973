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
import io
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


#: The default cap on one event's data (and on one line), in characters: far above any error
#: document, room for the large frames streams carry (tool-call arguments, partial images).
DEFAULT_EVENT_CAP: Final = 1024 * 1024
# A line is kept up to the room left in the event's data plus this many characters, so a field
# name and a short `event`/`id` value are read even next to a full data buffer.
_LINE_FLOOR: Final = 1024


@attrs.frozen
class SSEEvent:
    """One dispatched server-sent event.

    Attributes:
        event: The event type (`"message"` when the stream named none).
        data: The data lines joined with LF.
        id: The last event id seen so far in the stream ("" when none).
        retry: The reconnection time in milliseconds, when this event set one.
        truncated: Whether the event's data (or one of its data lines) was longer than the
            decoder's cap and was cut there: `data` holds its first `max_event_size` characters.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None
    truncated: bool = False


class SSEDecoder:
    """An incremental event-stream decoder: feed it bytes or text, get whole events back.

    Bytes are decoded as UTF-8 (invalid sequences replaced), a leading byte order mark is
    dropped, and a CR at the end of one chunk followed by an LF in the next counts as one line
    end.

    Memory is bounded whatever the stream: an event's data keeps at most `max_event_size`
    characters (LF joiners included) and a line being read at most the room left plus 1,024;
    the rest is discarded as it arrives, never buffered. An event cut this way is still delivered
    at its blank line, with `truncated=True`. Time is linear in the input.

    Args:
        max_event_size: The cap, in characters (default `DEFAULT_EVENT_CAP`, 1 MiB).

    Raises:
        ValueError: `max_event_size` is not a positive integer.
    """

    def __init__(self, max_event_size: int = DEFAULT_EVENT_CAP) -> None:
        if isinstance(max_event_size, bool) or not isinstance(max_event_size, int):
            msg = f"max_event_size must be an int, not {type(max_event_size).__name__}"
            raise TypeError(msg)
        if max_event_size < 1:
            msg = f"max_event_size must be positive, not {max_event_size}"
            raise ValueError(msg)
        self._cap = max_event_size
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._started = False
        self._pending_cr = False
        # The line being read: its pieces, their total length, and whether some was discarded.
        self._parts: list[str] = []
        self._part_size = 0
        self._line_cut = False
        self._event = ""
        self._data: list[str] = []  # pieces of the event's data, LF joiners included
        self._data_size = 0
        self._spill: io.StringIO | None = None
        self._has_data = False
        self._truncated = False
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
        events: list[SSEEvent] = []
        start = 0
        length = len(text)
        # The next CR and LF are searched once each and reused until passed: searching both
        # from every line start would rescan a chunk without CRs once per line.
        cr = text.find("\r")
        lf = text.find("\n")
        while True:
            if -1 < cr < start:
                cr = text.find("\r", start)
            if -1 < lf < start:
                lf = text.find("\n", start)
            if cr == -1 and lf == -1:
                break
            end = lf if cr == -1 else cr if lf == -1 else min(cr, lf)
            self._take(text, start, end)
            if text[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if text[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._pending_cr = True
            else:
                start = end + 1
            line, cut = "".join(self._parts), self._line_cut
            self._parts, self._part_size, self._line_cut = [], 0, False
            event = self._line(line, cut=cut)
            if event is not None:
                events.append(event)
        self._take(text, start, length)
        return events

    def close(self) -> list[SSEEvent]:
        """End the stream: an event with no blank line after it is discarded, as the spec says."""
        self._parts, self._part_size, self._line_cut = [], 0, False
        self._reset_event()
        return []

    def _take(self, text: str, start: int, end: int) -> None:
        """Keep `text[start:end]` as part of the current line, up to the line's limit."""
        if start >= end:
            return
        room = max(self._cap - self._data_size, 0) + _LINE_FLOOR - self._part_size
        if end - start > room:
            self._line_cut = True
            end = start + max(room, 0)
            if start >= end:
                return
        self._parts.append(text[start:end])
        self._part_size += end - start

    def _line(self, line: str, *, cut: bool) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._add_data(value, cut=cut)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _add_data(self, value: str, *, cut: bool) -> None:
        room = self._cap - self._data_size - (1 if self._has_data else 0)
        if cut or len(value) > room:
            self._truncated = True
        if room < 0:
            return  # full: even the LF joiner is dropped
        piece = value[:room] if len(value) > room else value
        if self._has_data:
            self._data.append("\n")
            self._data_size += 1
        self._has_data = True
        if piece:
            self._data.append(piece)
            self._data_size += len(piece)
        if len(self._data) > 64:
            # Many short lines: move them to one growing buffer, so the list's own pointers
            # stay bounded too (a StringIO appends in amortized linear time).
            if self._spill is None:
                self._spill = io.StringIO()
            self._spill.write("".join(self._data))
            self._data = []

    def _reset_event(self) -> None:
        self._data, self._data_size, self._has_data, self._truncated = [], 0, False, False
        self._spill = None
        self._event = ""
        self._retry = None

    def _dispatch(self) -> SSEEvent | None:
        if not self._has_data:
            self._event, self._retry = "", None
            return None
        data = "".join(self._data)
        if self._spill is not None:
            self._spill.write(data)
            data = self._spill.getvalue()
        event, retry, truncated = self._event, self._retry, self._truncated
        self._reset_event()
        return SSEEvent(
            event=event or "message", data=data, id=self._last_id, retry=retry, truncated=truncated
        )


def decode_events(body: bytes | str) -> list[SSEEvent]:
    """Return every complete event in a whole (or truncated) event-stream body."""
    return SSEDecoder().feed(body)


_ERROR_MARKERS: Final = ('"error', "'error", '_error"', '.failed"', '.incomplete"')
# Event types that end a run or a response in failure (OpenAI Responses and Assistants).
_FAILURE_EVENT_SUFFIXES: Final = (".failed", ".incomplete")
_MAX_STREAM_FIELD: Final = 256  # characters of an event's type or id kept in `details`
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


def error_in_view(view: ResponseView, provider: str | None = None) -> CanonicalError | None:
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
        error = error_from_event(
            event, provider=provider, status=view.status, headers=view.headers, url=view.url
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
