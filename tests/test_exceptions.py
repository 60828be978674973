"""Exceptions: one subclass per kind, and raise_for_error as a real httpx event hook."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

import agent_errors as ae
from agent_errors import CanonicalError, Kind, adapter_kit
from agent_errors._core import _exceptions
from agent_errors._core._exceptions import _BY_KIND

QODER_429 = b'{"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}'


def test_the_mapping_is_total_and_one_to_one():
    assert set(_BY_KIND) == set(Kind)
    classes = [ae.error_class(kind) for kind in Kind]
    assert len(set(classes)) == len(Kind)
    for kind, cls in zip(Kind, classes, strict=True):
        assert cls.kind is kind
        assert issubclass(cls, ae.AgentAPIError)
        assert cls is not ae.AgentAPIError


@pytest.mark.parametrize("kind", list(Kind))
def test_from_error_picks_the_kinds_subclass(kind: Kind):
    error = CanonicalError(kind, "m", status=kind.default_status)
    exc = ae.AgentAPIError.from_error(error)
    assert type(exc) is ae.error_class(kind)
    assert type(exc) is ae.error_class(kind.value)
    assert exc.error is error
    assert exc.response is None
    assert exc.retryable is kind.retryable
    assert str(exc) == str(error)
    assert repr(exc) == f"{type(exc).__name__}({error!r})"


def test_every_subclass_is_exported_and_documented():
    for cls in _BY_KIND.values():
        assert getattr(ae, cls.__name__) is cls
        assert cls.__doc__
        assert cls.__name__ in (_exceptions.__doc__ or "")


def test_concurrency_limited_is_caught_as_rate_limited():
    error = CanonicalError(Kind.CONCURRENCY_LIMITED, "too many runs")
    with pytest.raises(ae.RateLimitedError) as info:
        raise ae.AgentAPIError.from_error(error)
    assert isinstance(info.value, ae.ConcurrencyLimitedError)


def test_error_class_rejects_non_kinds():
    with pytest.raises(ValueError, match="not_a_kind"):
        ae.error_class("not_a_kind")


def test_shortcuts():
    error = CanonicalError(Kind.RATE_LIMITED, "m", retry_after=2.0, request_id="req_1")
    exc = ae.RateLimitedError(error)
    assert exc.retry_after == 2.0
    assert exc.request_id == "req_1"
    assert exc.retryable is True


@pytest.mark.parametrize("kind", list(Kind))
def test_pickling_keeps_the_class_and_the_error(kind: Kind):
    error = CanonicalError(kind, "m", status=500, details={"a": [1, {"b": 2}]})
    response = httpx.Response(500, content=b"{}")
    exc = ae.AgentAPIError.from_error(error, response)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert back.error == error
    assert back.response is None  # responses hold streams and sockets: not pickled
    assert str(back) == str(exc)


def test_response_is_kept():
    response = httpx.Response(429, content=QODER_429)
    with pytest.raises(ae.RateLimitedError) as info:
        ae.raise_for_error(response)
    assert info.value.response is response


def test_raise_for_error_returns_none_for_a_success():
    assert ae.raise_for_error(httpx.Response(200, json={"ok": True})) is None


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/error":
        return httpx.Response(
            429,
            headers={"retry-after": "3", "x-request-id": "req_42"},
            content=QODER_429,
        )
    if request.url.path == "/big-error":
        return httpx.Response(500, stream=_Chunks(200_000))
    return httpx.Response(200, stream=_Chunks(100_000))


class _Chunks(httpx.SyncByteStream):
    pulled = 0

    def __init__(self, total: int) -> None:
        self.total = total

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.total // 1000):
            _Chunks.pulled += 1000
            yield b"a" * 1000


class _AsyncChunks(httpx.AsyncByteStream):
    pulled = 0

    def __init__(self, total: int) -> None:
        self.total = total

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.total // 1000):
            _AsyncChunks.pulled += 1000
            yield b"a" * 1000


def test_raise_for_error_as_a_sync_event_hook_reads_error_bodies():
    client = httpx.Client(
        transport=httpx.MockTransport(_handler),
        base_url="https://api.qoder.com",
        event_hooks={"response": [ae.raise_for_error]},
    )
    with client, pytest.raises(ae.RateLimitedError) as info:
        client.get("/error")
    error = info.value.error
    assert error.provider == "qoder"
    assert error.message == "slow down"
    assert error.retry_after == 3.0
    assert error.request_id == "req_42"
    assert info.value.response is not None
    assert info.value.response.status_code == 429


def test_raise_for_error_hook_leaves_a_streamed_success_unconsumed():
    _Chunks.pulled = 0
    client = httpx.Client(
        transport=httpx.MockTransport(_handler), event_hooks={"response": [ae.raise_for_error]}
    )
    with client, client.stream("GET", "https://example.test/ok") as response:
        assert _Chunks.pulled == 0  # the hook did not read the body
        assert not response.is_stream_consumed
        assert len(b"".join(response.iter_bytes())) == 100_000


def test_raise_for_error_hook_reads_a_streamed_error_up_to_the_cap():
    _Chunks.pulled = 0
    client = httpx.Client(
        transport=httpx.MockTransport(_handler), event_hooks={"response": [ae.raise_for_error]}
    )
    with (
        client,
        pytest.raises(ae.InternalServerError) as info,
        client.stream("GET", "https://example.test/big-error"),
    ):
        pass  # pragma: no cover - the hook raises first
    assert info.value.error.details["body_truncated"] is True
    assert _Chunks.pulled <= adapter_kit.DEFAULT_BODY_CAP + 1000


def test_raise_for_error_with_an_explicit_provider():
    response = httpx.Response(500, json={"error": {"message": "x", "type": "server_error"}})
    with pytest.raises(ae.InternalServerError) as info:
        ae.raise_for_error(response, provider="generic")
    assert info.value.error.provider == "generic"
    with pytest.raises(ValueError, match="unknown provider"):
        ae.raise_for_error(response, provider="nope")


async def _async_handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/error":
        return httpx.Response(429, headers={"retry-after": "3"}, stream=_AsyncBody(QODER_429))
    return httpx.Response(200, stream=_AsyncChunks(100_000))


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body


@pytest.mark.anyio
async def test_araise_for_error_as_an_async_event_hook_reads_error_bodies():
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(_async_handler),
        base_url="https://api.qoder.com",
        event_hooks={"response": [ae.araise_for_error]},
    )
    async with client:
        with pytest.raises(ae.RateLimitedError) as info:
            await client.get("/error")
    assert info.value.error.message == "slow down"
    assert info.value.error.retry_after == 3.0


@pytest.mark.anyio
async def test_araise_for_error_hook_leaves_a_streamed_success_unconsumed():
    _AsyncChunks.pulled = 0
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(_async_handler),
        event_hooks={"response": [ae.araise_for_error]},
    )
    async with client, client.stream("GET", "https://example.test/ok") as response:
        assert _AsyncChunks.pulled == 0
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    assert len(body) == 100_000


@pytest.mark.anyio
async def test_araise_for_error_returns_none_for_a_success():
    assert await ae.araise_for_error(httpx.Response(204)) is None


@pytest.mark.parametrize("bad", ["rate limited", None, {"kind": "rate_limited"}])
def test_constructing_without_a_canonical_error_is_a_type_error(bad: object):
    with pytest.raises(TypeError, match="CanonicalError"):
        ae.RateLimitedError(bad)  # type: ignore[arg-type]
