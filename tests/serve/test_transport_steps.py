"""The retry flow's typed steps: the I/O-free generator driven by hand, step by step."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator
from typing import Any

import httpx
import pytest

import agent_errors as ae
from agent_errors._serving._transport import (
    SEND,
    Close,
    Cooldown,
    Deposit,
    Extend,
    Inspect,
    RetryFlow,
    Send,
    Sleep,
    Step,
    Withdraw,
)

URL = "https://api.qoder.com/api/v1/cloud/agents"
STEP_KINDS = (Send, Cooldown, Deposit, Inspect, Close, Sleep, Withdraw, Extend)


def flow(**kwargs: Any) -> RetryFlow:
    kwargs.setdefault("policy", None)
    kwargs.setdefault("provider", None)
    kwargs.setdefault("clock", time.monotonic)
    kwargs.setdefault("on_retry", None)
    return RetryFlow(**kwargs)


def drive(
    run: Generator[Step, Any, httpx.Response], answers: dict[type, list[Any]]
) -> tuple[list[Step], httpx.Response]:
    """Answer each step from `answers` (by its class, in order); return the steps and result."""
    steps: list[Step] = []
    value: Any = None
    try:
        while True:
            step = run.send(value)
            steps.append(step)
            value = answers[type(step)].pop(0)
    except StopIteration as stop:
        return steps, stop.value


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_is_a_small_frozen_slotted_value(kind: type) -> None:
    assert dataclasses.is_dataclass(kind)
    params = kind.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in vars(kind)
    fields = {field.name: None for field in dataclasses.fields(kind)}
    step = kind(**fields)
    # A field refuses with FrozenInstanceError; `Send` has none, and slots refuse the rest.
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
        step.__setattr__(next(iter(fields), "anything"), 1)
    assert step == kind(**fields)  # values: equal by content


def test_a_2xx_is_cooldown_send_deposit_and_nothing_else() -> None:
    request = httpx.Request("GET", URL)
    ok = httpx.Response(200, request=request)
    steps, result = drive(flow().run(request), {Cooldown: [0.0], Send: [ok], Deposit: [None]})
    assert [type(step) for step in steps] == [Cooldown, Send, Deposit]
    assert steps[1] is SEND  # the flow's one request: no step is allocated for a 2xx
    assert steps[0] == Cooldown("qoder:api.qoder.com")
    budget = ae.RetryPolicy.for_provider("qoder").budget
    assert budget is not None
    assert steps[2] == Deposit("qoder:api.qoder.com", budget.refund, budget.capacity)
    assert result is ok
    assert result.extensions["agent_errors.retry"].attempts == 1


def test_the_constant_steps_are_built_once_per_route() -> None:
    shared = flow()
    first, _ = drive(
        shared.run(httpx.Request("GET", URL)),
        {Cooldown: [0.0], Send: [httpx.Response(204)], Deposit: [None]},
    )
    second, _ = drive(
        shared.run(httpx.Request("GET", URL + "/x")),
        {Cooldown: [0.0], Send: [httpx.Response(204)], Deposit: [None]},
    )
    assert first[0] is second[0]
    assert first[2] is second[2]
    assert first[1] is second[1] is SEND


def test_a_throttled_attempt_inspects_withdraws_extends_closes_sleeps_and_resends() -> None:
    request = httpx.Request("GET", URL)
    throttled = httpx.Response(429, headers={"retry-after": "2"}, request=request)
    ok = httpx.Response(200, request=request)
    error = ae.normalize_parts(429, {"retry-after": "2"}, b"", provider="qoder")
    steps, result = drive(
        flow().run(request),
        {
            Cooldown: [0.0],
            Send: [throttled, ok],
            Inspect: [error],
            Withdraw: [True],
            Extend: [2.0],
            Close: [None],
            Sleep: [None],
            Deposit: [None],
        },
    )
    assert [type(step) for step in steps] == [
        Cooldown,
        Send,
        Inspect,
        Withdraw,
        Extend,
        Close,
        Sleep,
        Send,
        Deposit,
    ]
    assert steps[2] == Inspect(throttled, None)  # no provider= given: the format is detected
    assert steps[4] == Extend("qoder:api.qoder.com", 2.0)
    assert steps[5] == Close(throttled)
    assert steps[6] == Sleep(2.0)
    assert result is ok
    record = result.extensions["agent_errors.retry"]
    assert [d.reason for d in record.decisions] == ["server_delay"]


def test_an_empty_budget_refuses_and_returns_the_error_response() -> None:
    request = httpx.Request("GET", URL)
    failed = httpx.Response(500, request=request)
    error = ae.normalize_parts(500, {}, b"", provider="qoder")
    steps, result = drive(
        flow().run(request),
        {Cooldown: [0.0], Send: [failed], Inspect: [error], Withdraw: [False]},
    )
    assert [type(step) for step in steps] == [Cooldown, Send, Inspect, Withdraw]
    assert result is failed
    record = result.extensions["agent_errors.retry"]
    assert [d.reason for d in record.decisions] == ["budget_exhausted"]


def test_testing_mode_is_applied_by_the_flow_not_the_policy() -> None:
    request = httpx.Request("GET", URL)
    failed = httpx.Response(503, request=request)
    error = ae.normalize_parts(503, {"retry-after": "30"}, b"", provider="qoder")
    with ae.set_testing(True, attempts=2):
        steps, result = drive(
            flow().run(request),
            {
                Cooldown: [0.0],
                Send: [failed, failed],
                Inspect: [error, error],
                Withdraw: [True],
                Extend: [30.0, 30.0],
                Close: [None],
            },
        )
    assert Sleep not in {type(step) for step in steps}  # a zero wait is no step at all
    reasons = [d.reason for d in result.extensions["agent_errors.retry"].decisions]
    assert reasons == ["server_delay", "max_retries"]
    # The same policy outside the flow answers as production does.
    policy = ae.RetryPolicy.for_provider("qoder")
    with ae.set_testing(True, attempts=2):
        assert policy.decide(error, attempt=1).delay == 30.0
        assert policy.decide(error, attempt=2).reason == "server_delay"


def test_a_transport_failure_is_mapped_in_the_flow_and_raised_when_final() -> None:
    # A write without a key (this host honours none): a request that was sent is not resent.
    request = httpx.Request("POST", "https://api.example.com/v1/things")
    failure = httpx.ReadError("reset", request=request)
    run = flow().run(request)
    assert type(run.send(None)) is Cooldown
    assert run.send(0.0) is SEND
    with pytest.raises(httpx.ReadError):
        run.send(failure)


def test_a_first_attempt_the_shell_sent_itself_continues_as_the_flow_would() -> None:
    # The shells send the first attempt themselves when the scope is not cooling down; `run`
    # then takes over from what came back, with the same plan (route, key, clock).
    request = httpx.Request("POST", URL, json={"prompt": "x"})
    engine = flow()
    plan = engine.begin(request)
    assert plan.key is not None
    assert request.headers["Idempotency-Key"] == plan.key  # set once, before the first send
    busy = httpx.Response(
        503, headers={"retry-after": "0"}, content=b'{"type":"error"}', request=request
    )
    ok = httpx.Response(201, request=request)
    error = ae.normalize_parts(503, {"retry-after": "0"}, b"")
    steps, result = drive(
        engine.run(request, plan, sent=busy),
        {
            Inspect: [error],
            Withdraw: [True],
            Extend: [0.0],
            Close: [None],
            Sleep: [None],
            Send: [ok],
            Deposit: [None],
        },
    )
    kinds = [type(step) for step in steps]
    assert kinds[0] is Inspect  # no Cooldown and no Send before it: the shell did both
    assert kinds.count(Send) == 1
    assert Cooldown not in kinds
    record = result.extensions["agent_errors.retry"]
    assert (record.attempts, record.idempotency_key) == (2, plan.key)
    assert request.headers["Idempotency-Key"] == plan.key  # the retry re-sent the same key


def test_a_cooldown_the_shell_asked_for_is_not_asked_again() -> None:
    request = httpx.Request("GET", URL)
    ok = httpx.Response(200, request=request)
    engine = flow()
    steps, result = drive(
        engine.run(request, engine.begin(request), wait=0.5),
        {Sleep: [None], Send: [ok], Deposit: [None]},
    )
    assert [type(step) for step in steps] == [Sleep, Send, Deposit]
    assert steps[0] == Sleep(0.5)
    assert result is ok


def test_the_first_success_carries_the_shared_record_and_the_writes_own_key() -> None:
    engine = flow()
    read = httpx.Request("GET", URL)
    write = httpx.Request("POST", URL, json={})
    first = engine.first(engine.begin(read), httpx.Response(200, request=read))
    again = engine.first(engine.begin(read), httpx.Response(200, request=read))
    assert first.extensions["agent_errors.retry"] is again.extensions["agent_errors.retry"]
    plan = engine.begin(write)
    record = engine.first(plan, httpx.Response(201, request=write)).extensions["agent_errors.retry"]
    assert (record.attempts, record.decisions, record.idempotency_key) == (1, (), plan.key)
    assert record.provider == "qoder"


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"{}")


def _cooling(clock: ae.testing.FakeClock) -> ae.MemoryStore:
    """A store whose Qoder scope cools down for 2 s more."""
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("qoder:api.qoder.com", 2.0)
    return store


@pytest.mark.anyio
async def test_both_shells_carry_out_every_step_a_flow_yields() -> None:
    # The shells hand `run` a cooldown they already asked for, but a flow started without one
    # (as when driven by hand) yields Cooldown: each shell answers that step too.
    clock = ae.testing.FakeClock()
    request = httpx.Request("GET", URL)
    sync = ae.RetryTransport(
        httpx.MockTransport(_ok), store=_cooling(clock), clock=clock, sleep=clock.sleep
    )
    assert sync._drive(sync._flow.run(request), request).status_code == 200
    assert clock.sleeps == [2.0]  # the Cooldown step was asked and honoured
    asynchronous = ae.AsyncRetryTransport(
        httpx.MockTransport(_ok), store=_cooling(clock), clock=clock, sleep=clock.asleep
    )
    response = await asynchronous._drive(asynchronous._flow.run(request), request)
    assert response.status_code == 200
    assert clock.sleeps == [2.0, 2.0]


@pytest.mark.anyio
async def test_without_a_budget_a_first_success_deposits_nothing() -> None:
    store = ae.MemoryStore()
    policy = ae.RetryPolicy(budget=None)
    sync = ae.RetryTransport(httpx.MockTransport(_ok), policy=policy, store=store)
    asynchronous = ae.AsyncRetryTransport(httpx.MockTransport(_ok), policy=policy, store=store)
    assert sync.handle_request(httpx.Request("GET", URL)).status_code == 200
    response = await asynchronous.handle_async_request(httpx.Request("GET", URL))
    assert response.status_code == 200
    assert response.extensions["agent_errors.retry"].attempts == 1
    assert store._buckets == {}  # no bucket was ever touched
