"""The server-sent events decoder (the WHATWG event-stream parsing rules).

CR, LF and CRLF line ends, `:` comments, one optional space after the colon, `data` lines joined
with LF, an event dispatched at a blank line, an unterminated event at the end of the stream
discarded; each event's data and each line bounded. Finding errors in events is
`_parsing._events`' work; the shells that watch a live stream are `_serving._streams`.
"""

from __future__ import annotations

import codecs
import io
from typing import Final

import attrs

__all__ = [
    "DEFAULT_EVENT_CAP",
    "SSEDecoder",
    "SSEEvent",
    "decode_events",
    "looks_like_event_stream",
]


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


_SSE_FIELDS: Final = (b"event:", b"data:", b"id:", b"retry:", b":")


def looks_like_event_stream(body: bytes) -> bool:
    """Return whether a body with no event-stream content type is an event stream all the same.

    Its first non-blank line (after a byte order mark) starts with an SSE field name: a stream
    read into a file or a log, then handed to `normalize_parts` with no headers.
    """
    head = body[:256].lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(_SSE_FIELDS) and not head.startswith(b"::")
