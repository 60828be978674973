"""Reading an unread `httpx.Response` body: bounded in bytes, in inflation and in time.

What is read is handed back: the response's stream is replaced by one that yields the raw bytes
already read and then the rest of the original stream (or re-raises the error the original
stream raised), so the caller still receives the whole body as a stream, never a buffered copy.

Every content-coding is decoded here with an output bound, never by httpx's decoders (which
inflate each network chunk whole: 0.4 KiB of brotli can become hundreds of megabytes):

- gzip, x-gzip and deflate with zlib's ``decompress(data, max_length)``;
- br with brotli's ``process(data, output_buffer_limit=...)`` (brotli >= 1.2, or a brotlicffi
  that offers the same); an older brotli has no output bound, so br is then not decoded at all;
- zstd with zstandard, fed in 16-byte slices (a slice completes at most a few 128 KiB blocks,
  as zstandard's streaming decoder offers no output bound) and a window of at most 8 MiB;
- stacked and mixed codings (``gzip, gzip``, ``identity, br``) as a chain of the above, each
  stage handing the next at most 64 KiB at a time (at most 4 codings: each holds a window).

A coding that cannot be decoded that way (unknown, or its library missing) leaves the body
unread: the error is classified from the status and headers alone.
"""

from __future__ import annotations

import collections
import logging
import math
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import httpx

__all__ = [
    "DEFAULT_READ_DEADLINE",
    "aread_capped",
    "check_deadline",
    "decode_capped",
    "read_capped",
]

DEFAULT_READ_DEADLINE: Final = 5.0
"""Seconds allowed for reading an error body in full, after which what arrived is used."""

_RAW_SLACK: Final = 64 * 1024  # raw bytes read beyond the cap at most (compression overhead)
_STEP: Final = 64 * 1024  # most bytes one decoding stage hands the next at a time
_MAX_CODINGS: Final = 4  # content-codings stacked on one body, beyond which none is decoded
_ZSTD_SLICE: Final = 16  # input bytes fed to zstandard at a time
_ZSTD_WINDOW: Final = 8 * 1024 * 1024  # RFC 9659: zstd content-coding windows are <= 8 MB
_logger = logging.getLogger("agent_errors")


class Undecodable(Exception):  # noqa: N818 - internal signal, never raised to users
    """A content-coding this module cannot decode with an output bound."""


