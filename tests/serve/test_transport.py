"""RetryTransport / AsyncRetryTransport behaviour, with httpx.MockTransport as the seam."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

import agent_errors as ae
from agent_errors._serving._transport import _anyio_sleep
from agent_errors.testing import FakeClock


class Tracked(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records whether it was read and closed."""

    def __init__(self, body: bytes = b"") -> None:
        self.body = body
        self.read = False
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        self.read = True
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield self.body

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Script:
    """A handler answering with the given responses (or raising the given exceptions) in order."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer


QODER = "https://api.qoder.com/api/v1/cloud"


def transport(script: Script, **kwargs: object) -> ae.RetryTransport:
    kwargs.setdefault("sleep", lambda seconds: None)
    return ae.RetryTransport(httpx.MockTransport(script), **kwargs)  # type: ignore[arg-type]


def test_2xx_is_the_inner_response_untouched_and_unread():
    stream = Tracked(b"data")
    inner = httpx.Response(200, stream=stream)
    retry = transport(Script(inner))
    response = retry.handle_request(httpx.Request("GET", f"{QODER}/agents"))
    assert response is inner
    assert not stream.read
    assert not stream.closed
    assert response.extensions["agent_errors.retry"] == ae.RetryRecord(1, provider="qoder")


def test_discarded_error_responses_are_closed_and_the_last_one_stays_readable():
    first, last = Tracked(b"first"), Tracked(b"last")
    script = Script(httpx.Response(503, stream=first), httpx.Response(503, stream=last))
    policy = ae.RetryPolicy(max_retries=1, random=lambda: 0.0)
    response = transport(script, policy=policy).handle_request(httpx.Request("GET", QODER))
    assert first.closed
    assert response.status_code == 503
    assert response.read() == b"last"


def test_provider_is_found_from_the_host_and_writes_get_a_key():
    script = Script(httpx.Response(503), httpx.Response(200))
    response = transport(script).handle_request(
        httpx.Request("POST", f"{QODER}/sessions", json={"a": 1})
    )
    assert response.status_code == 200
    keys = [request.headers["idempotency-key"] for request in script.requests]
    assert len(keys) == 2
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    "options", [{}, {"scope_by_credential": True}, {"cooldown_scope": "route"}], ids=repr
)
def test_a_first_try_success_records_its_key(options: dict[str, object]):
    # A read and a write, in the default scope and in the narrowed ones: a write's record
    # carries the key it was sent with, a read's is the shared first-try record.
    script = Script(httpx.Response(201), httpx.Response(200))
    retry = transport(script, **options)
    headers = {"authorization": "Bearer k"}
    wrote = retry.handle_request(
        httpx.Request("POST", f"{QODER}/sessions", json={}, headers=headers)
    )
    key = script.requests[0].headers["idempotency-key"]
    assert wrote.extensions["agent_errors.retry"] == ae.RetryRecord(1, (), key, "qoder")
    read = retry.handle_request(httpx.Request("GET", f"{QODER}/sessions/s_1", headers=headers))
    assert read.extensions["agent_errors.retry"] == ae.RetryRecord(1, provider="qoder")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_deadline_counts_from_when_the_request_began(method: str):
    # A clock far from zero: a read resolved in line starts its deadline from the clock too.
    clock = FakeClock(1000.0)
    script = Script(httpx.Response(503), httpx.Response(200))
    policy = ae.RetryPolicy(deadline=10.0, random=lambda: 0.0)
    retry = transport(script, policy=policy, clock=clock, sleep=clock.sleep)
    request = httpx.Request(method, f"{QODER}/sessions", headers={"idempotency-key": "k1"})
    response = retry.handle_request(request)
    assert response.status_code == 200
    assert response.extensions["agent_errors.retry"].attempts == 2


def test_reads_get_no_key_and_unknown_hosts_get_no_key():
    script = Script(httpx.Response(200), httpx.Response(200))
    retry = transport(script)
    retry.handle_request(httpx.Request("GET", f"{QODER}/agents"))
    retry.handle_request(httpx.Request("POST", "https://example.com/x", json={}))
    assert all("idempotency-key" not in request.headers for request in script.requests)


def test_one_shot_body_is_not_re_sent():
    def chunks() -> Iterator[bytes]:
        yield b"x"

    sent: list[bytes] = []

    class Inner(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(b"".join(request.stream))  # type: ignore[arg-type]
            return httpx.Response(503)

    request = httpx.Request("PUT", "https://example.com/x", content=chunks())
    retry = ae.RetryTransport(Inner(), sleep=lambda seconds: None)
    response = retry.handle_request(request)
    assert response.status_code == 503
    assert sent == [b"x"]
    record = response.extensions["agent_errors.retry"]
    assert [d.reason for d in record.decisions] == ["body_not_replayable"]


def test_final_network_error_is_raised_as_is():
    boom = httpx.ConnectError("refused")
    script = Script(boom, boom)
    policy = ae.RetryPolicy(max_retries=1, random=lambda: 0.0)
    with pytest.raises(httpx.ConnectError) as info:
        transport(script, policy=policy).handle_request(httpx.Request("POST", "https://x.io/"))
    assert info.value is boom
    assert len(script.requests) == 2


def test_on_retry_hook_and_log_records(caplog):
    seen: list[tuple[ae.Decision, httpx.Request]] = []
    script = Script(
        httpx.Response(503, headers={"x-request-id": "req_9"}),
        httpx.Response(503),
        httpx.Response(200),
    )
    retry = transport(script, provider="qoder", on_retry=lambda d, r: seen.append((d, r)))
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        retry.handle_request(httpx.Request("GET", "https://gw.example/agents"))
    assert [(d.attempt, d.delay) for d, _ in seen] == [(1, 1.0), (2, 2.0)]
    assert seen[0][1].url == "https://gw.example/agents"
    records = [r for r in caplog.records if r.name == "agent_errors"]
    assert [(r.attempt, r.delay, r.reason, r.kind) for r in records] == [  # type: ignore[attr-defined]
        (1, 1.0, "backoff", "unavailable"),
        (2, 2.0, "backoff", "unavailable"),
    ]
    assert records[0].request_id == "req_9"  # type: ignore[attr-defined]


def test_give_up_is_logged_too(caplog):
    script = Script(httpx.Response(400))
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        transport(script).handle_request(httpx.Request("GET", "https://x.io/"))
    assert [r.reason for r in caplog.records] == ["not_retryable"]  # type: ignore[attr-defined]


def test_budget_is_shared_through_the_store():
    store = ae.MemoryStore()
    budget = ae.RetryBudget(capacity=2, failure_cost=1, refund=1)
    policy = ae.RetryPolicy(max_retries=5, budget=budget, random=lambda: 0.0)
    script = Script(*[httpx.Response(500)] * 3, httpx.Response(200), httpx.Response(500))
    script.answers.append(httpx.Response(200))
    one = transport(script, policy=policy, store=store)
    two = transport(script, policy=policy, store=store)
    response = one.handle_request(httpx.Request("GET", "https://x.io/"))
    assert response.status_code == 500  # two retries, then the bucket was empty
    assert [d.reason for d in response.extensions["agent_errors.retry"].decisions] == [
        "backoff",
        "backoff",
        "budget_exhausted",
    ]
    assert two.handle_request(httpx.Request("GET", "https://x.io/")).status_code == 200
    assert store.tokens("generic:x.io", capacity=2) == 1  # the success refunded one token
    again = two.handle_request(httpx.Request("GET", "https://x.io/"))
    assert again.status_code == 200
    assert again.extensions["agent_errors.retry"].decisions[0].retry


def test_a_servers_delay_cools_the_whole_scope_down():
    clock = FakeClock()
    store = ae.MemoryStore(clock=clock)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds / 2)  # half the cooldown passes before the next request

    script = Script(
        httpx.Response(429, headers={"retry-after": "8"}),
        httpx.Response(200),
        httpx.Response(200),
    )
    retry = transport(script, store=store, clock=clock, sleep=sleep)
    policy = ae.RetryPolicy(max_retries=0)
    first = ae.RetryTransport(httpx.MockTransport(script), policy=policy, store=store, clock=clock)
    assert first.handle_request(httpx.Request("GET", "https://x.io/a")).status_code == 429
    assert retry.handle_request(httpx.Request("GET", "https://x.io/b")).status_code == 200
    assert slept == [8.0]
    clock.advance(100)
    assert retry.handle_request(httpx.Request("GET", "https://x.io/c")).status_code == 200
    assert slept == [8.0]


def test_deadline_uses_the_injected_clock():
    clock = FakeClock()
    policy = ae.RetryPolicy(deadline=2.5, initial_delay=1, jitter="none", max_retries=9)
    script = Script(*[httpx.Response(503)] * 9)
    retry = transport(script, policy=policy, clock=clock, sleep=clock.sleep)
    response = retry.handle_request(httpx.Request("GET", "https://x.io/"))
    reasons = [d.reason for d in response.extensions["agent_errors.retry"].decisions]
    assert reasons == ["backoff", "deadline"]  # 1 s, then 2 s would end at 3 s > 2.5 s
    assert clock() == 1.0


def test_testing_mode_never_sleeps_and_caps_attempts():
    slept: list[float] = []
    script = Script(*[httpx.Response(503)] * 5)
    with ae.set_testing(True, attempts=2):
        response = transport(script, provider="qoder", sleep=slept.append).handle_request(
            httpx.Request("GET", "https://x.io/")
        )
    assert slept == []
    assert len(script.requests) == 2
    assert response.extensions["agent_errors.retry"].attempts == 2


def test_custom_transport_close_is_forwarded():
    closed: list[bool] = []

    class Inner(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

        def close(self) -> None:
            closed.append(True)

    with httpx.Client(transport=ae.RetryTransport(Inner())) as client:
        assert client.get("https://x.io/").status_code == 200
    assert closed == [True]


def test_default_transports_are_http_transports():
    assert isinstance(ae.RetryTransport()._transport, httpx.HTTPTransport)
    assert isinstance(ae.AsyncRetryTransport()._transport, httpx.AsyncHTTPTransport)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_shares_the_flow():
    clock = FakeClock()
    stream = Tracked(b"")
    script = Script(
        httpx.Response(503, stream=stream), httpx.ConnectError("x"), httpx.Response(200)
    )
    retry = ae.AsyncRetryTransport(httpx.MockTransport(script), sleep=clock.asleep)
    async with httpx.AsyncClient(transport=retry) as client:
        response = await client.post(f"{QODER}/agents", json={})
    assert response.status_code == 200
    assert clock.sleeps == [1.0, 2.0]
    assert stream.closed
    key = script.requests[0].headers["idempotency-key"]
    assert all(r.headers["idempotency-key"] == key for r in script.requests)


@pytest.mark.anyio
async def test_async_first_try_successes_record_their_key():
    script = Script(httpx.Response(201), httpx.Response(200))
    retry = ae.AsyncRetryTransport(httpx.MockTransport(script))
    wrote = await retry.handle_async_request(httpx.Request("POST", f"{QODER}/sessions", json={}))
    key = script.requests[0].headers["idempotency-key"]
    assert wrote.extensions["agent_errors.retry"] == ae.RetryRecord(1, (), key, "qoder")
    read = await retry.handle_async_request(httpx.Request("GET", f"{QODER}/agents"))
    assert read.extensions["agent_errors.retry"] == ae.RetryRecord(1, provider="qoder")


@pytest.mark.anyio
async def test_async_final_exception_and_store_calls():
    store = ae.MemoryStore()
    boom = httpx.ReadTimeout("slow")
    script = Script(httpx.Response(429, headers={"retry-after": "2"}), boom)

    async def sleep(seconds: float) -> None:
        pass

    retry = ae.AsyncRetryTransport(
        httpx.MockTransport(script), sleep=sleep, store=store, policy=ae.RetryPolicy(max_retries=1)
    )
    with pytest.raises(httpx.ReadTimeout):
        await retry.handle_async_request(httpx.Request("GET", "https://x.io/"))
    assert store.cooldown_remaining("generic:x.io") > 0
    assert store.tokens("generic:x.io", capacity=10) == 9.75


@pytest.mark.anyio
async def test_default_async_sleep_is_anyio():
    await _anyio_sleep(0)


def test_route_cache_stays_bounded():
    retry = ae.RetryTransport(httpx.MockTransport(lambda request: httpx.Response(204)))
    for index in range(1100):
        retry.handle_request(httpx.Request("GET", f"https://h{index}.example/"))
    assert 0 < len(retry._flow.routes) <= 1024


def test_a_cooldown_above_the_ceiling_is_not_waited_and_no_budget_means_no_store_calls():
    clock = FakeClock()
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("generic:x.io", 500)
    slept: list[float] = []
    policy = ae.RetryPolicy(budget=None, max_server_delay=60, random=lambda: 0.0)
    script = Script(httpx.Response(500), httpx.Response(200))
    retry = transport(script, policy=policy, store=store, clock=clock, sleep=slept.append)
    refused = retry.handle_request(httpx.Request("GET", "https://x.io/"))
    assert refused.status_code == 429  # 500 s is above the ceiling: neither waited nor sent
    assert refused.extensions["agent_errors.cooldown"] == 500
    assert script.requests == []
    clock.advance(500)
    assert retry.handle_request(httpx.Request("GET", "https://x.io/")).status_code == 200
    assert slept == []  # the retry's own backoff was 0
    assert store.tokens("generic:x.io", capacity=10) == 10


def test_a_large_final_error_body_stays_readable():
    body = b'{"error":{"message":"' + b"x" * 200_000 + b'"}}'
    script = Script(
        httpx.Response(400, stream=Tracked(body), headers={"content-length": str(len(body))})
    )
    response = transport(script).handle_request(httpx.Request("GET", "https://x.io/"))
    assert response.read() == body
    assert response.extensions["agent_errors.retry"].decisions[0].reason == "not_retryable"


def test_an_error_body_that_breaks_midway_still_gets_a_decision():
    class Breaking(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b'{"err'
            raise httpx.ReadError("reset")

    script = Script(httpx.Response(503, stream=Breaking()), httpx.Response(200))
    response = transport(script).handle_request(httpx.Request("GET", "https://x.io/"))
    assert response.status_code == 200
    decision = response.extensions["agent_errors.retry"].decisions[0]
    assert (decision.kind, decision.status) == ("unavailable", 503)


@pytest.mark.anyio
async def test_async_large_error_body_and_broken_body():
    body = b"y" * 100_000
    stream = Tracked(body)

    class Breaking(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"{"
            raise httpx.ReadError("reset")

    async def sleep(seconds: float) -> None:
        pass

    script = Script(httpx.Response(502, stream=Breaking()), httpx.Response(404, stream=stream))
    retry = ae.AsyncRetryTransport(httpx.MockTransport(script), sleep=sleep)
    response = await retry.handle_async_request(httpx.Request("GET", "https://x.io/"))
    assert response.status_code == 404
    assert await response.aread() == body


def test_log_lines_leave_out_query_and_user_info(caplog):
    script = Script(httpx.Response(400))
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        transport(script).handle_request(
            httpx.Request("GET", "https://user:hunter2@x.io:8443/v1/a?api_key=sk-secret123456")
        )
    text = caplog.text
    assert "https://x.io:8443/v1/a" in text
    assert "hunter2" not in text
    assert "sk-secret" not in text
