"""ResponseView: built from parts and from httpx responses, never buffering past the cap."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors.adapter_kit import DEFAULT_BODY_CAP, Headers, ResponseView

CAP = DEFAULT_BODY_CAP
ERROR_JSON = b'{"error": {"message": "boom", "type": "server_error"}}'


class CountingStream(httpx.SyncByteStream):
    """A sync body of `total` bytes, made chunk by chunk, counting what was pulled."""

    def __init__(self, total: int, chunk: int = 4096, fill: bytes = b"x") -> None:
        self.total = total
        self.chunk = chunk
        self.fill = fill
        self.pulled = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while self.pulled < self.total:
            size = min(self.chunk, self.total - self.pulled)
            self.pulled += size
            yield self.fill * size

    def close(self) -> None:
        self.closed = True


class AsyncCountingStream(httpx.AsyncByteStream):
    def __init__(self, total: int, chunk: int = 4096, prefix: bytes = b"") -> None:
        self.total = total
        self.chunk = chunk
        self.prefix = prefix
        self.pulled = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.prefix:
            self.pulled += len(self.prefix)
            yield self.prefix
        while self.pulled < self.total:
            size = min(self.chunk, self.total - self.pulled)
            self.pulled += size
            yield b"z" * size

    async def aclose(self) -> None:
        self.closed = True


class ChunksStream(httpx.SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class BrokenStream(httpx.SyncByteStream):
    """Gives part of a body, then fails; closing fails too."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"error": {"message": "par'
        raise self.error

    def close(self) -> None:
        raise RuntimeError("close failed")


class AsyncBrokenStream(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"partial body"
        raise httpx.ReadError("connection reset")

    async def aclose(self) -> None:
        raise RuntimeError("close failed")


# --- from parts ---


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, 429),
        (httpx.codes.TOO_MANY_REQUESTS, 429),
        ("503", 503),
        (b" 502 ", 502),
        (100, 100),
        (999, 999),
        (99, None),
        (1000, None),
        (-1, None),
        (0, None),
        (True, None),
        (False, None),
        (None, None),
        ("abc", None),
        ("", None),
        (429.0, 429),
        (float("nan"), None),
        (object(), None),
    ],
)
def test_status_coercion(status: object, expected: int | None):
    view = ResponseView(status)
    assert view.status == expected
    if expected is None and status is not None:
        assert view.raw_status is status
    else:
        assert view.raw_status is None


def test_headers_from_a_dict_are_case_insensitive():
    view = ResponseView(429, {"Retry-After": "3", "X-Request-ID": "r1"})
    assert view.headers["retry-after"] == "3"
    assert view.headers["RETRY-AFTER"] == "3"
    assert view.headers.get("x-request-id") == "r1"
    assert "X-REQUEST-ID" in view.headers
    assert 1 not in view.headers
    assert view.headers.get("missing") is None
    assert sorted(view.headers) == ["retry-after", "x-request-id"]
    assert len(view.headers) == 2


def test_headers_from_pairs_join_repeated_names():
    headers = Headers([("Via", "a"), ("via", "b"), ("X", " padded ")])
    assert headers["via"] == "a, b"
    assert headers["x"] == "padded"


def test_headers_from_httpx_headers_keep_repeats():
    raw = httpx.Headers([("set-cookie", "a=1"), ("Set-Cookie", "b=2"), ("Retry-After", "9")])
    headers = Headers(raw)
    assert headers["set-cookie"] == "a=1, b=2"
    assert headers["retry-after"] == "9"
    assert Headers(headers) == headers


def test_headers_decode_bytes_as_latin1_and_stringify_the_rest():
    headers = Headers([(b"Retry-After", b"7"), ("X-N", 5), ("X-Latin", b"caf\xe9"), ("X-F", 1.5)])
    assert headers["retry-after"] == "7"
    assert headers["x-n"] == "5"
    assert headers["x-latin"] == "café"
    assert headers["x-f"] == "1.5"


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


def _pairs_then_failure() -> Iterator[tuple[str, str]]:
    yield ("retry-after", "4")
    raise RuntimeError("generator broke")


