"""MemoryStore: cooldowns, retry budget, TTLs, and safety across threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Any

import httpx
import pytest

import agent_errors as ae
from agent_errors._retrying._store import MAX_COOLDOWN
from agent_errors._serving._transport import COOLDOWN_EXTENSION, EXTENSION
from agent_errors.testing import FakeClock


def test_store_protocol_is_met() -> None:
    assert isinstance(ae.MemoryStore(), ae.Store)
    assert isinstance(ae.RedisStore.from_url("redis://127.0.0.1:1/0"), ae.Store)


def test_cooldown_extends_never_shortens_and_ends() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    assert store.cooldown_remaining("p:h") == 0.0
    assert store.extend_cooldown("p:h", 30) == 30
    assert store.extend_cooldown("p:h", 10) == 30  # never shortened
    clock.advance(5)
    assert store.cooldown_remaining("p:h") == 25
    assert store.extend_cooldown("p:h", 40) == 40
    assert store.cooldown_remaining("other:h") == 0.0
    clock.advance(40)
    assert store.cooldown_remaining("p:h") == 0.0
    assert "cooldowns=0" in repr(store)  # an ended cooldown is dropped


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan])
def test_cooldown_ignores_unusable_delays(bad: float) -> None:
    store = ae.MemoryStore(clock=FakeClock(1000))
    assert store.extend_cooldown("p:h", bad) == 0.0
    store.extend_cooldown("p:h", 5)
    assert store.extend_cooldown("p:h", bad) == 5


def test_cooldown_is_capped() -> None:
    store = ae.MemoryStore(clock=FakeClock(1000))
    assert store.extend_cooldown("p:h", math.inf) == MAX_COOLDOWN


def test_idle_scopes_are_swept() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock, budget_ttl=10)
    for i in range(100):
        store.extend_cooldown(f"p:h{i}", 1)
        store.withdraw(f"p:h{i}", 1, capacity=5)
    clock.advance(61)  # past the sweep interval and every TTL
    store.extend_cooldown("p:new", 1)
    assert repr(store) == "MemoryStore(cooldowns=1, budgets=0)"


def test_budget_withdraw_deposit_and_cap() -> None:
    store = ae.MemoryStore(clock=FakeClock(1000))
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
    store = ae.MemoryStore(clock=FakeClock(1000))
    store.deposit("p:h", 5, capacity=10)
    assert store.withdraw("p:h", 10, capacity=10)
    assert not store.withdraw("p:h", 0.1, capacity=10)


def test_budget_refills_after_idle_ttl() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock, budget_ttl=30)
    assert store.withdraw("p:h", 10, capacity=10)
    clock.advance(29)
    assert not store.withdraw("p:h", 1, capacity=10)  # refreshes the TTL
    clock.advance(31)
    assert store.withdraw("p:h", 10, capacity=10)
    clock.advance(31)
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
    clock = FakeClock(1000)
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


# --- the transports' cooldown check (MockTransport as the upstream) ---------------------------


def limited_then_ok(hits: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        hits.append(request)
        if request.url.path == "/limited":
            return httpx.Response(
                429,
                headers={"retry-after": "30"},
                json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
            )
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handler)


def transport(
    store: ae.Store,
    hits: list[httpx.Request],
    slept: list[float],
    clock: FakeClock,
    **policy: Any,
) -> ae.RetryTransport:
    return ae.RetryTransport(
        limited_then_ok(hits),
        provider="qoder",
        policy=ae.RetryPolicy(**policy),
        store=store,
        sleep=slept.append,
        clock=clock,
    )


def test_cooldown_above_ceiling_fails_fast_without_sending() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    hits: list[httpx.Request] = []
    slept: list[float] = []
    first = transport(store, hits, slept, clock, max_server_delay=10)
    second = transport(store, hits, slept, clock, max_server_delay=10)
    with httpx.Client(transport=first, base_url="https://api.qoder.com") as client:
        told = client.get("/limited")
    assert told.status_code == 429
    assert len(hits) == 1
    assert store.cooldown_remaining("qoder:api.qoder.com") == 30
    clock.advance(12)
    with httpx.Client(transport=second, base_url="https://api.qoder.com") as client:
        refused = client.post("/ok", json={})
    assert len(hits) == 1  # not sent
    assert slept == []
    assert refused.status_code == 429
    assert refused.extensions[COOLDOWN_EXTENSION] == 18
    assert refused.extensions[EXTENSION].attempts == 0
    assert refused.headers["retry-after"] == "18"
    error = ae.normalize(refused)
    assert error is not None
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.retry_after == 18
    with pytest.raises(ae.RateLimitedError):
        ae.raise_for_error(refused)


def test_cooldown_within_ceiling_is_waited_then_sent() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("qoder:api.qoder.com", 30)
    hits: list[httpx.Request] = []
    slept: list[float] = []
    with httpx.Client(
        transport=transport(store, hits, slept, clock, max_server_delay=60),
        base_url="https://api.qoder.com",
    ) as client:
        assert client.get("/ok").status_code == 200
    assert slept == [30]
    assert len(hits) == 1


def test_cooldown_past_the_deadline_fails_fast() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("qoder:api.qoder.com", 6)
    hits: list[httpx.Request] = []
    slept: list[float] = []
    with httpx.Client(
        transport=transport(store, hits, slept, clock, max_server_delay=None, deadline=5),
        base_url="https://api.qoder.com",
    ) as client:
        assert client.get("/ok").status_code == 429
    assert hits == []
    assert slept == []


def test_testing_mode_ignores_cooldowns() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("qoder:api.qoder.com", 600)
    hits: list[httpx.Request] = []
    with (
        ae.set_testing(True),
        httpx.Client(
            transport=transport(store, hits, [], clock, max_server_delay=10),
            base_url="https://api.qoder.com",
        ) as client,
    ):
        assert client.get("/ok").status_code == 200
    assert len(hits) == 1


def test_cooldowns_per_credential() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    hits: list[httpx.Request] = []

    def client(key: str) -> httpx.Client:
        return httpx.Client(
            transport=ae.RetryTransport(
                limited_then_ok(hits),
                provider="qoder",
                policy=ae.RetryPolicy(max_server_delay=10),
                store=store,
                sleep=[].append,
                clock=clock,
                scope_by_credential=True,
            ),
            base_url="https://api.qoder.com",
            headers={"authorization": f"Bearer {key}"},
        )

    with client("key-a") as a, client("key-b") as b:
        assert a.get("/limited").status_code == 429
        assert a.get("/ok").extensions[EXTENSION].attempts == 0  # key A cools down
        assert b.get("/ok").status_code == 200  # key B does not
    assert len(hits) == 2
    scope = ae.store_scope("qoder", "api.qoder.com", "Bearer key-a")
    assert store.cooldown_remaining(scope) == 30
    assert store.cooldown_remaining("qoder:api.qoder.com") == 0.0


def test_async_transport_fails_fast_too() -> None:
    clock = FakeClock(1000)
    store = ae.MemoryStore(clock=clock)
    store.extend_cooldown("qoder:api.qoder.com", 90)
    hits: list[httpx.Request] = []

    async def main() -> httpx.Response:
        async def no_sleep(seconds: float) -> None:
            raise AssertionError("must not wait")

        upstream = limited_then_ok(hits)
        t = ae.AsyncRetryTransport(
            upstream, provider="qoder", store=store, sleep=no_sleep, clock=clock
        )
        async with httpx.AsyncClient(transport=t, base_url="https://api.qoder.com") as client:
            return await client.get("/ok")

    refused = asyncio.run(main())
    assert refused.status_code == 429
    assert refused.extensions[COOLDOWN_EXTENSION] == 90
    assert hits == []
