"""The one reader of raw HTTP responses as `curl -i` prints them (CLI, `render_response_text`).

A capture is a status line, headers, a blank line and the body, with CRLF or LF line ends. When
several header blocks come first (`100 Continue`, `103 Early Hints`, a proxy's `CONNECT` reply,
redirects followed with `-L`), the last one is the response. A body still in chunked framing is
unchunked, and a body still content-encoded (saved without `--compressed`) is decoded by the
same bounded decoders as a response read (`_reading.decode_capped`): a bomb stops at the cap.
`read_capture` is the one entry point of both the CLI and `render_response_text`.

The readers here are linear in the input: `parse_http` walks blocks by offset (no copy of the
rest per block), and `read_http` streams a file past any number of interim blocks, keeping at
most one header section (`MAX_HEAD`) and the body's first bytes in memory, so a capture that
buries its 500 under gigabytes of `100 Continue` is still read as the 500.
"""

from __future__ import annotations

import re
from typing import IO, Any, Final

import attrs

from agent_errors._core._reading import decode_capped

from ._view import DEFAULT_BODY_CAP, ResponseView

__all__ = [
    "MAX_HEAD",
    "NO_STATUS",
    "BadInputError",
    "RawResponse",
    "parse_http",
    "read_capture",
    "read_http",
]

MAX_HEAD: Final = 1024 * 1024
"""The largest one header section may be (each block is checked on its own)."""
BODY_READ_LIMIT: Final = MAX_HEAD + DEFAULT_BODY_CAP
"""How many body bytes `read_http` keeps: room for a compressed body that inflates to the cap."""

_CHUNK: Final = 64 * 1024
_STATUS_LINE_RE: Final = re.compile(rb"HTTP/\d(?:\.\d)?[ \t]+(\d{3})(?:[ \t]+([^\r\n]*))?\Z")
_STATUS_START_RE: Final = re.compile(rb"HTTP/\d")  # then the whole line must be a status line
_STATUS_PROBE: Final = 6  # bytes needed to tell a status line from a body: b"HTTP/1"
_BLANK_LINE_RE: Final = re.compile(rb"\r?\n\r?\n")
_LEADING: Final = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte order mark and blank lines
_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"
_CHUNK_SIZE_RE: Final = re.compile(rb"[0-9A-Fa-f]{1,16}")

NO_STATUS: Final[Any] = object()
"""`read_capture`'s `status` when none was given (None is a status: a run result's)."""


class BadInputError(ValueError):
    """The input cannot be read as an HTTP response (the message says why, in one line)."""


@attrs.frozen
class RawResponse:
    """One HTTP response read from `curl -i` output.

    Attributes:
        status: The status of the last header block, or None for a bare body without one.
        headers: The last header block's (name, value) pairs, in order.
        body: The body bytes (decompressed when they were gzip).
        truncated: Whether the input went on past what was read.
    """

    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False

    def view(self, url: str | None = None) -> ResponseView:
        """Return the `ResponseView` of this response (the normalizer's cap, its truncation)."""
        return ResponseView(
            self.status,
            self.headers,
            self.body,
            url=url,
            cap=DEFAULT_BODY_CAP,
            truncated=self.truncated,
        )


def read_capture(
    data: bytes, *, status: Any = NO_STATUS, truncated: bool = False
) -> RawResponse | None:
    """Return the response in a capture: `curl -i` output, or a bare body with `status`.

    A capture with a status line is read by `parse_http`; `status` does not override it. A bare
    body (a leading byte order mark dropped) takes `status` (None: a run result's); without
    one, there is no response: None.

    Raises:
        BadInputError: A status line or a header section is malformed (see `parse_http`).
    """
    raw = parse_http(data, truncated=truncated)
    if raw is not None:
        return raw
    if status is NO_STATUS:
        return None
    body = data.removeprefix(_BOM)
    return RawResponse(status, (), body, truncated=truncated)


def parse_http(data: bytes, *, truncated: bool = False) -> RawResponse | None:
    """Return the response in `curl -i` output, or None when `data` has no status line.

    Leading blank lines and a byte order mark are skipped. When a header block is followed by
    another status line (`100 Continue`, a proxy's `CONNECT` reply, redirects followed with
    `-L`), the last block is the response. A chunked body is unchunked and a content-encoded
    one (saved without `--compressed`) decoded, up to the normalizer's cap. Time is linear in
    `len(data)`, however many blocks.

    Raises:
        BadInputError: A status line or a header section is malformed, or a header section is
            larger than `MAX_HEAD` bytes.
    """
    text = data.lstrip(_LEADING)
    if not _STATUS_START_RE.match(text):
        return None
    pos = 0
    while True:
        blank = _BLANK_LINE_RE.search(text, pos)
        end, body_start = (blank.start(), blank.end()) if blank else (len(text), len(text))
        if end - pos > MAX_HEAD:
            raise _head_too_large()
        status, headers = _parse_head(text[pos:end])
        following = _skip_line_ends(text, body_start)
        if following < len(text) and _STATUS_START_RE.match(text, following):
            pos = following  # an interim response: the real one follows
            continue
        body = text[body_start:]
        break
    body, was_cut = _decoded_body(body, headers)
    return RawResponse(status, tuple(headers), body, truncated=truncated or was_cut)


