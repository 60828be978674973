"""Errors inside server-sent event streams: the decoder, one event, a whole body, the wrappers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import adapter_kit

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


QODER_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
STREAM = (
    "event: message_start\n"
    'data: {"type": "message_start"}\n'
    "\n"
    ": keep-alive comment\n"
    "\n"
    "event: error\n"
    "id: 42\n"
    f"data: {json.dumps(QODER_ERROR)}\n"
    "\n"
)
SSE_HEADERS = {"content-type": "text/event-stream", "x-request-id": "req_sse"}


# --- the decoder ---------------------------------------------------------------------------------


def decode(*chunks: bytes | str) -> list[ae.SSEEvent]:
    decoder = adapter_kit.SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def test_decoder_follows_the_event_stream_rules() -> None:
    text = (
        "\ufeffdata: first\r\n"
        "data:second line\r\n"
        "\r\n"
        "event: custom\r"
        "data:  two spaces\r"
        "id: 7\r"
        "retry: 1500\r"
        "\r"
        "data\n"
        "\n"
        "id: bad\x00id\n"
        "retry: 1.5\n"
        "unknown: field\n"
        "data: x\n"
        "\n"
        "event: only-a-type\n"
        "\n"
        "data: never dispatched"
    )
    assert decode(text) == [
        ae.SSEEvent(data="first\nsecond line"),
        ae.SSEEvent(event="custom", data=" two spaces", id="7", retry=1500),
        ae.SSEEvent(data="", id="7"),
        ae.SSEEvent(data="x", id="7"),
    ]


def test_decoder_handles_any_split_between_chunks() -> None:
    raw = "data: héllo\r\n\r\nevent: error\r\ndata: {}\r\n\r\n".encode()
    whole = decode(raw)
    assert [e.data for e in whole] == ["héllo", "{}"]
    for cut in range(len(raw) + 1):
        assert decode(raw[:cut], raw[cut:]) == whole
    assert decode(*[raw[i : i + 1] for i in range(len(raw))]) == whole


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.text("abcxyz_", min_size=1, max_size=5),
            st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n")),
        ),
        max_size=5,
    ),
    newline=st.sampled_from(["\n", "\r", "\r\n"]),
    cuts=st.lists(st.integers(0, 400), max_size=6),
)
def test_decoder_round_trips_any_events(
    events: list[tuple[str, str]], newline: str, cuts: list[int]
) -> None:
    raw = "".join(f"event: {t}{newline}data: {d}{newline}{newline}" for t, d in events).encode()
    points = sorted({min(c, len(raw)) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert [(e.event, e.data) for e in decode(*pieces)] == events


# --- one event -----------------------------------------------------------------------------------


def test_error_event_with_envelope() -> None:
    event = ae.SSEEvent(event="error", data=json.dumps(QODER_ERROR), id="9")
    error = ae.error_from_event(event)
    assert error is not None
    assert error.kind is ae.Kind.UNAVAILABLE
    assert error.code == "overloaded_error"
    assert error.message == "Overloaded"
    assert error.status is None
    assert error.provider == "qoder"
    assert error.details["source"] == "stream"
    assert error.details["event"] == "error"
    assert error.details["event_id"] == "9"


def test_data_frame_whose_json_is_an_error_document() -> None:
    body = {"error": {"type": "rate_limit_error", "message": "Slow"}}
    error = ae.error_from_event(ae.SSEEvent(data=json.dumps(body)), status=200)
    assert error is not None
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.status == 200
    assert error.details["event"] == "message"


@pytest.mark.parametrize(
    "data",
    [
        '{"type": "content_block_delta", "delta": {"text": "an error occurred"}}',
        'plain text mentioning "error',
        '{"error": null}',
        "",
    ],
)
def test_ordinary_frames_are_not_errors(data: str) -> None:
    assert ae.error_from_event(ae.SSEEvent(data=data)) is None


def test_error_event_in_no_known_format() -> None:
    error = ae.error_from_event(ae.SSEEvent(event="error", data="stream broke"))
    assert error is not None
    assert error.kind is ae.Kind.UNKNOWN
    assert error.message == "stream broke"
    error = ae.error_from_event(ae.SSEEvent(event="error", data='{"message": "m", "code": "C1"}'))
    assert error is not None
    assert (error.message, error.code) == ("m", "C1")
    error = ae.error_from_event(ae.SSEEvent(event="error", data="[]"))
    assert error is not None
    assert error.message  # synthesized, never empty


def test_events_from_httpx_sse_are_accepted() -> None:
    event = ServerSentEvent(event="error", data=json.dumps(QODER_ERROR), id="3")
    error = ae.error_from_event(event, provider="qoder")
    assert error is not None
    assert error.details["event_id"] == "3"


# --- normalize on a whole event-stream body ------------------------------------------------------


def test_normalize_finds_the_error_event_in_a_captured_stream() -> None:
    response = httpx.Response(200, headers=SSE_HEADERS, content=STREAM.encode())
    error = ae.normalize(response)
    assert error is not None
    assert error.status == 200  # as sent
    assert error.kind is ae.Kind.UNAVAILABLE
    assert error.request_id == "req_sse"
    assert error.details["source"] == "stream"


def test_normalize_on_a_stream_without_errors_is_none() -> None:
    body = 'data: {"type": "message_start"}\n\n'
    assert ae.normalize(httpx.Response(200, headers=SSE_HEADERS, content=body.encode())) is None


def test_normalize_on_an_error_status_stream_without_error_events() -> None:
    response = httpx.Response(503, headers=SSE_HEADERS, content=b"data: hello\n\n")
    error = ae.normalize(response)
    assert error is not None
    assert error.kind is ae.Kind.UNAVAILABLE


# --- the wrappers --------------------------------------------------------------------------------


def stream_transport(chunks: list[bytes], seen: list[int]) -> httpx.MockTransport:
    def body() -> Iterator[bytes]:
        for index, chunk in enumerate(chunks):
            seen.append(index)
            yield chunk

    async def abody() -> AsyncIterator[bytes]:
        for index, chunk in enumerate(chunks):
            seen.append(index)
            yield chunk

    class Stream(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return body()

        def __aiter__(self) -> AsyncIterator[bytes]:
            return abody()

    return httpx.MockTransport(
        lambda request: httpx.Response(200, headers=SSE_HEADERS, stream=Stream())
    )


CHUNKS = [b"data: one\n\n", b"data: two\n\n", STREAM.encode(), b"data: after\n\n"]


def collect(events: Iterator[ae.SSEEvent], into: list[str]) -> None:
    for event in events:
        into.append(event.data)  # noqa: PERF401 - what arrived before the error is the point


async def acollect(events: AsyncIterator[ae.SSEEvent], into: list[str]) -> None:
    async for event in events:
        into.append(event.data)  # noqa: PERF401


def test_sync_wrapper_raises_mid_stream() -> None:
    seen: list[int] = []
    received: list[str] = []
    url = "https://api.qoder.com/api/v1/cloud/sessions/s/events/stream"
    with (
        httpx.Client(transport=stream_transport(CHUNKS, seen)) as client,
        client.stream("GET", url) as r,
        pytest.raises(ae.UnavailableError) as caught,
    ):
        collect(ae.raise_for_error_events(r), received)
    assert received == ["one", "two", '{"type": "message_start"}']
    assert seen == [0, 1, 2]  # the events after the error were never read
    assert caught.value.error.request_id == "req_sse"
    assert caught.value.response is r


async def test_async_wrapper_raises_mid_stream() -> None:
    seen: list[int] = []
    received: list[str] = []
    transport = stream_transport(CHUNKS, seen)
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("GET", "https://example.test/stream") as r,
    ):
        with pytest.raises(ae.UnavailableError) as caught:
            await acollect(ae.araise_for_error_events(r), received)
    assert received == ["one", "two", '{"type": "message_start"}']
    assert seen == [0, 1, 2]
    assert caught.value.error.status == 200


def test_wrapper_over_plain_events_and_a_provider() -> None:
    events = [ae.SSEEvent(data="a"), ae.SSEEvent(event="error", data=json.dumps(QODER_ERROR))]
    wrapped = ae.raise_for_error_events(events, provider="qoder", status=200)
    assert next(wrapped).data == "a"
    with pytest.raises(ae.AgentAPIError) as caught:
        next(wrapped)
    assert caught.value.error.provider == "qoder"
    assert caught.value.response is None


async def test_async_wrapper_over_plain_events() -> None:
    async def events() -> AsyncIterator[Any]:
        yield ae.SSEEvent(data="a")
        yield ae.SSEEvent(data="b")

    assert [e.data async for e in ae.araise_for_error_events(events())] == ["a", "b"]


def test_iter_sse_events_without_checks() -> None:
    seen: list[int] = []
    with (
        httpx.Client(transport=stream_transport(CHUNKS, seen)) as client,
        client.stream("GET", "https://example.test/") as r,
    ):
        kinds = [e.event for e in ae.iter_sse_events(r)]
    assert kinds == ["message", "message", "message_start", "error", "message"]
