"""normalize never raises: any bytes, headers or status in; a well-formed error (or None) out."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import CanonicalError, Kind
from agent_errors._parsing._hints import MAX_RETRY_AFTER
from agent_errors.adapter_kit import ResponseView

# Thousands of examples per property, without the per-example deadline (the first examples pay
# for imports) and without health checks that flag large generated inputs as slow.
settings.register_profile(
    "robustness",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROBUST = settings.get_profile("robustness")
VALIDATOR = jsonschema.Draft202012Validator(ae.json_schema())
PROVIDERS = sorted(ae.registered_adapters())

FIELDS = [
    "type",
    "error",
    "message",
    "code",
    "status",
    "param",
    "details",
    "detail",
    "errors",
    "request_id",
    "requestId",
    "retry_after",
    "retryAfter",
    "retry_after_ms",
    "resetAt",
    "reset_at",
    "feature",
    "available_from",
    "error_description",
    "title",
    "msg",
    "loc",
    "@type",
    "retryDelay",
    "seconds",
    "nanos",
    "kind",
    "meta",
]
ERROR_TYPES = [
    "error",
    "rate_limit_error",
    "invalid_request_error",
    "feature_not_available",
    "overloaded_error",
    "insufficient_quota",
    "type.googleapis.com/google.rpc.RetryInfo",
    "rate_limited",
    "UNAUTHENTICATED",
]

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | any_text
    | st.sampled_from(ERROR_TYPES)
    | st.sampled_from(["22s", "1.5", "-1", "NaN", "1e999", "2023-11-14T22:14:20Z", "6m0s"])
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | any_text, inner, max_size=6)
    ),
    max_leaves=25,
)


def _dump(value: Any) -> str:
    return json.dumps(value, allow_nan=True, ensure_ascii=False)


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    """Error envelopes in every known shape, with any type in any field."""
    inner = draw(st.dictionaries(st.sampled_from(FIELDS), json_like, max_size=5))
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return {"type": "error", "error": inner}
    if shape == 1:
        extra = draw(st.dictionaries(st.sampled_from(FIELDS), json_like, max_size=3))
        return {"error": inner, **extra}
    if shape == 2:
        return {"errors": [inner, draw(json_like)]}
    if shape == 3:
        return {"detail": draw(st.one_of(st.just([inner]), json_like))}
    if shape == 4:
        return {"error": {"code": draw(json_like), "details": [inner]}}
    return inner


def _deep(depth: int) -> bytes:
    return b'{"error":' * depth + b"1" + b"}" * depth


json_texts = st.one_of(
    envelopes().map(_dump),
    json_like.map(_dump),
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=300),
    any_text,
    json_texts,
    json_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    # truncated JSON
    st.tuples(json_texts, st.integers(0, 200)).map(lambda p: p[0][: p[1]]),
    # non-UTF-8 and UTF-16
    json_texts.map(lambda t: t.encode("utf-16", "surrogatepass")),
    json_texts.map(lambda t: t.encode("latin-1", "replace") + b"\xff\xfe"),
    # nesting, numbers and literals that stress decoders
    st.integers(1, 5000).map(_deep),
    st.integers(1, 100_000).map(lambda n: b"[" * n),
    st.integers(1, 6000).map(lambda n: b'{"error": {"message": "x", "code": ' + b"9" * n + b"}}"),
    st.sampled_from(
        [
            b'{"error": {"message": NaN, "retry_after": Infinity}}',
            b'{"retry_after": -Infinity, "error": "x"}',
            b'{"error": "\\ud800", "message": "\\udfff"}',
            b'{"type": "error", "error": {"type": "rate_limit_error", "message": "\\u0000"}}',
            b"\xef\xbb\xbf" + b'{"error": {"message": "bom"}}',
            b"<html><title>502 Bad Gateway</title></html>",
            b"<html><title>" + b"x" * 5000,
            b"\x00" * 50,
        ]
    ),
)

header_names = st.one_of(
    st.sampled_from(
        [
            "retry-after",
            "Retry-After",
            "retry-after-ms",
            "x-ratelimit-reset",
            "x-ratelimit-remaining",
            "ratelimit",
            "ratelimit-reset",
            "x-ratelimit-reset-tokens",
            "x-ratelimit-remaining-tokens",
            "date",
            "x-request-id",
            "request-id",
            "content-type",
            "content-encoding",
            "x-should-retry",
        ]
    ),
    any_text,
    st.binary(max_size=10),
    st.integers(),
    st.none(),
)
header_values = st.one_of(
    any_text,
    st.binary(max_size=40),
    st.integers(),
    st.floats(),
    st.none(),
    st.sampled_from(
        [
            "0",
            "-1",
            "NaN",
            "inf",
            "1e400",
            "9" * 400,
            "Tue, 14 Nov 2023 22:13:50 GMT",
            "Tue, 99 Nov 2023 99:99:99 GMT",
            "a\r\nb",
            "\x00\x7f",
            "x" * 100_000,
        ]
    ),
)
header_sets = st.one_of(
    st.none(),
    st.lists(st.tuples(header_names, header_values), max_size=8),
    st.dictionaries(header_names, header_values, max_size=8),
    st.lists(st.one_of(st.tuples(header_names), st.none(), st.integers()), max_size=3),
    any_text,
)
statuses = st.one_of(
    st.integers(100, 599),
    st.sampled_from([400, 401, 402, 403, 404, 409, 413, 422, 429, 500, 501, 502, 503, 504, 529]),
    st.integers(-(10**6), 10**6),
    st.none(),
    st.booleans(),
    any_text,
    st.binary(max_size=5),
    st.floats(),
)
urls = st.one_of(
    st.none(),
    any_text,
    st.sampled_from(
        [
            "https://api.qoder.com/api/v1/cloud/agents",
            "https://openapi.qoder.sh/x",
            "http://[::1",
            "https://user:pass@host:99999/",
            "",
        ]
    ),
)


def check(error: CanonicalError | None, status: object) -> None:
    """The invariants every result holds."""
    coerced = ResponseView(status).status
    if error is None:
        assert coerced is None or coerced < 400
        return
    assert isinstance(error, CanonicalError)
    assert isinstance(error.kind, Kind)
    assert isinstance(error.message, str)
    assert error.message
    assert error.retry_after is None or (
        isinstance(error.retry_after, float)
        and math.isfinite(error.retry_after)
        and 0 <= error.retry_after <= MAX_RETRY_AFTER
    )
    assert error.status is None or 100 <= error.status <= 999
    assert isinstance(error.retryable, bool)
    assert isinstance(error.provider, str)
    assert error.provider
    for value in (error.param, error.request_id, error.code):
        assert value is None or isinstance(value, str)
    repr(error)
    str(error)
    VALIDATOR.validate(json.loads(ae.to_json(error)))


@ROBUST
@given(statuses, header_sets, bodies, urls)
def test_normalize_parts_never_raises(status: Any, headers: Any, body: Any, url: Any):
    check(ae.normalize_parts(status, headers, body, url=url), status)


@ROBUST
@given(st.sampled_from(PROVIDERS), statuses, header_sets, bodies)
def test_normalize_parts_never_raises_for_any_provider(
    provider: str, status: Any, headers: Any, body: Any
):
    error = ae.normalize_parts(status, headers, body, provider=provider)
    check(error, status)
    if error is not None:
        assert error.provider in PROVIDERS


@settings(ROBUST, max_examples=1000)
@given(st.integers(400, 599), envelopes(), st.sampled_from([None, *PROVIDERS]))
def test_error_statuses_always_give_an_error(status: int, envelope: Any, provider: str | None):
    error = ae.normalize_parts(status, {}, _dump(envelope), provider=provider)
    assert error is not None
    check(error, status)
    assert error.status == status


@settings(ROBUST, max_examples=300)
@given(bodies, st.integers(0, 300))
def test_small_caps_never_raise(body: Any, cap: int):
    check(ae.normalize_parts(500, {}, body, cap=cap), 500)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1_000_000,
        b'{"a":' * 200_000,
        b"9" * 1_000_000,
        b'{"error": {"message": "' + b"\\ud800" * 50_000 + b'"}}',
        "\ud800" * 100_000,
        b"\xff" * 1_000_000,
    ],
)
def test_pathological_bodies(body: bytes | str):
    check(ae.normalize_parts(500, {}, body), 500)


def test_status_oddities():
    for status in (99, 1000, -500, 0, True, False, "abc", "", None, 429.5, math.nan, [429]):
        check(ae.normalize_parts(status, {}, b'{"error": "x"}'), status)  # type: ignore[arg-type]
    error = ae.normalize_parts("503", {}, b"")
    assert error is not None
    assert error.status == 503
    # A status that is no HTTP status is an error of kind unknown (DESIGN), never "no error".
    oops = ae.normalize_parts(-1, {}, b"oops")
    assert oops is not None
    assert (oops.kind, oops.status, oops.details["raw_status"]) == (Kind.UNKNOWN, None, -1)
    weird = ae.normalize_parts(-1, {}, b'{"error": {"message": "m", "type": "server_error"}}')
    assert weird is not None
    assert weird.status is None
    assert weird.kind is Kind.INTERNAL


# --- broken httpx.Response objects ---


class _FailingStream(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes], error: BaseException, close_error: bool) -> None:
        self.chunks = chunks
        self.error = error
        self.close_error = close_error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise self.error

    def close(self) -> None:
        if self.close_error:
            raise RuntimeError("close failed")


class _AsyncFailingStream(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], error: BaseException, close_error: bool) -> None:
        self.chunks = chunks
        self.error = error
        self.close_error = close_error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        raise self.error

    async def aclose(self) -> None:
        if self.close_error:
            raise RuntimeError("close failed")


stream_errors = st.sampled_from(
    [
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadTimeout("slow"),
        httpx.DecodingError("bad gzip"),
        RuntimeError("midway"),
        ValueError("bad"),
        OSError("io"),
    ]
)


def _safe_url(url: str) -> str:
    try:
        httpx.URL(url)
    except Exception:
        return "https://example.test/"
    return url


@st.composite
def broken_responses(draw: st.DrawFn, *, asynchronous: bool) -> httpx.Response:
    status = draw(st.integers(100, 999))
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["retry-after", "content-encoding", "content-length", "x-a"]),
                st.sampled_from(["3", "gzip", "deflate", "br", "identity", "-1", "10", "abc"]),
            ),
            max_size=4,
        )
    )
    texts = json_texts.map(lambda t: t.encode("utf-8", "surrogatepass"))
    chunks = draw(st.lists(st.binary(max_size=100) | texts, max_size=4))
    error = draw(stream_errors)
    close_error = draw(st.booleans())
    stream_type = _AsyncFailingStream if asynchronous else _FailingStream
    response = httpx.Response(
        status, headers=headers, stream=stream_type(chunks, error, close_error)
    )
    if draw(st.booleans()):
        response.request = httpx.Request("GET", _safe_url(draw(urls)))
    return response


@settings(ROBUST, max_examples=500)
@given(broken_responses(asynchronous=False))
def test_normalize_never_raises_on_broken_streams(response: httpx.Response):
    check(ae.normalize(response), response.status_code)


@settings(ROBUST, max_examples=300)
@given(broken_responses(asynchronous=True))
def test_normalize_never_raises_on_async_streams(response: httpx.Response):
    check(ae.normalize(response), response.status_code)


@pytest.mark.anyio
async def test_anormalize_never_raises_on_broken_streams():
    for error in (httpx.ReadError("reset"), RuntimeError("midway"), ValueError("bad")):
        for close_error in (False, True):
            for chunks in ([], [b'{"error": "par'], [b"x" * 70_000]):
                response = httpx.Response(
                    500, stream=_AsyncFailingStream(chunks, error, close_error)
                )
                check(await ae.anormalize(response), 500)
                response = httpx.Response(502, stream=_FailingStream(chunks, error, close_error))
                check(await ae.anormalize(response), 502)


class _Raises:
    def __get__(self, obj: object, owner: object = None) -> Any:
        raise RuntimeError("property broke")


class _NoStatus:
    status_code = _Raises()
    headers = _Raises()


class _HeadersOnly:
    status_code = 503
    headers = {"retry-after": "4"}  # noqa: RUF012


def _closed() -> httpx.Response:
    response = httpx.Response(500, stream=_FailingStream([b"x"], ValueError("x"), False))
    response.close()
    return response


def _consumed() -> httpx.Response:
    response = httpx.Response(500, stream=_FailingStream([b"abc"], StopIteration(), False))
    for _ in response.iter_raw():
        break
    return response


@pytest.mark.parametrize(
    "make",
    [
        _closed,
        lambda: httpx.Response(500, content=gzip.compress(b'{"error": "zipped"}')),
        lambda: httpx.Response(
            500, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
        ),
        lambda: httpx.Response(1000),
        lambda: httpx.Response(42, content=b"x"),
        lambda: httpx.Response(204, headers={"content-length": "5"}, content=b""),
    ],
)
def test_normalize_never_raises_on_odd_objects(make: Any):
    obj = make()
    error = ae.normalize(obj)
    assert error is None or isinstance(error.kind, Kind)
    if error is not None:
        check(error, error.status)


@pytest.mark.parametrize(
    "make", [lambda: None, object, lambda: "HTTP/1.1 500", _NoStatus, _HeadersOnly]
)
def test_normalize_refuses_what_is_not_a_response(make: Any):
    # Not "no error": a TypeError that names what normalize() takes.
    with pytest.raises(TypeError, match=r"httpx\.Response"):
        ae.normalize(make())


def test_headers_survive_an_unreadable_response():
    response = httpx.Response(
        503,
        headers={"retry-after": "4"},
        stream=_FailingStream([b"x"], ValueError("x"), False),
    )
    error = ae.normalize(response)
    assert error is not None
    assert error.retry_after == 4.0
    assert error.kind is Kind.UNAVAILABLE
