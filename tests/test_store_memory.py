"""MemoryStore: cooldowns, retry budget, TTLs, and safety across threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

import agent_errors as ae
from agent_errors._store import MAX_COOLDOWN


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_protocol_is_met() -> None:
    assert isinstance(ae.MemoryStore(), ae.Store)
    assert isinstance(ae.RedisStore.from_url("redis://127.0.0.1:1/0"), ae.Store)


def test_cooldown_extends_never_shortens_and_ends() -> None:
    clock = Clock()
    store = ae.MemoryStore(clock=clock)
    assert store.cooldown_remaining("p:h") == 0.0
    assert store.extend_cooldown("p:h", 30) == 30
    assert store.extend_cooldown("p:h", 10) == 30  # never shortened
    clock.now += 5
    assert store.cooldown_remaining("p:h") == 25
    assert store.extend_cooldown("p:h", 40) == 40
    assert store.cooldown_remaining("other:h") == 0.0
    clock.now += 40
    assert store.cooldown_remaining("p:h") == 0.0
    assert "cooldowns=0" in repr(store)  # an ended cooldown is dropped


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan])
def test_cooldown_ignores_unusable_delays(bad: float) -> None:
    store = ae.MemoryStore(clock=Clock())
    assert store.extend_cooldown("p:h", bad) == 0.0
    store.extend_cooldown("p:h", 5)
    assert store.extend_cooldown("p:h", bad) == 5


def test_cooldown_is_capped() -> None:
    store = ae.MemoryStore(clock=Clock())
    assert store.extend_cooldown("p:h", math.inf) == MAX_COOLDOWN


def test_idle_scopes_are_swept() -> None:
    clock = Clock()
    store = ae.MemoryStore(clock=clock, budget_ttl=10)
    for i in range(100):
        store.extend_cooldown(f"p:h{i}", 1)
        store.withdraw(f"p:h{i}", 1, capacity=5)
    clock.now += 61  # past the sweep interval and every TTL
    store.extend_cooldown("p:new", 1)
    assert repr(store) == "MemoryStore(cooldowns=1, budgets=0)"


def test_budget_withdraw_deposit_and_cap() -> None:
    store = ae.MemoryStore(clock=Clock())
    assert store.withdraw("p:h", 5, capacity=10)
    assert store.withdraw("p:h", 5, capacity=10)
    assert not store.withdraw("p:h", 1, capacity=10)
    store.deposit("p:h", 3, capacity=10)
    assert store.withdraw("p:h", 3, capacity=10)
    assert not store.withdraw("p:h", 0.5, capacity=10)
    store.deposit("p:h", 1000, capacity=10)  # capped: full again
    assert store.withdraw("p:h", 10, capacity=10)
    assert not store.withdraw("p:h", 1, capacity=10)


def test_deposit_into_a_full_bucket_keeps_it_full() -> None:
    store = ae.MemoryStore(clock=Clock())
    store.deposit("p:h", 5, capacity=10)
    assert store.withdraw("p:h", 10, capacity=10)
    assert not store.withdraw("p:h", 0.1, capacity=10)


def test_budget_refills_after_idle_ttl() -> None:
    clock = Clock()
    store = ae.MemoryStore(clock=clock, budget_ttl=30)
    assert store.withdraw("p:h", 10, capacity=10)
    clock.now += 29
    assert not store.withdraw("p:h", 1, capacity=10)  # refreshes the TTL
    clock.now += 31
    assert store.withdraw("p:h", 10, capacity=10)
    clock.now += 31
    store.deposit("p:h", 1, capacity=10)  # an expired bucket is full again
    assert store.withdraw("p:h", 10, capacity=10)


def test_invalid_budget_ttl() -> None:
    with pytest.raises(ValueError, match="budget_ttl"):
        ae.MemoryStore(budget_ttl=0)


def test_budget_holds_across_threads() -> None:
    store = ae.MemoryStore()
    granted: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        mine = [store.withdraw("p:h", 1, capacity=50) for _ in range(25)]
        with lock:
            granted.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 200
    assert granted.count(True) == 50


def test_cooldown_seen_by_every_thread() -> None:
    store = ae.MemoryStore()
    store.extend_cooldown("p:h", 30)
    seen: list[float] = []
    threads = [
        threading.Thread(target=lambda: seen.append(store.cooldown_remaining("p:h")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4
    assert all(25 < s <= 30 for s in seen)


def test_async_methods_share_state_across_tasks() -> None:
    clock = Clock()
    store = ae.MemoryStore(clock=clock)

    async def main() -> tuple[list[bool], float, float]:
        grants = await asyncio.gather(*(store.awithdraw("p:h", 1, capacity=10) for _ in range(30)))
        await store.adeposit("p:h", 2, capacity=10)
        extended = await store.aextend_cooldown("p:h", 12)
        return list(grants), extended, await store.acooldown_remaining("p:h")

    grants, extended, left = asyncio.run(main())
    assert grants.count(True) == 10
    assert extended == left == 12
    assert store.withdraw("p:h", 2, capacity=10)
    assert not store.withdraw("p:h", 1, capacity=10)


def test_scope_and_fingerprint() -> None:
    fp = ae.credential_fingerprint("sk-secret-123")
    assert len(fp) == 16
    assert fp == ae.credential_fingerprint(b"sk-secret-123")
    assert fp != ae.credential_fingerprint("sk-secret-124")
    assert ae.store_scope("qoder", "API.Qoder.com") == "qoder:api.qoder.com"
    scope = ae.store_scope("qoder", "api.qoder.com", "sk-secret-123")
    assert scope == f"qoder:api.qoder.com:{fp}"
    assert "secret" not in scope
