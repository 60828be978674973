"""agent_errors.testing.FakeClock: one clock for the transports, policies and stores."""

from __future__ import annotations

import math

import httpx
import pytest

import agent_errors as ae
from agent_errors.testing import FakeClock, FakeProvider


def test_moves_only_when_told() -> None:
    clock = FakeClock(100.0)
    assert clock() == clock.now() == clock.monotonic() == 100.0
    assert clock.advance(2.5) == 102.5
    clock.sleep(1)
    assert clock() == 103.5
    assert clock.sleeps == [1.0]  # advance is not a sleep
    assert repr(clock) == "FakeClock(now=103.5, sleeps=1)"


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "1", True])
def test_refuses_what_a_monotonic_clock_cannot_do(bad: object) -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="seconds"):
        clock.sleep(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(bad)  # type: ignore[arg-type]
    assert (clock(), clock.sleeps) == (0.0, [])


def test_refuses_a_start_that_is_no_time() -> None:
    with pytest.raises(ValueError, match="start"):
        FakeClock(math.nan)


def test_drives_a_transport_its_deadline_and_its_store() -> None:
    clock = FakeClock()
    fake = FakeProvider("qoder", [503, 503, 503, 200])
    transport = ae.RetryTransport(
        fake,
        provider="qoder",
        clock=clock,
        sleep=clock.sleep,
        store=ae.MemoryStore(clock=clock),
        policy=ae.RetryPolicy.for_provider("qoder"),
    )
    with httpx.Client(transport=transport) as client:
        response = client.get("https://api.qoder.com/api/v1/cloud/agents")
    assert response.status_code == 200
    assert clock.sleeps == [1.0, 2.0, 4.0]  # Qoder's documented schedule, never slept for real
    assert clock() == 7.0


def test_a_deadline_counts_fake_time() -> None:
    clock = FakeClock()
    policy = ae.RetryPolicy(initial_delay=3, jitter="none", deadline=5)
    fake = FakeProvider("qoder", [503, 503, 503])
    transport = ae.RetryTransport(fake, policy=policy, clock=clock, sleep=clock.sleep)
    with httpx.Client(transport=transport) as client:
        response = client.get("https://api.qoder.com/api/v1/cloud/agents")
    record = response.extensions["agent_errors.retry"]
    assert [d.reason for d in record.decisions] == ["backoff", "deadline"]
    assert clock.sleeps == [3.0]


def test_a_cooldown_ends_when_the_clock_says() -> None:
    clock = FakeClock(1000.0)
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("s", 30)
    clock.advance(29)
    assert store.cooldown_remaining("s") == pytest.approx(1)
    clock.advance(1)
    assert store.cooldown_remaining("s") == 0.0


@pytest.mark.anyio
async def test_asleep_drives_the_async_transport() -> None:
    clock = FakeClock()
    fake = FakeProvider("qoder", [503, 200])
    transport = ae.AsyncRetryTransport(fake, provider="qoder", clock=clock, sleep=clock.asleep)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://api.qoder.com/api/v1/cloud/agents")
    assert response.status_code == 200
    assert clock.sleeps == [1.0]


def test_is_exported() -> None:
    import agent_errors.testing as testing  # noqa: PLC0415

    assert "FakeClock" in testing.__all__