class _BrokenMapping(dict[str, str]):
    def items(self):  # type: ignore[override]
        raise RuntimeError("broken items")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ({}, {}),
        ("retry-after: 3", {}),
        (b"retry-after: 3", {}),
        (42, {}),
        ([("only-one",), ("a", "b", "c"), 5, None], {}),
        ([("", "empty name"), ("  ", "blank")], {}),
        ([("ok", "1"), ("bad", _Unprintable())], {"ok": "1", "bad": ""}),
        (_pairs_then_failure(), {"retry-after": "4"}),
        (_BrokenMapping(a="b"), {}),
        ({"x-ctl": "a\r\nb\x00c"}, {"x-ctl": "a\r\nb\x00c"}),
        ({"x-big": "9" * 100_000}, {"x-big": "9" * 100_000}),
    ],
)
def test_odd_headers_never_raise(raw: object, expected: dict[str, str]):
    assert dict(Headers(raw)) == expected


def test_headers_behave_as_a_mapping_for_any_key():
    headers = Headers({"a": "1"})
    with pytest.raises(KeyError):
        headers[5]  # type: ignore[index]
    assert headers.get(5, "default") == "default"  # type: ignore[arg-type]
    assert headers == {"a": "1"}


def test_headers_repr():
    assert repr(Headers({"A": "1"})) == "Headers({'a': '1'})"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, b""),
        (b"abc", b"abc"),
        ("héllo", "héllo".encode()),
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"mv"), b"mv"),
        ("\ud800", b"\xed\xa0\x80"),
        (12, b"\x00" * 12),  # bytes(12), as Python defines it
    ],
)
def test_body_forms(body: object, expected: bytes):
    view = ResponseView(500, None, body)
    assert view.body == expected
    assert view.truncated is False


@pytest.mark.parametrize(
    "body",
    [b"x" * (CAP + 10), "x" * (CAP + 10), bytearray(CAP + 10), memoryview(b"y" * (CAP + 10))],
)
def test_body_is_cut_at_the_cap(body: object):
    view = ResponseView(500, None, body)
    assert len(view.body) == CAP
    assert view.truncated is True


def test_small_cap_and_exact_cap():
    assert ResponseView(500, None, b"abcd", cap=4).truncated is False
    view = ResponseView(500, None, b"abcde", cap=4)
    assert (view.body, view.truncated) == (b"abcd", True)
    view = ResponseView(500, None, "é" * 10, cap=5)
    assert len(view.body) == 5
    assert view.truncated is True


def test_json_is_decoded_once_and_lazily():
    view = ResponseView(500, None, ERROR_JSON)
    assert view._json is not None  # not decoded yet: the sentinel
    first = view.json
    assert first == json.loads(ERROR_JSON)
    assert view.json is first
    assert view.error_object == {"message": "boom", "type": "server_error"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'  \n{"a": 1}', {"a": 1}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        (b"[1, 2]", [1, 2]),
        (b'{"a": 1', None),
        (b"plain text", None),
        (b'"just a string"', None),
        (b"123", None),
        (b"", None),
        (b"\xff\xfe\x00", None),
        (b"[" * 100_000, None),
        (b'{"n": NaN}', None),  # NaN is decoded, then checked below
        (json.dumps({"a": "é"}).encode("utf-16"), {"a": "é"}),
        (json.dumps({"a": 1}).encode("utf-16-le"), {"a": 1}),
        (json.dumps({"a": 1}).encode("utf-32-be"), {"a": 1}),
    ],
)
def test_json_tolerates_any_body(body: bytes, expected: object):
    doc = ResponseView(500, None, body).json
    if body == b'{"n": NaN}':
        assert isinstance(doc, dict)
        assert doc["n"] != doc["n"]
    else:
        assert doc == expected


def test_error_object_only_for_an_object_error():
    assert ResponseView(400, None, b'{"error": "flat"}').error_object is None
    assert ResponseView(400, None, b"[1]").error_object is None


def test_text_replaces_invalid_utf8_and_reads_utf16():
    assert ResponseView(500, None, b"ok \xff").text == "ok \ufffd"
    assert ResponseView(500, None, "hello".encode("utf-16")).text == "hello"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Content-Type": "Application/JSON; charset=utf-8"}, "application/json"),
        ({}, ""),
        ({"content-type": ""}, ""),
    ],
)
def test_content_type(headers: dict[str, str], expected: str):
    assert ResponseView(500, headers).content_type == expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.Qoder.com/api/v1/cloud/agents", "api.qoder.com"),
        ("api.onecli.sh/v1/x", "api.onecli.sh"),
        ("http://localhost:10254/v1", "localhost"),
        ("http://[::1]:8000/", "::1"),
        ("http://[::1", None),
        (None, None),
        ("", None),
    ],
)
def test_host(url: str | None, host: str | None):
    assert ResponseView(500, url=url).host == host


