"""The tenacity bridge, with the real tenacity and httpx against a loopback server."""

from __future__ import annotations

import httpx
import pytest

import agent_errors as ae
from agent_errors.tenacity import AgentRetrying

from ._scripted import closed_port, scripted

tenacity = pytest.importorskip("tenacity")

RATE = (429, {"retry-after": "2", "x-request-id": "req_1"}, {"error": {"message": "slow down"}})
DOWN = (503, {}, {"error": {"message": "overloaded"}})
BAD = (400, {}, {"error": {"message": "bad name", "type": "invalid_request_error"}})
OK = (200, {}, {"ok": True})
NO_JITTER = ae.RetryPolicy(jitter=ae.Jitter.NONE, initial_delay=0.5, multiplier=2.0)


def _call(engine: AgentRetrying, url: str, *, method: str = "GET", **kw: object):
    """Retry `method url` with tenacity; return (response or exception, sleeps)."""
    sleeps: list[float] = []
    retrying = tenacity.Retrying(
        retry=engine.retry, wait=engine.wait, sleep=sleeps.append, reraise=True, **kw
    )
    with httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client:
        try:
            result: object = retrying(client.request, method, url)
        except Exception as exc:
            result = exc
    return result, sleeps


def test_server_delay_is_waited_exactly() -> None:
    with scripted([RATE, OK]) as server:
        result, sleeps = _call(AgentRetrying(NO_JITTER), server.url)
    assert isinstance(result, httpx.Response)
    assert result.status_code == 200
    assert sleeps == [2.0]
    assert server.count == 2


def test_backoff_when_the_server_names_no_delay() -> None:
    with scripted([DOWN, DOWN, OK]) as server:
        result, sleeps = _call(AgentRetrying(NO_JITTER), server.url)
    assert isinstance(result, httpx.Response)
    assert sleeps == [0.5, 1.0]


def test_not_retryable_is_raised_at_once() -> None:
    with scripted([BAD, OK]) as server:
        result, sleeps = _call(AgentRetrying(NO_JITTER), server.url)
    assert isinstance(result, ae.InvalidRequestError)
    assert sleeps == []
    assert server.count == 1


def test_a_write_without_an_idempotency_key_is_not_retried() -> None:
    with scripted([DOWN, OK]) as server:
        result, _ = _call(AgentRetrying(NO_JITTER, method="POST"), server.url, method="POST")
        assert isinstance(result, ae.UnavailableError)
        assert server.count == 1
    engine = AgentRetrying(NO_JITTER, method="POST", idempotency_key="k1")
    with scripted([DOWN, OK]) as server:
        result, sleeps = _call(engine, server.url, method="POST")
    assert isinstance(result, httpx.Response)
    assert sleeps == [0.5]


def test_a_delay_above_the_ceiling_stops() -> None:
    slow = (429, {"retry-after": "3600"}, {"error": {"message": "slow down"}})
    with scripted([slow, OK]) as server:
        result, sleeps = _call(AgentRetrying(NO_JITTER), server.url)
    assert isinstance(result, ae.RateLimitedError)
    assert result.error.retry_after == 3600.0
    assert sleeps == []


def test_max_retries_of_the_policy_stop() -> None:
    policy = ae.RetryPolicy(jitter=ae.Jitter.NONE, max_retries=2)
    with scripted([DOWN]) as server:
        result, sleeps = _call(AgentRetrying(policy), server.url)
    assert isinstance(result, ae.UnavailableError)
    assert server.count == 3
    assert len(sleeps) == 2


def test_an_error_response_returned_not_raised_is_read_too() -> None:
    sleeps: list[float] = []
    engine = AgentRetrying(NO_JITTER)
    retrying = tenacity.Retrying(retry=engine.retry, wait=engine.wait, sleep=sleeps.append)
    with scripted([DOWN, OK]) as server, httpx.Client() as client:
        response = retrying(client.get, server.url)
    assert response.status_code == 200
    assert sleeps == [0.5]


def test_a_connect_failure_is_retried_even_for_a_write() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    policy = ae.RetryPolicy(jitter=ae.Jitter.NONE, max_retries=1)
    result, sleeps = _call(AgentRetrying(policy, method="POST"), url, method="POST")
    assert isinstance(result, httpx.ConnectError)
    assert sleeps == [0.5]


def test_the_callers_own_exceptions_are_not_retried() -> None:
    engine = AgentRetrying(NO_JITTER)
    calls: list[int] = []

    @tenacity.retry(retry=engine.retry, wait=engine.wait, reraise=True)
    def broken() -> None:
        calls.append(1)
        raise ValueError("a bug of ours")

    with pytest.raises(ValueError, match="a bug"):
        broken()
    assert calls == [1]


def test_the_budget_is_charged_once_per_attempt() -> None:
    store = ae.MemoryStore()
    budget = ae.RetryBudget(capacity=2.0, failure_cost=1.0)
    policy = ae.RetryPolicy(jitter=ae.Jitter.NONE, max_retries=10, budget=budget)
    seen: list[float] = []
    engine = AgentRetrying(policy, store=store, scope="bridge")
    with scripted([DOWN]) as server:
        # before_sleep asks for the decision a third time: it must not charge again.
        result, sleeps = _call(
            engine, server.url, before_sleep=lambda s: seen.append(engine.decision(s).delay)
        )
    assert isinstance(result, ae.UnavailableError)
    assert server.count == 3  # two retries paid for, the third refused
    assert sleeps == seen == [0.5, 1.0]


def test_testing_mode_makes_every_wait_zero() -> None:
    with ae.set_testing(True), scripted([RATE, RATE, OK]) as server:
        result, sleeps = _call(AgentRetrying(NO_JITTER), server.url)
    assert isinstance(result, httpx.Response)
    assert sleeps == [0.0, 0.0]


def test_composes_with_tenacitys_own_strategies() -> None:
    engine = AgentRetrying(NO_JITTER)
    with scripted([BAD, OK]) as server:
        result, sleeps = _call(
            AgentRetrying(NO_JITTER),
            server.url,
            stop=tenacity.stop_after_attempt(5),
        )
    assert isinstance(result, ae.InvalidRequestError)
    retry = engine.retry | tenacity.retry_if_exception_type(ae.InvalidRequestError)
    wait = engine.wait + tenacity.wait_fixed(0.25)
    sleeps = []
    retrying = tenacity.Retrying(retry=retry, wait=wait, sleep=sleeps.append, reraise=True)
    with (
        scripted([BAD, OK]) as server,
        httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client,
    ):
        response = retrying(client.get, server.url)
    assert response.status_code == 200
    assert sleeps == [0.25]