def read_http(stream: IO[bytes], *, limit: int = BODY_READ_LIMIT) -> tuple[bytes, bool]:
    """Read a capture from `stream`: the final response's head and at most `limit` body bytes.

    Interim header blocks are checked (as `parse_http` would) and dropped as they stream past,
    so memory stays within one header section plus `limit` plus a read chunk, whatever their
    number. Input without a status line is a bare body: its first `MAX_HEAD + limit` bytes are
    kept. Returns the bytes for `parse_http` and whether the input went on past them.

    Raises:
        BadInputError: An interim header block is malformed or larger than `MAX_HEAD` bytes.
        OSError: Reading `stream` failed.
    """
    buf = bytearray()
    eof = False

    def fill(size: int) -> None:
        nonlocal eof
        while len(buf) < size and not eof:
            chunk = stream.read(max(_CHUNK, size - len(buf)))
            if chunk:
                buf.extend(chunk)
            else:
                eof = True

    while True:  # leading blank lines and a byte order mark, however many
        fill(_STATUS_PROBE)
        kept = len(buf.lstrip(_LEADING))
        if kept or eof:
            del buf[: len(buf) - kept]
            fill(_STATUS_PROBE)
            break
        buf.clear()
    if not _STATUS_START_RE.match(buf):
        fill(MAX_HEAD + limit + 1)
        return bytes(buf[: MAX_HEAD + limit]), len(buf) > MAX_HEAD + limit
    while True:  # buf starts with a status line
        searched = 0
        while (blank := _BLANK_LINE_RE.search(buf, max(0, searched - 3))) is None:
            if len(buf) > MAX_HEAD:
                raise _head_too_large()
            if eof:
                return bytes(buf), False  # a head without a body
            searched = len(buf)
            fill(len(buf) + 1)
        if blank.start() > MAX_HEAD:
            raise _head_too_large()
        following = blank.end()
        while True:
            fill(following + _STATUS_PROBE)
            following = _skip_line_ends(buf, following)
            if following + _STATUS_PROBE <= len(buf) or eof:
                break
        if following < len(buf) and _STATUS_START_RE.match(buf, following):
            _parse_head(bytes(buf[: blank.start()]))  # an interim block: checked, then dropped
            del buf[:following]
            continue
        end = blank.end() + limit
        fill(end + 1)
        return bytes(buf[:end]), len(buf) > end


def _skip_line_ends(text: bytes | bytearray, pos: int) -> int:
    size = len(text)
    while pos < size and text[pos] in (0x0D, 0x0A):
        pos += 1
    return pos


def _head_too_large() -> BadInputError:
    return BadInputError(f"the header section is larger than {MAX_HEAD} bytes")


def _parse_head(block: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = block.split(b"\n")
    first = lines[0].rstrip(b"\r \t")
    match = _STATUS_LINE_RE.match(first)
    if match is None:
        msg = f"malformed status line {show(first)}"
        raise BadInputError(msg)
    status = int(match.group(1))
    if status < 100:
        msg = f"status {status} in {show(first)} is not an HTTP status"
        raise BadInputError(msg)
    headers: list[tuple[str, str]] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and headers:
            # Obsolete line folding: a continuation of the previous header's value.
            prev_name, prev_value = headers[-1]
            more = _header_text(line.strip())
            headers[-1] = (prev_name, f"{prev_value} {more}" if prev_value else more)
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip() or b" " in name.strip():
            msg = f"malformed header line: {show(line)}"
            raise BadInputError(msg)
        headers.append((_header_text(name.strip()), _header_text(value.strip())))
    return status, headers


def _header_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def show(raw: bytes, limit: int = 60) -> str:
    """Return the first `limit` bytes of `raw` quoted for a one-line message, controls as `?`."""
    text = raw[:limit].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text + ("..." if len(raw) > limit else ""))


def _header_values(headers: list[tuple[str, str]], wanted: str) -> str:
    return ", ".join(value for name, value in headers if name.lower() == wanted)


def _decoded_body(body: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, bool]:
    """Unchunk and decode the body as its headers say, at most the cap; else return it as is.

    curl prints the headers as sent but (with `--compressed`, and always for chunked framing)
    the body decoded: a body that is not in the framing or coding its headers name is kept.
    A gzip body without a Content-Encoding header is recognized by its magic bytes.
    """
    if "chunked" in _header_values(headers, "transfer-encoding").lower():
        body = _unchunked(body) or body
    coding = _header_values(headers, "content-encoding")
    if not coding.strip() and body.startswith(_GZIP_MAGIC):
        coding = "gzip"
    if not coding.strip():
        return body, False
    decoded = decode_capped(body, coding, DEFAULT_BODY_CAP)
    if decoded is None:
        return body, False  # not in that coding after all: the status alone will decide
    return decoded


def _unchunked(body: bytes) -> bytes | None:
    """Return a body in chunked framing (RFC 9112, 7.1) without it, or None when it is not one.

    Only complete framing counts (every chunk whole, then the last, empty one): a body that
    merely starts with hex digits is curl's already unchunked text. Linear in the body.
    """
    parts: list[bytes] = []
    pos = 0
    size_total = len(body)
    while True:
        line_end = body.find(b"\n", pos)
        if line_end == -1:
            return None
        line = body[pos:line_end].rstrip(b"\r")
        size_text = line.split(b";", 1)[0].strip()  # chunk extensions are dropped
        if not _CHUNK_SIZE_RE.fullmatch(size_text):
            return None
        size = int(size_text, 16)
        start = line_end + 1
        if size == 0:
            return b"".join(parts)  # trailers, if any, are not part of the body
        end = start + size
        if end > size_total:
            return None
        parts.append(body[start:end])
        if body.startswith(b"\r\n", end):
            pos = end + 2
        elif body.startswith(b"\n", end):
            pos = end + 1
        else:
            return None