def test_repr():
    assert repr(ResponseView(500, None, b"x" * 10, cap=4)) == (
        "ResponseView(status=500, body=4 bytes, truncated)"
    )


# --- from httpx.Response ---


def test_from_a_read_response():
    request = httpx.Request("GET", "https://api.qoder.com/api/v1/cloud/agents")
    response = httpx.Response(500, json={"error": {"message": "boom"}}, request=request)
    view = ResponseView.from_response(response)
    assert view.status == 500
    assert view.json == {"error": {"message": "boom"}}
    assert view.host == "api.qoder.com"
    assert view.truncated is False


def test_from_a_read_response_longer_than_the_cap():
    response = httpx.Response(500, content=b"x" * (CAP * 2))
    view = ResponseView.from_response(response)
    assert len(view.body) == CAP
    assert view.truncated is True
    assert len(response.content) == CAP * 2  # the caller's copy is untouched


def test_a_response_built_by_hand_has_no_url():
    assert ResponseView.from_response(httpx.Response(500)).url is None


def test_unread_sync_stream_within_the_cap_stays_readable():
    stream = CountingStream(1000)
    response = httpx.Response(500, stream=stream)
    view = ResponseView.from_response(response)
    assert view.body == b"x" * 1000
    assert view.truncated is False
    assert response.content == b"x" * 1000  # kept for the caller, as read() would
    assert response.text == "x" * 1000


def test_unread_sync_stream_larger_than_the_cap_is_never_buffered_past_it():
    stream = CountingStream(50 * CAP, chunk=4096)
    response = httpx.Response(500, stream=stream)
    view = ResponseView.from_response(response)
    assert len(view.body) == CAP
    assert view.truncated is True
    # At most one chunk beyond the cap was pulled; the caller still reads the whole body.
    assert stream.pulled <= CAP + 4096
    assert not response.is_closed
    assert sum(len(chunk) for chunk in response.iter_raw()) == 50 * CAP
    assert stream.closed is True


def test_a_declared_small_length_is_not_trusted():
    stream = CountingStream(50 * CAP, chunk=1000)
    response = httpx.Response(500, headers={"content-length": "10"}, stream=stream)
    view = ResponseView.from_response(response)
    assert view.truncated is True
    assert stream.pulled <= CAP + 1000


def test_gzip_encoded_read_response():
    response = httpx.Response(
        500,
        headers={"content-encoding": "gzip", "content-type": "application/json"},
        content=gzip.compress(ERROR_JSON),
    )
    assert ResponseView.from_response(response).json == json.loads(ERROR_JSON)


def test_gzip_encoded_stream_is_decoded():
    compressed = gzip.compress(ERROR_JSON)
    response = httpx.Response(
        500,
        headers={"content-encoding": "gzip"},
        stream=ChunksStream(compressed[:10], compressed[10:]),
    )
    error = ae.normalize(response)
    assert error is not None
    assert error.message == "boom"
    assert error.kind is ae.Kind.INTERNAL


