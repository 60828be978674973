"""RetryTransport and AsyncRetryTransport end to end, against a scripted gateway on 127.0.0.1.

The gateway is a raw-socket HTTP/1.1 server, so it can do what real gateways do: answer 503 with
an empty body, 429 with Retry-After, close or reset the socket without a response, and stream a
chunked 200 one chunk at a time. Every test runs once per transport (sync, async).
"""

from __future__ import annotations

import collections
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

import agent_errors as ae
from agent_errors.testing import FakeClock

QODER_409 = (
    b'{"type":"error","error":{"type":"conflict_error","message":"Idempotency key reused'
    b' with a different request body."}}'
)
QODER_501 = (
    b'{"type":"error","error":{"type":"feature_not_available","feature":"managed-agents",'
    b'"available_from":"managed-agents-2026-04-01"}}'
)


@attrs.frozen
class Respond:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Close:
    """Read the request, then close the socket without a byte of response."""


@attrs.frozen
class Reset:
    """Read the request, then reset the connection (RST) without a response."""


@attrs.frozen
class Stream:
    chunks: tuple[bytes, ...]
    gate: threading.Event  # the second chunk is sent only once the test has the first


@attrs.frozen
class Broken:
    """Send the headers and one chunk of a 200 stream, then close mid-body."""

    chunk: bytes