def check_deadline(value: float | None) -> float | None:
    """Return `value` when it is None or a positive number of seconds.

    Raises:
        ValueError: `value` is zero, negative or not a number.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"read_deadline must be None or seconds > 0, not {value!r}")
    if not value > 0 or math.isnan(value):
        raise ValueError(f"read_deadline must be None or seconds > 0, not {value!r}")
    return float(value)


# --- decoding stages ---


class _Stage:
    """One content-coding: input is appended to `pending`; `pull` gives at most `limit` bytes."""

    __slots__ = ("overflow", "pending")

    def __init__(self) -> None:
        self.pending = b""
        self.overflow = b""

    def pull(self, limit: int) -> bytes:
        """Decode at most `limit` bytes from the pending input; b"" when more input is needed."""
        if self.overflow:
            out, self.overflow = self.overflow[:limit], self.overflow[limit:]
            return out
        out = self._decode(limit)
        if len(out) > limit:
            out, self.overflow = out[:limit], out[limit:]
        return out

    def _decode(self, limit: int) -> bytes:
        raise NotImplementedError


class _Zlib(_Stage):
    __slots__ = ("_d", "_raw_deflate_ok")

    def __init__(self, wbits: int) -> None:
        super().__init__()
        self._d: Any = zlib.decompressobj(wbits)
        # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
        self._raw_deflate_ok = wbits == zlib.MAX_WBITS

    def _decode(self, limit: int) -> bytes:
        data, self.pending = self.pending, b""
        if not data or self._d.eof:
            return b""
        try:
            out: bytes = self._d.decompress(data, limit)
        except zlib.error:
            if not self._raw_deflate_ok:
                raise
            self._raw_deflate_ok = False
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._d.decompress(data, limit)
        self._raw_deflate_ok = False
        self.pending = self._d.unconsumed_tail
        return out


class _Brotli(_Stage):
    __slots__ = ("_d",)

    def __init__(self, module: Any) -> None:
        super().__init__()
        self._d = module.Decompressor()
        try:
            self._d.process(b"", output_buffer_limit=1)
        except TypeError:  # brotli < 1.2: no output bound, so no decoding
            raise Undecodable("br") from None

    def _decode(self, limit: int) -> bytes:
        if not self._d.can_accept_more_data():
            out: bytes = self._d.process(b"", output_buffer_limit=limit)
            if not out:  # holds input it neither decodes nor lets go of: give up on the body
                raise ValueError("the brotli decoder made no progress")
            return out
        if not self.pending or self._d.is_finished():
            self.pending = b""
            return b""
        data, self.pending = self.pending, b""
        return self._d.process(data, output_buffer_limit=limit)  # type: ignore[no-any-return]


class _Zstd(_Stage):
    __slots__ = ("_d", "_module")

    def __init__(self, module: Any) -> None:
        super().__init__()
        self._module = module
        self._d = self._new()

    def _new(self) -> Any:
        return self._module.ZstdDecompressor(max_window_size=_ZSTD_WINDOW).decompressobj()

    def _decode(self, limit: int) -> bytes:
        out: list[bytes] = []
        size = 0
        data = self.pending
        at = 0
        while at < len(data) and size < limit:
            piece = data[at : at + _ZSTD_SLICE]
            at += len(piece)
            got = self._d.decompress(piece)
            if self._d.eof:
                # A frame ended: what follows is the next frame (as httpx reads it).
                unused = self._d.unused_data
                self._d = self._new()
                at -= len(unused)
            if got:
                out.append(got)
                size += len(got)
        self.pending = data[at:]
        return b"".join(out)


def _stage(coding: str) -> _Stage | None:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if coding == "br":
        module = _optional("brotli") or _optional("brotlicffi")
        if module is None:
            raise Undecodable(coding)
        return _Brotli(module)
    if coding == "zstd":
        module = _optional("zstandard")
        if module is None:
            raise Undecodable(coding)
        return _Zstd(module)
    if coding in ("identity", ""):
        return None
    raise Undecodable(coding)


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


class Decoder:
    """The chain of stages for a Content-Encoding header (decoded last-applied first)."""

    __slots__ = ("_stages",)

    def __init__(self, content_encoding: str) -> None:
        """Build the chain.

        Raises:
            Undecodable: A coding cannot be decoded with an output bound.
        """
        codings = [part.strip().lower() for part in content_encoding.split(",")]
        codings = [coding for coding in codings if coding not in ("identity", "")]
        if len(codings) > _MAX_CODINGS:
            # Each decoder holds its own window: thousands of them in one header is an attack.
            raise Undecodable(content_encoding[:100])
        stages = [_stage(coding) for coding in reversed(codings)]
        self._stages = [stage for stage in stages if stage is not None]

    def feed(self, raw: bytes) -> None:
        """Add raw bytes from the network."""
        if self._stages:
            self._stages[0].pending += raw

    def read(self, limit: int) -> bytes:
        """Return at most `limit` decoded bytes; b"" once more raw input is needed."""
        if not self._stages:
            return b""
        return self._read(len(self._stages) - 1, limit)

    def _read(self, index: int, limit: int) -> bytes:
        stage = self._stages[index]
        for _ in range(1024):  # each turn hands the stage new input; a stuck stage stops
            out = stage.pull(limit)
            if out or index == 0:
                return out
            upstream = self._read(index - 1, _STEP)
            if not upstream:
                return b""
            stage.pending += upstream
        return b""


def decode_capped(raw: bytes, content_encoding: str, cap: int) -> tuple[bytes, bool] | None:
    """Return `raw` decoded by its Content-Encoding, at most `cap` + 1 bytes of it, as a read does.

    The same chain of bounded stages as a response read (so a bomb inflates to the cap, no
    further). Returns (the decoded bytes, whether there was more than `cap`), or None when a
    coding cannot be decoded with an output bound or `raw` is not in the coding it names (it
    fails to decode, or decodes to nothing: a capture saved after decoding keeps its
    Content-Encoding header).
    """
    try:
        decoder = Decoder(content_encoding)
    except Undecodable:
        return None
    if not decoder._stages:
        return raw[: cap + 1], len(raw) > cap
    decoder.feed(raw)
    out: list[bytes] = []
    size = 0
    try:
        while size <= cap:
            chunk = decoder.read(cap + 1 - size)
            if not chunk:
                break
            out.append(chunk)
            size += len(chunk)
    except Exception:  # any decoder failure means "not in that coding"
        _logger.debug("could not decode the body", exc_info=True)
        return None
    if not out and raw.strip():
        return None  # bytes that decode to nothing are not in that coding (or only its start)
    return b"".join(out)[: cap + 1], size > cap


# --- collecting and handing back ---


class _Collect:
    """The raw bytes read so far, and at most `cap` + 1 decoded bytes."""

    def __init__(self, response: httpx.Response, cap: int) -> None:
        encoding = response.headers.get("content-encoding", "")
        self.decoder: Decoder | None = Decoder(encoding)
        self.plain = not self.decoder._stages
        self.cap = cap
        self.raw: collections.deque[bytes] = collections.deque()
        self.raw_size = 0
        self.body: list[bytes] = []
        self.size = 0
        self.broken = False  # the coding failed: what was decoded before is kept

    def take(self, chunk: bytes) -> bool:
        """Take one raw chunk; True once enough has been read."""
        if not chunk:
            return False
        self.raw.append(chunk)
        self.raw_size += len(chunk)
        if self.plain:
            self._add(chunk[: self.cap + 1 - self.size])
        elif self.decoder is not None:
            self.decoder.feed(chunk)
            self._drain()
        return self.size > self.cap or self.broken or self.raw_size > self.cap + _RAW_SLACK

    def finish(self) -> None:
        """The stream ended: decode what is left, up to the cap."""
        if not self.plain and self.decoder is not None:
            self._drain()

    def _drain(self) -> None:
        decoder = self.decoder
        assert decoder is not None
        try:
            while self.size <= self.cap:
                out = decoder.read(self.cap + 1 - self.size)
                if not out:
                    return
                self._add(out)
        except Exception:
            _logger.debug("could not decode the response body", exc_info=True)
            self.broken = True
            self.decoder = None

    def _add(self, data: bytes) -> None:
        if data:
            self.body.append(data)
            self.size += len(data)

    def result(self) -> bytes:
        return b"".join(self.body)[: self.cap + 1]


class _SyncReplay(httpx.SyncByteStream):
    """The raw bytes already read, then the rest of the original stream (or its error)."""

    def __init__(
        self,
        chunks: collections.deque[bytes],
        rest: Iterator[bytes] | None,
        stream: httpx.SyncByteStream | None,
        error: BaseException | None,
    ) -> None:
        self._chunks = chunks
        self._rest = rest
        self._stream = stream
        self._error = error

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._chunks
        while chunks:
            yield chunks.popleft()  # handed over: no longer held here
        error, self._error = self._error, None
        if error is not None:
            raise error
        rest, self._rest = self._rest, None
        if rest is not None:
            yield from rest

    def close(self) -> None:
        self._chunks.clear()
        self._rest = None
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


class _AsyncReplay(httpx.AsyncByteStream):
    """The async `_SyncReplay`."""

    def __init__(
        self,
        chunks: collections.deque[bytes],
        rest: AsyncIterator[bytes] | None,
        stream: httpx.AsyncByteStream | None,
        error: BaseException | None,
    ) -> None:
        self._chunks = chunks
        self._rest = rest
        self._stream = stream
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._chunks
        while chunks:
            yield chunks.popleft()
        error, self._error = self._error, None
        if error is not None:
            raise error
        rest, self._rest = self._rest, None
        if rest is not None:
            async for chunk in rest:
                yield chunk

    async def aclose(self) -> None:
        self._chunks.clear()
        self._rest = None
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()


def _deadline_error(response: httpx.Response, deadline: float) -> httpx.ReadTimeout:
    message = f"the error body was not read within the read deadline ({deadline:g} s)"
    try:
        return httpx.ReadTimeout(message, request=response.request)
    except RuntimeError:  # a response built by hand has no request
        return httpx.ReadTimeout(message)


def read_capped(
    response: httpx.Response, cap: int, deadline: float | None, *, keep_content: bool
) -> tuple[bytes, bool] | None:
    """Read at most `cap` + 1 decoded bytes of an unread sync stream within `deadline` seconds.

    Returns (body, truncated), or None when the body was left unread (an undecodable coding).
    The response's stream is replaced by a replay of what was read followed by the rest. When
    the stream ended within the limits it is closed, and with `keep_content` the decoded body
    is also kept as `response.content`, as `Response.read()` would. The deadline is checked
    between chunks: one blocking read may last up to httpx's read timeout.
    """
    try:
        collect = _Collect(response, cap)
    except Undecodable:
        return None
    stream = response.stream
    assert isinstance(stream, httpx.SyncByteStream)
    rest = iter(stream)
    error: BaseException | None = None
    ended = False
    start = time.monotonic()
    try:
        while True:
            if deadline is not None and time.monotonic() - start > deadline:
                break  # the stream is intact: the caller reads on from here
            try:
                chunk = next(rest)
            except StopIteration:
                ended = True
                break
            if collect.take(chunk):
                break
    except Exception as exc:  # noqa: BLE001 - a stream broken midway: the caller gets the error
        error = exc
    return _hand_back(
        response, collect, rest, error, ended=ended, is_async=False, keep=keep_content
    )


def _hand_back(
    response: httpx.Response,
    collect: _Collect,
    rest: Any,
    error: BaseException | None,
    *,
    ended: bool,
    is_async: bool,
    keep: bool,
) -> tuple[bytes, bool]:
    stream = response.stream
    if ended:
        collect.finish()
    body = collect.result()
    truncated = not ended or error is not None or collect.broken or len(body) > collect.cap
    if ended and error is None:
        # Nothing is left to read: release the connection now.
        rest = None
        if not is_async:
            _close_quietly(stream)
        if keep and not truncated:
            response._content = body
    replay_stream = None if rest is None else stream
    if is_async:
        response.stream = _AsyncReplay(collect.raw, rest, replay_stream, error)  # type: ignore[arg-type]
    else:
        response.stream = _SyncReplay(collect.raw, rest, replay_stream, error)  # type: ignore[arg-type]
    return body[: collect.cap], truncated


def _close_quietly(stream: object) -> None:
    try:
        stream.close()  # type: ignore[attr-defined]
    except Exception:
        _logger.debug("could not close the response stream", exc_info=True)


async def _aclose_quietly(stream: object) -> None:
    try:
        await stream.aclose()  # type: ignore[attr-defined]
    except Exception:
        _logger.debug("could not close the response stream", exc_info=True)


async def aread_capped(
    response: httpx.Response, cap: int, deadline: float | None, *, keep_content: bool
) -> tuple[bytes, bool] | None:
    """Like `read_capped`, for an async stream; the deadline also cancels a read in flight.

    A read cancelled at the deadline cannot be resumed: the caller then gets the bytes that
    arrived and an `httpx.ReadTimeout` in place of the rest.
    """
    import anyio  # noqa: PLC0415 - httpx's own dependency; imported where it is needed

    try:
        collect = _Collect(response, cap)
    except Undecodable:
        return None
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream)
    rest: AsyncIterator[bytes] | None = stream.__aiter__()
    error: BaseException | None = None
    ended = False
    with anyio.move_on_after(math.inf if deadline is None else deadline) as scope:
        try:
            while True:
                try:
                    chunk = await rest.__anext__()  # type: ignore[union-attr]
                except StopAsyncIteration:
                    ended = True
                    break
                if collect.take(chunk):
                    break
        except Exception as exc:  # noqa: BLE001 - a stream broken midway: the caller gets it
            error = exc
    if scope.cancelled_caught:
        assert deadline is not None
        error = _deadline_error(response, deadline)
        rest = None
        await _aclose_quietly(stream)
    if ended and error is None:
        await _aclose_quietly(stream)
    return _hand_back(response, collect, rest, error, ended=ended, is_async=True, keep=keep_content)