def test_gzip_stream_that_inflates_past_the_cap_stops_early():
    compressed = gzip.compress(b"{" + b" " * (20 * CAP))
    pulled = []

    class Compressed(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for start in range(0, len(compressed), 512):
                pulled.append(512)
                yield compressed[start : start + 512]

    response = httpx.Response(500, headers={"content-encoding": "gzip"}, stream=Compressed())
    view = ResponseView.from_response(response)
    assert len(view.body) == CAP
    assert view.truncated is True
    assert sum(pulled) < len(compressed)


def test_corrupt_gzip_stream_gives_an_empty_truncated_body():
    response = httpx.Response(
        502, headers={"content-encoding": "gzip"}, stream=ChunksStream(b"not gzip")
    )
    view = ResponseView.from_response(response)
    assert view.status == 502
    assert view.body == b""
    assert view.truncated is True


@pytest.mark.parametrize("error", [httpx.ReadError("reset"), RuntimeError("broke midway")])
def test_a_stream_broken_midway_keeps_what_was_read(error: Exception):
    response = httpx.Response(500, headers={"retry-after": "3"}, stream=BrokenStream(error))
    view = ResponseView.from_response(response)
    assert view.body == b'{"error": {"message": "par'
    assert view.truncated is True
    normalized = ae.normalize(httpx.Response(500, stream=BrokenStream(error)))
    assert normalized is not None
    assert normalized.details["body_truncated"] is True


def test_an_async_stream_read_synchronously_gives_headers_only():
    stream = AsyncCountingStream(100)
    response = httpx.Response(503, headers={"retry-after": "5"}, stream=stream)
    view = ResponseView.from_response(response)
    assert view.body == b""
    assert view.json is None
    assert view.headers["retry-after"] == "5"
    assert stream.pulled == 0


def test_a_consumed_stream_gives_headers_only():
    response = httpx.Response(500, stream=CountingStream(10))
    response.read()
    response2 = httpx.Response(500, stream=CountingStream(10))
    for _ in response2.iter_raw():
        pass
    assert ResponseView.from_response(response).body == b"x" * 10
    view = ResponseView.from_response(response2)
    assert view.body == b""


@pytest.mark.anyio
async def test_unread_async_stream_is_read_up_to_the_cap():
    stream = AsyncCountingStream(50 * CAP, chunk=4096)
    response = httpx.Response(503, stream=stream)
    view = await ResponseView.afrom_response(response)
    assert len(view.body) == CAP
    assert view.truncated is True
    assert stream.pulled <= CAP + 4096
    # The caller still reads the whole body: what was read, then the rest.
    assert not stream.closed
    assert sum([len(chunk) async for chunk in response.aiter_raw()]) == 50 * CAP
    assert stream.closed is True


@pytest.mark.anyio
async def test_anormalize_reads_an_async_error_body():
    stream = AsyncCountingStream(len(ERROR_JSON), prefix=ERROR_JSON)
    response = httpx.Response(500, stream=stream)
    error = await ae.anormalize(response)
    assert error is not None
    assert error.message == "boom"
    assert await response.aread() == ERROR_JSON  # small bodies stay readable


@pytest.mark.anyio
async def test_afrom_response_reads_a_sync_stream_too():
    response = httpx.Response(500, stream=ChunksStream(ERROR_JSON))
    view = await ResponseView.afrom_response(response)
    assert view.json == json.loads(ERROR_JSON)


@pytest.mark.anyio
async def test_async_stream_broken_midway_keeps_what_was_read():
    response = httpx.Response(500, stream=AsyncBrokenStream())
    view = await ResponseView.afrom_response(response)
    assert view.body == b"partial body"
    assert view.truncated is True


def test_normalize_leaves_an_unread_success_stream_unread():
    stream = CountingStream(10 * CAP)
    response = httpx.Response(200, stream=stream)
    assert ae.normalize(response) is None
    assert stream.pulled == 0
    assert not response.is_stream_consumed
    assert b"".join(response.iter_bytes()) == b"x" * (10 * CAP)  # still the caller's


@pytest.mark.anyio
async def test_anormalize_leaves_an_unread_success_stream_unread():
    stream = AsyncCountingStream(10 * CAP)
    response = httpx.Response(200, stream=stream)
    assert await ae.anormalize(response) is None
    assert stream.pulled == 0


def test_normalize_reads_a_small_declared_success_body():
    body = b'{"error": {"message": "in a 200", "type": "server_error"}}'
    response = httpx.Response(
        200, headers={"content-length": str(len(body))}, stream=ChunksStream(body)
    )
    error = ae.normalize(response)
    assert error is not None
    assert error.message == "in a 200"
    assert response.content == body


def test_a_32_mb_error_body_costs_no_more_memory_than_the_cap():
    total = 32 * 1024 * 1024
    ae.normalize(httpx.Response(500, stream=CountingStream(CAP * 2, chunk=CAP)))  # warm up

    stream = CountingStream(total, chunk=CAP)
    response = httpx.Response(500, headers={"content-type": "text/plain"}, stream=stream)
    tracemalloc.start()
    try:
        error = ae.normalize(response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error is not None
    assert error.details["body_truncated"] is True
    assert stream.pulled <= 2 * CAP
    # The chunks kept, their join and the decoded text: a few times the cap, never 32 MB.
    assert peak < 8 * CAP, f"peak {peak} bytes for a cap of {CAP}"


# --- compressed bodies are inflated within the cap ---


class _RawChunks(httpx.SyncByteStream):
    def __init__(self, data: bytes, size: int = 65536) -> None:
        self.data = data
        self.size = size
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            self.pulled += self.size
            yield self.data[start : start + self.size]


class _AsyncRawChunks(httpx.AsyncByteStream):
    def __init__(self, data: bytes, size: int = 65536) -> None:
        self.data = data
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


def _deflate(data: bytes, *, raw: bool) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("deflate", lambda data: _deflate(data, raw=False)),
        ("deflate", lambda data: _deflate(data, raw=True)),
        ("identity", lambda data: data),
    ],
)
def test_compressed_streams_are_decoded_and_kept(encoding: str, encode: Any):
    stream = _RawChunks(encode(ERROR_JSON), size=7)
    response = httpx.Response(500, headers={"content-encoding": encoding}, stream=stream)
    view = ResponseView.from_response(response)
    assert view.json == json.loads(ERROR_JSON)
    assert view.truncated is False
    assert response.content == ERROR_JSON