@attrs.frozen
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Gateway:
    """A scripted HTTP server on a free loopback port; one action per request, in order."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.script: collections.deque[Any] = collections.deque()
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.handlers: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def push(self, *actions: object) -> None:
        self.script.extend(actions)

    def stop(self) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.thread.join(timeout=5)
        for handler in self.handlers:
            handler.join(timeout=5)
        self.sock.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            handler = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.handlers.append(handler)
            handler.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            seen = self._read(conn)
            if seen is None:
                return
            with self.lock:
                self.seen.append(seen)
                action = self.script.popleft() if self.script else Respond(599, b"unscripted")
            self._act(conn, action)
        finally:
            conn.close()

    @staticmethod
    def _read(conn: socket.socket) -> Seen | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return Seen(method, path, headers, body)

    @staticmethod
    def _act(conn: socket.socket, action: object) -> None:
        if isinstance(action, Close):
            return
        if isinstance(action, Reset):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if isinstance(action, Broken):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                b"%x\r\n%s\r\n" % (len(action.chunk), action.chunk)
            )
            return
        if isinstance(action, Stream):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )
            for index, chunk in enumerate(action.chunks):
                if index == 1 and not action.gate.wait(timeout=5):
                    return  # the client never got the first chunk on its own: fail the test
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")
            return
        assert isinstance(action, Respond)
        head = [f"HTTP/1.1 {action.status} Scripted", f"Content-Length: {len(action.body)}"]
        head += [f"{name}: {value}" for name, value in action.headers]
        head.append("Connection: close")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + action.body)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@attrs.define
class Result:
    response: httpx.Response
    sleeps: list[float]

    @property
    def record(self) -> ae.RetryRecord:
        record = self.response.extensions["agent_errors.retry"]
        assert isinstance(record, ae.RetryRecord)
        return record

    @property
    def reasons(self) -> list[str]:
        return [decision.reason for decision in self.record.decisions]


async def call(
    mode: str, method: str, url: str, *, provider: str = "qoder", **kwargs: Any
) -> Result:
    """Send one request through the retry transport of `mode`; sleeps are recorded, not slept."""
    clock = FakeClock()
    if mode == "sync":
        transport = ae.RetryTransport(provider=provider, sleep=clock.sleep)
        with httpx.Client(transport=transport, timeout=5) as client:
            response = client.request(method, url, **kwargs)
        return Result(response, clock.sleeps)

    atransport = ae.AsyncRetryTransport(provider=provider, sleep=clock.asleep)
    async with httpx.AsyncClient(transport=atransport, timeout=5) as aclient:
        response = await aclient.request(method, url, **kwargs)
    return Result(response, clock.sleeps)


pytestmark = pytest.mark.anyio


async def test_bodiless_503_is_retried_1_then_2_seconds(gateway, mode):
    gateway.push(Respond(503), Respond(503), Respond(200, b'{"id":"agent_1"}'))
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/agents"))
    assert result.response.status_code == 200
    assert result.response.json() == {"id": "agent_1"}
    assert result.sleeps == [1.0, 2.0]
    assert result.record.attempts == 3
    assert result.reasons == ["backoff", "backoff"]
    assert len(gateway.seen) == 3


async def test_gateway_gives_up_after_three_retries(gateway, mode):
    gateway.push(*[Respond(503)] * 5)
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/agents"))
    assert result.response.status_code == 503
    assert result.sleeps == [1.0, 2.0, 4.0]
    assert result.reasons == ["backoff", "backoff", "backoff", "max_retries"]
    assert len(gateway.seen) == 4


async def test_429_waits_as_long_as_retry_after_says(gateway, mode):
    gateway.push(Respond(429, headers=(("Retry-After", "3"),)), Respond(200, b"{}"))
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/sessions"))
    assert result.response.status_code == 200
    assert result.sleeps == [3.0]
    assert result.reasons == ["server_delay"]


async def test_429_with_a_retry_after_above_the_ceiling_is_returned_at_once(gateway, mode):
    gateway.push(Respond(429, headers=(("Retry-After", "86400"),)), Respond(200))
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/sessions"))
    assert result.response.status_code == 429
    assert result.sleeps == []
    assert result.reasons == ["server_delay_too_long"]
    assert result.record.decisions[0].retry_after == 86400.0
    assert len(gateway.seen) == 1


async def test_409_is_never_retried(gateway, mode):
    gateway.push(Respond(409, QODER_409, (("Content-Type", "application/json"),)), Respond(200))
    result = await call(mode, "POST", gateway.url("/api/v1/cloud/agents"), json={"name": "a"})
    assert result.response.status_code == 409
    assert result.response.json()["error"]["type"] == "conflict_error"  # body still readable
    assert result.reasons == ["never_retried"]
    assert len(gateway.seen) == 1


async def test_501_names_the_beta_header(gateway, mode):
    gateway.push(Respond(501, QODER_501))
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/agents"))
    decision = result.record.decisions[0]
    assert (decision.retry, decision.reason) == (False, "feature_not_available")
    assert decision.fix_headers == {"x-qoder-beta": "managed-agents-2026-04-01"}


@pytest.mark.parametrize("drop", [Close(), Reset()], ids=["closed", "reset"])
async def test_socket_dropped_without_a_response_is_retried_for_a_get(gateway, mode, drop):
    gateway.push(drop, Respond(200, b"ok"))
    result = await call(mode, "GET", gateway.url("/api/v1/cloud/agents"))
    assert result.response.status_code == 200
    assert result.sleeps == [1.0]
    assert result.record.decisions[0].kind == "network"
    assert len(gateway.seen) == 2


async def test_dropped_post_without_idempotency_is_not_resent(gateway, mode):
    # OneCLI documents no idempotency keys: a write that may have arrived must not be repeated.
    gateway.push(Close(), Respond(200))
    with pytest.raises(httpx.RemoteProtocolError):
        await call(mode, "POST", gateway.url("/v1/agents"), provider="onecli", json={"a": 1})
    assert len(gateway.seen) == 1


async def test_post_is_retried_with_the_same_idempotency_key(gateway, mode):
    gateway.push(Respond(503), Close(), Respond(201, b'{"id":"ses_1"}'))
    result = await call(
        mode, "POST", gateway.url("/api/v1/cloud/sessions/s_1/events"), json={"text": "hi"}
    )
    assert result.response.status_code == 201
    keys = {seen.headers.get("idempotency-key") for seen in gateway.seen}
    assert len(gateway.seen) == 3
    assert len(keys) == 1
    assert None not in keys
    assert result.record.idempotency_key in keys
    assert {seen.body for seen in gateway.seen} == {b'{"text":"hi"}'}


async def test_the_callers_own_key_is_reused_and_none_added(gateway, mode):
    gateway.push(Respond(500), Respond(200))
    result = await call(
        mode,
        "POST",
        gateway.url("/api/v1/cloud/agents"),
        json={},
        headers={"X-Idempotency-Key": "mine"},
    )
    assert result.response.status_code == 200
    assert [seen.headers.get("x-idempotency-key") for seen in gateway.seen] == ["mine", "mine"]
    assert all("idempotency-key" not in seen.headers for seen in gateway.seen)


async def test_streamed_200_passes_through_chunk_by_chunk(gateway, mode):
    gate = threading.Event()
    gateway.push(Stream((b"event: a\ndata: 1\n\n", b"event: b\ndata: 2\n\n"), gate))
    url = gateway.url("/api/v1/cloud/sessions/s_1/events/stream")
    received: list[bytes] = []
    if mode == "sync":
        transport = ae.RetryTransport(provider="qoder", sleep=lambda s: None)
        with (
            httpx.Client(transport=transport, timeout=5) as client,
            client.stream("GET", url) as response,
        ):
            assert not response.is_stream_consumed
            for chunk in response.iter_raw():
                received.append(chunk)
                gate.set()  # the server sends the next chunk only now
            record = response.extensions["agent_errors.retry"]
    else:

        async def sleep(seconds: float) -> None:
            pass

        atransport = ae.AsyncRetryTransport(provider="qoder", sleep=sleep)
        async with (
            httpx.AsyncClient(transport=atransport, timeout=5) as client,
            client.stream("GET", url) as response,
        ):
            assert not response.is_stream_consumed
            async for chunk in response.aiter_raw():
                received.append(chunk)
                gate.set()
            record = response.extensions["agent_errors.retry"]
    # The server sends the second chunk only after the client got the first (or gives up after
    # 5 s and never sends it): the whole body arriving proves it was not buffered on the way.
    assert b"".join(received) == b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n"
    assert record == ae.RetryRecord(attempts=1, provider="qoder")
    assert len(gateway.seen) == 1


async def read_stream(mode: str, url: str, received: list[bytes]) -> None:
    """Read a streamed GET through the retry transport of `mode`, chunk by chunk."""
    if mode == "sync":
        transport = ae.RetryTransport(provider="qoder", sleep=lambda s: None)
        with (
            httpx.Client(transport=transport, timeout=5) as client,
            client.stream("GET", url) as response,
        ):
            received.extend(response.iter_raw())
        return

    async def sleep(seconds: float) -> None:
        pass

    atransport = ae.AsyncRetryTransport(provider="qoder", sleep=sleep)
    async with (
        httpx.AsyncClient(transport=atransport, timeout=5) as client,
        client.stream("GET", url) as response,
    ):
        async for chunk in response.aiter_raw():
            received.append(chunk)  # noqa: PERF401 - keep the chunks that came before a break


async def test_an_established_stream_that_breaks_is_not_re_sent(gateway, mode):
    gateway.push(Broken(b"event: a\ndata: 1\n\n"), Respond(200, b"must not be sent"))
    url = gateway.url("/api/v1/cloud/sessions/s_1/threads/t_1/stream")
    received: list[bytes] = []
    with pytest.raises(httpx.RemoteProtocolError):
        await read_stream(mode, url, received)
    assert b"".join(received) == b"event: a\ndata: 1\n\n"
    assert len(gateway.seen) == 1
    # What to do instead: the engine says resume (Last-Event-ID), never re-send.
    error = ae.error_from_exception(httpx.RemoteProtocolError("incomplete"), provider="qoder")
    decision = ae.RetryPolicy.for_provider("qoder").decide(
        error, attempt=1, stream_established=True
    )
    assert (decision.retry, decision.reason) == (False, "stream_established")
