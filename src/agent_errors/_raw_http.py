"""The one reader of raw HTTP responses as `curl -i` prints them (CLI, `render_response_text`).

A capture is a status line, headers, a blank line and the body, with CRLF or LF line ends. When
several header blocks come first (`100 Continue`, `103 Early Hints`, a proxy's `CONNECT` reply,
redirects followed with `-L`), the last one is the response. Both readers here are linear in the
input: `parse_http` walks blocks by offset (no copy of the rest per block), and `read_http`
streams a file past any number of interim blocks, keeping at most one header section
(`MAX_HEAD`) and the body's first bytes in memory, so a capture that buries its 500 under
gigabytes of `100 Continue` is still read as the 500.
"""

from __future__ import annotations

import re
import zlib
from typing import IO, Final

import attrs

from ._view import DEFAULT_BODY_CAP

__all__ = ["MAX_HEAD", "BadInputError", "RawResponse", "parse_http", "read_http"]

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


def parse_http(data: bytes, *, truncated: bool = False) -> RawResponse | None:
    """Return the response in `curl -i` output, or None when `data` has no status line.

    Leading blank lines and a byte order mark are skipped. When a header block is followed by
    another status line (`100 Continue`, a proxy's `CONNECT` reply, redirects followed with
    `-L`), the last block is the response. A gzip body (saved without `--compressed`) is
    decompressed up to the normalizer's cap. Time is linear in `len(data)`, however many blocks.

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
            headers[-1] = (prev_name, f"{prev_value} {_header_text(line.strip())}")
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


def _decoded_body(body: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, bool]:
    """Gunzip a gzip body (by its magic bytes), reading at most the cap; else return it as is."""
    if not body.startswith(_GZIP_MAGIC):
        return body, False
    encodings = {
        value.strip().lower() for name, value in headers if name.lower() == "content-encoding"
    }
    if encodings and not encodings & {"gzip", "x-gzip"}:
        return body, False
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        data = inflater.decompress(body, DEFAULT_BODY_CAP + 1)
    except zlib.error:
        return body, False  # not gzip after all: the status alone will decide
    return data, len(data) > DEFAULT_BODY_CAP or bool(inflater.unconsumed_tail)