def test_a_gzip_bomb_costs_no_more_memory_than_the_cap():
    # 64 MiB of zeros compress to one 64 KiB chunk; inflating it whole would cost 64 MiB.
    bomb = gzip.compress(b"\x00" * (64 * 1024 * 1024), compresslevel=9)
    ae.normalize(httpx.Response(500, content=b"warm up"))
    stream = _RawChunks(bomb)
    response = httpx.Response(500, headers={"content-encoding": "gzip"}, stream=stream)
    tracemalloc.start()
    try:
        view = ResponseView.from_response(response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(view.body) == CAP
    assert view.truncated is True
    assert stream.pulled == 65536
    assert peak < 8 * CAP, f"peak {peak} bytes for a cap of {CAP}"


def test_a_corrupt_deflate_body_keeps_nothing_and_is_truncated():
    response = httpx.Response(
        500, headers={"content-encoding": "deflate"}, stream=_RawChunks(b"\xff" * 100)
    )
    view = ResponseView.from_response(response)
    assert (view.body, view.truncated) == (b"", True)


@pytest.mark.anyio
async def test_async_gzip_streams_are_decoded_within_the_cap():
    small = httpx.Response(
        500,
        headers={"content-encoding": "gzip"},
        stream=_AsyncRawChunks(gzip.compress(ERROR_JSON), size=5),
    )
    assert (await ResponseView.afrom_response(small)).json == json.loads(ERROR_JSON)
    bomb = gzip.compress(b"{" * (4 * 1024 * 1024))
    big = httpx.Response(500, headers={"content-encoding": "gzip"}, stream=_AsyncRawChunks(bomb))
    view = await ResponseView.afrom_response(big)
    assert len(view.body) == CAP
    assert view.truncated is True


def test_normalize_leaves_a_compressed_success_stream_unread():
    # Its Content-Length counts compressed bytes: the body may inflate far past the cap.
    big = json.dumps({"data": "x" * (4 * CAP)}).encode()
    compressed = gzip.compress(big)
    assert len(compressed) < CAP
    stream = _RawChunks(compressed)
    response = httpx.Response(
        200,
        headers={"content-encoding": "gzip", "content-length": str(len(compressed))},
        stream=stream,
    )
    assert ae.normalize(response) is None
    assert stream.pulled == 0
    assert response.read() == big


class _AsyncChunksOf(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([200, 400, 401, 404, 429, 500, 503]),
    st.lists(
        st.sampled_from(
            [
                b'{"type": "error", "error": {"type": "rate_limit_error", "message": "m"}}',
                b'{"error": {"message": "x", "type": "server_error"}}',
                b"<html><title>down</title></html>",
                b"x" * 40_000,
                b"\xff\xfe",
            ]
        )
        | st.binary(max_size=50),
        max_size=4,
    ),
    st.dictionaries(
        st.sampled_from(["retry-after", "x-request-id", "content-type"]),
        st.sampled_from(["3", "req_1", "application/json"]),
    ),
)
def test_normalize_and_anormalize_agree(status: int, chunks: list[bytes], headers: dict[str, str]):
    # One I/O-free core behind both: the same bytes give the same error, sync or async.
    sync = ae.normalize(httpx.Response(status, headers=headers, stream=ChunksStream(*chunks)))
    response = httpx.Response(status, headers=headers, stream=_AsyncChunksOf(*chunks))
    asynchronous = anyio.run(ae.anormalize, response)
    assert sync == asynchronous
