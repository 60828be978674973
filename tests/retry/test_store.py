"""MemoryStore: cooldowns and token buckets with an injected clock."""

from __future__ import annotations

import threading

import pytest

import agent_errors as ae
from agent_errors.testing import FakeClock


def test_is_a_store():
    assert isinstance(ae.MemoryStore(), ae.Store)


def test_cooldown_extends_never_shortens_and_expires():
    clock = FakeClock(100)
    store = ae.MemoryStore(clock=clock)
    assert store.cooldown_remaining("s") == 0.0
    assert store.extend_cooldown("s", 10) == 10
    assert store.extend_cooldown("s", 3) == 10
    clock.advance(4)
    assert store.cooldown_remaining("s") == pytest.approx(6)
    assert store.extend_cooldown("s", 8) == pytest.approx(8)
    clock.advance(8)
    assert store.cooldown_remaining("s") == 0.0
    assert store.extend_cooldown("s", -5) == 0.0
    assert store.cooldown_remaining("other") == 0.0


def test_bucket_starts_full_withdraws_and_refills_to_capacity():
    store = ae.MemoryStore()
    assert store.tokens("b", capacity=3) == 3
    assert store.withdraw("b", 2, capacity=3)
    assert not store.withdraw("b", 2, capacity=3)
    store.deposit("b", 10, capacity=3)
    assert store.tokens("b", capacity=3) == 3
    store.deposit("fresh", 1, capacity=3)
    assert store.tokens("fresh", capacity=3) == 3


def test_bucket_is_thread_safe():
    store = ae.MemoryStore()
    wins: list[bool] = []

    def worker() -> None:
        wins.extend(store.withdraw("b", 1, capacity=250) for _ in range(100))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert wins.count(True) == 250


@pytest.mark.anyio
async def test_async_methods_share_the_state():
    clock = FakeClock(100)
    store = ae.MemoryStore(clock=clock)
    assert await store.aextend_cooldown("s", 5) == 5
    assert store.cooldown_remaining("s") == 5
    assert await store.acooldown_remaining("s") == 5
    assert await store.awithdraw("b", 1, capacity=1)
    assert not await store.awithdraw("b", 1, capacity=1)
    await store.adeposit("b", 1, capacity=1)
    assert store.withdraw("b", 1, capacity=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
