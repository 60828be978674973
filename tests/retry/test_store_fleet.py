"""Shared cooldowns and retry budget on real servers: RedisStore on a throwaway redis-server,
and the retry transports sharing state across processes (Redis) and threads (MemoryStore),
against a loopback upstream that counts what reaches it.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import agent_errors as ae
from _redis import RedisServer, free_port, running_redis
from agent_errors.testing import FakeClock

redis = pytest.importorskip("redis")
redis_asyncio = pytest.importorskip("redis.asyncio")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture
def store(redis_server: RedisServer) -> Iterator[ae.RedisStore]:
    s = ae.RedisStore.from_url(redis_server.url)
    yield s
    s.close()


# --- cooldowns --------------------------------------------------------------------------------


def test_cooldown_extends_never_shortens(store: ae.RedisStore) -> None:
    assert store.cooldown_remaining("qoder:api.qoder.com") == 0.0
    assert store.extend_cooldown("qoder:api.qoder.com", 30) == 30.0
    assert store.extend_cooldown("qoder:api.qoder.com", 10) == pytest.approx(30, abs=0.5)
    assert 29 < store.cooldown_remaining("qoder:api.qoder.com") <= 30
    assert store.extend_cooldown("qoder:api.qoder.com", 45.0001) == 45.001  # rounded up
    assert store.cooldown_remaining("other:api.qoder.com") == 0.0


def test_cooldown_key_has_prefix_and_ttl(redis_server: RedisServer) -> None:
    store = ae.RedisStore.from_url(redis_server.url, prefix="gw1:")
    scope = ae.store_scope("qoder", "api.qoder.com", "sk-live-abcdef")
    store.extend_cooldown(scope, 7)
    raw = redis_server.client()
    keys = [k.decode() for k in raw.keys("*")]
    assert keys == [f"gw1:cd:{scope}"]
    assert "sk-live" not in keys[0]
    assert 6000 < raw.pttl(keys[0]) <= 7000  # the key expires with the cooldown
    store.close()


def test_cooldown_ends_when_key_expires(store: ae.RedisStore, redis_server: RedisServer) -> None:
    store.extend_cooldown("p:h", 30)
    replica = ae.RedisStore.from_url(redis_server.url)  # another process, in effect
    assert 29 < replica.cooldown_remaining("p:h") <= 30
    raw = redis_server.client()
    raw.pexpire("agent-errors:cd:p:h", 1)  # the server's clock moves on, not ours
    deadline = time.monotonic() + 5
    while raw.exists("agent-errors:cd:p:h") and time.monotonic() < deadline:
        time.sleep(0.005)  # expiry happens in the real server
    assert replica.cooldown_remaining("p:h") == 0.0
    raw.set("agent-errors:cd:p:h", "1")  # a key without expiry is not a cooldown
    assert replica.cooldown_remaining("p:h") == 0.0
    # The process that recorded it keeps its own copy (kept for outages): never shorter.
    assert 29 < store.cooldown_remaining("p:h") <= 30
    replica.close()


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_cooldown_ignores_unusable_delays(store: ae.RedisStore, bad: float) -> None:
    assert store.extend_cooldown("p:h", bad) == 0.0
    store.extend_cooldown("p:h", 5)
    assert 4 < store.extend_cooldown("p:h", bad) <= 5


# --- retry budget -----------------------------------------------------------------------------


def test_budget_withdraw_deposit(store: ae.RedisStore, redis_server: RedisServer) -> None:
    raw = redis_server.client()
    store.deposit("p:h", 5, capacity=10)  # a full bucket stays full and unwritten
    assert raw.keys("*") == []
    assert store.withdraw("p:h", 5, capacity=10)
    assert store.withdraw("p:h", 4.5, capacity=10)
    assert not store.withdraw("p:h", 1, capacity=10)
    assert float(raw.get("agent-errors:tb:p:h")) == 0.5
    assert 0 < raw.pttl("agent-errors:tb:p:h") <= 600_000  # idle buckets expire
    store.deposit("p:h", 0.5, capacity=10)
    assert store.withdraw("p:h", 1, capacity=10)
    store.deposit("p:h", 100, capacity=10)  # capped: full again, so forgotten
    assert raw.keys("*") == []
    assert store.withdraw("p:h", 10, capacity=10)


def test_deposits_to_a_full_bucket_are_skipped_briefly(redis_server: RedisServer) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(redis_server.url, clock=clock)
    raw = redis_server.client()
    key = "agent-errors:tb:p:h"
    store.deposit("p:h", 1, capacity=10)  # finds the bucket full
    raw.set(key, "3")  # another replica withdraws meanwhile
    store.deposit("p:h", 0.5, capacity=10)  # skipped: no round trip for a second
    assert raw.get(key) == b"3"
    clock.advance(1.0)
    store.deposit("p:h", 0.5, capacity=10)
    assert raw.get(key) == b"3.5"
    store.deposit("p:h", 10, capacity=10)  # full again
    assert store.withdraw("p:h", 2, capacity=10)  # a withdrawal here ends the hint at once
    store.deposit("p:h", 1, capacity=10)
    assert raw.get(key) == b"9"

    async def async_deposits() -> None:
        await store.adeposit("p:h", 1, capacity=10)  # fills it
        raw.set(key, "1")
        await store.adeposit("p:h", 1, capacity=10)  # skipped
        await store.aclose()

    asyncio.run(async_deposits())
    assert raw.get(key) == b"1"
    store.close()


def test_budget_is_atomic_across_threads(store: ae.RedisStore) -> None:
    granted: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker() -> None:
        start.wait()
        mine = [store.withdraw("p:h", 1, capacity=40) for _ in range(20)]
        with lock:
            granted.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 40
    assert granted.count(False) == 80


# --- asyncio ----------------------------------------------------------------------------------


def test_async_methods(store: ae.RedisStore) -> None:
    async def main() -> tuple[float, float, list[bool]]:
        extended = await store.aextend_cooldown("p:h", 20)
        left = await store.acooldown_remaining("p:h")
        grants = await asyncio.gather(*(store.awithdraw("p:h", 2, capacity=10) for _ in range(8)))
        await store.adeposit("p:h", 4, capacity=10)
        await store.aclose()
        return extended, left, list(grants)

    extended, left, grants = asyncio.run(main())
    assert extended == 20.0
    assert 19 < left <= 20
    assert grants.count(True) == 5
    # State is shared with the sync client, and a second event loop gets its own client.
    assert 19 < store.cooldown_remaining("p:h") <= 20

    async def second_loop() -> tuple[bool, bool, float]:
        try:
            return (
                await store.awithdraw("p:h", 4, capacity=10),
                await store.awithdraw("p:h", 1, capacity=10),
                await store.aextend_cooldown("p:h", 0),
            )
        finally:
            await store.aclose()

    took, took_more, left = asyncio.run(second_loop())
    assert took
    assert not took_more
    assert left > 19


def test_user_given_clients(redis_server: RedisServer) -> None:
    sync_only = ae.RedisStore(redis_server.client())
    assert sync_only.extend_cooldown("p:h", 9) == 9.0
    with pytest.raises(TypeError, match="no async client"):
        asyncio.run(sync_only.acooldown_remaining("p:h"))

    async def use_async_only() -> float:
        store = ae.RedisStore(async_client=redis_asyncio.Redis(port=redis_server.port))
        try:
            return await store.acooldown_remaining("p:h")
        finally:
            await store.aclose()

    assert 8 < asyncio.run(use_async_only()) <= 9
    async_only = ae.RedisStore(async_client=redis_asyncio.Redis(port=redis_server.port))
    with pytest.raises(TypeError, match="no sync client"):
        async_only.cooldown_remaining("p:h")
    sync_only.close()


def test_misuse_raises() -> None:
    with pytest.raises(TypeError, match="needs a client"):
        ae.RedisStore()
    with pytest.raises(ValueError, match="budget_ttl"):
        ae.RedisStore.from_url("redis://127.0.0.1:1", budget_ttl=0)
    with pytest.raises(ValueError, match="retry_interval"):
        ae.RedisStore.from_url("redis://127.0.0.1:1", retry_interval=-1)
    with pytest.raises(ValueError):
        ae.RedisStore.from_url("http://127.0.0.1:1")


# --- failure: down, slow, back ----------------------------------------------------------------


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "agent_errors.store" and r.levelno == logging.WARNING
    ]


def test_down_at_start_serves_from_fallback(caplog: pytest.LogCaptureFixture) -> None:
    store = ae.RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        assert store.extend_cooldown("p:h", 30) == 30
        assert 29 < store.cooldown_remaining("p:h") <= 30
        assert store.withdraw("p:h", 10, capacity=10)
        assert not store.withdraw("p:h", 1, capacity=10)
        store.deposit("p:h", 1, capacity=10)
        assert store.withdraw("p:h", 1, capacity=10)
    assert store.using_fallback
    assert "using=fallback" in repr(store)
    assert len(fallback_warnings(caplog)) == 1


def test_each_event_loop_gets_its_own_client(caplog: pytest.LogCaptureFixture) -> None:
    store = ae.RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", retry_interval=0)
    clients = []

    async def use() -> float:
        clients.append(store._aclient())
        return await store.aextend_cooldown("p:h", 5)

    with caplog.at_level(logging.WARNING, logger="agent_errors.store"):
        assert asyncio.run(use()) == 5  # nothing to connect to: the fallback answers
        assert asyncio.run(use()) == 5
    assert clients[0] is not clients[1]
    assert len(store._async_clients) == 1  # the closed loop's client was dropped
    assert len(fallback_warnings(caplog)) == 1


def test_describes_its_server() -> None:
    assert "127.0.0.1:6390/2" in repr(ae.RedisStore.from_url("redis://127.0.0.1:6390/2"))
    assert "unix:/tmp/r.sock" in repr(ae.RedisStore.from_url("unix:///tmp/r.sock"))
    assert "(custom client)" in repr(ae.RedisStore(object()))  # type: ignore[arg-type]


def test_killed_mid_use_warns_once_then_returns(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(redis_server.url, retry_interval=5, clock=clock)
    raw = redis_server.client()
    assert store.withdraw("p:h", 3, capacity=10)
    assert store.extend_cooldown("told:h", 30) == 30
    assert "using=redis" in repr(store)
    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        redis_server.kill()
        # A cooldown recorded before the outage is still honoured by this process.
        assert 29 < store.cooldown_remaining("told:h") <= 30
        for _ in range(50):  # many requests, one outage
            assert store.cooldown_remaining("p:h") == 0.0
        assert store.extend_cooldown("p:h", 60) == 60  # recorded locally
        assert store.withdraw("p:h", 1, capacity=10)
        clock.advance(5)  # a probe is due, but Redis is still down: no second warning
        assert 59 < store.cooldown_remaining("p:h") <= 60
        assert store.using_fallback
        assert len(fallback_warnings(caplog)) == 1

        redis_server.start()  # same port, empty memory
        assert 59 < store.cooldown_remaining("p:h") <= 60  # not yet probed: still local
        assert store.using_fallback
        clock.advance(5)
        assert 59 < store.cooldown_remaining("p:h") <= 60  # the local cooldown still counts
        assert not store.using_fallback
        assert store.withdraw("p:h", 10, capacity=10)  # back on Redis's (fresh) bucket
        assert raw.exists("agent-errors:tb:p:h")
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(back) == 1
    assert len(fallback_warnings(caplog)) == 1

    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        redis_server.kill()  # a second outage warns again, once
        store.extend_cooldown("p:h", 1)
        store.cooldown_remaining("p:h")
    assert len(fallback_warnings(caplog)) == 2
    store.close()


def test_async_fallback_and_return(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(redis_server.url, retry_interval=1, clock=clock)

    async def during_outage() -> tuple[float, bool, float]:
        extended = await store.aextend_cooldown("p:h", 15)
        granted = await store.awithdraw("p:h", 1, capacity=1)
        await store.adeposit("p:h", 1, capacity=1)
        left = await store.acooldown_remaining("p:h")
        await store.aclose()
        return extended, granted, left

    with caplog.at_level(logging.INFO, logger="agent_errors.store"):
        redis_server.kill()
        extended, granted, left = asyncio.run(during_outage())
        assert extended == 15
        assert granted
        assert 14 < left <= 15
        redis_server.start()
        clock.advance(1)

        async def after_return() -> float:
            try:
                return await store.aextend_cooldown("p:h", 40)
            finally:
                await store.aclose()

        assert asyncio.run(after_return()) == 40
        assert not store.using_fallback
    assert len(fallback_warnings(caplog)) == 1


def test_slow_redis_times_out_in_milliseconds(caplog: pytest.LogCaptureFixture) -> None:
    # A server that accepts connections and never answers: the socket timeout must cut it short.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        store = ae.RedisStore.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=0.02)
        with caplog.at_level(logging.WARNING, logger="agent_errors.store"):
            started = time.perf_counter()
            assert store.cooldown_remaining("p:h") == 0.0
            first = time.perf_counter() - started
            assert store.withdraw("p:h", 1, capacity=5)  # circuit open: no wait at all
            assert store.extend_cooldown("p:h", 3) == 3
        assert first < 2.0  # redis-py's own default would be seconds, with retries
        assert store.using_fallback
        assert len(fallback_warnings(caplog)) == 1
        assert "TimeoutError" in fallback_warnings(caplog)[0].getMessage()
        store.close()

        async_store = ae.RedisStore.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=0.02)

        async def check() -> tuple[float, float]:
            started = time.perf_counter()
            try:
                return await async_store.acooldown_remaining("p:h"), time.perf_counter() - started
            finally:
                await async_store.aclose()

        with caplog.at_level(logging.WARNING, logger="agent_errors.store"):
            left, took = asyncio.run(check())
        assert left == 0.0
        assert took < 2.0
        assert async_store.using_fallback
        assert len(fallback_warnings(caplog)) == 2  # one per store


# --- several processes ------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    import agent_errors as ae

    url, action = sys.argv[1], sys.argv[2]
    store = ae.RedisStore.from_url(url, socket_timeout=1)
    if action == "extend":
        print(store.extend_cooldown("qoder:api.qoder.com", float(sys.argv[3])))
    elif action == "remaining":
        print(store.cooldown_remaining("qoder:api.qoder.com"))
    elif action == "withdraw":
        print(sum(store.withdraw("qoder:api.qoder.com", 1, capacity=30) for _ in range(25)))
    print("fallback" if store.using_fallback else "redis")
    """
)


def run_workers(tmp_path: Path, url: str, *argvs: list[str]) -> list[list[str]]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, *argv], stdout=subprocess.PIPE, text=True
        )
        for argv in argvs
    ]
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        outs.append(out.split())
    return outs


def test_processes_share_cooldown_and_budget(redis_server: RedisServer, tmp_path: Path) -> None:
    [[extended, via]] = run_workers(tmp_path, redis_server.url, ["extend", "30"])
    assert (float(extended), via) == (30.0, "redis")
    [[left, via]] = run_workers(tmp_path, redis_server.url, ["remaining"])
    assert 25 < float(left) <= 30
    assert via == "redis"
    # Two processes, 25 withdrawals each, from one bucket of 30: together exactly 30.
    outs = run_workers(tmp_path, redis_server.url, ["withdraw"], ["withdraw"])
    assert all(via == "redis" for _, via in outs)
    assert sum(int(n) for n, _ in outs) == 30


# --- end to end: transports, a loopback upstream, several processes or threads ----------------


class Upstream:
    """A loopback HTTP server that counts what reaches it.

    ``/limited`` answers 429 with ``Retry-After: 30``, ``/fail`` 503, anything else 200.
    """

    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        lock = threading.Lock()
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    hits[self.path] += 1
                if self.path == "/limited":
                    self.reply(429, "rate_limit_error", {"Retry-After": "30"})
                elif self.path == "/fail":
                    self.reply(503, "overloaded_error", {})
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def reply(self, status: int, kind: str, headers: dict[str, str]) -> None:
                body = json.dumps({"type": "error", "error": {"type": kind, "message": "no"}})
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass  # keep the test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


def policy(max_server_delay: float | None = 10.0) -> ae.RetryPolicy:
    # No backoff, so no wait is ever needed; a small fleet-wide budget of 5 retries.
    return ae.RetryPolicy(
        max_retries=3,
        initial_delay=0.0,
        max_server_delay=max_server_delay,
        budget=ae.RetryBudget(capacity=5, failure_cost=1, throttle_cost=1, refund=0.1),
    )


CLIENT = textwrap.dedent(
    """
    import json, sys
    import httpx
    import agent_errors as ae

    redis_url, base, path, count, ceiling = sys.argv[1:6]
    store = ae.RedisStore.from_url(redis_url, socket_timeout=1)
    slept = []
    policy = ae.RetryPolicy(
        max_retries=3,
        initial_delay=0.0,
        max_server_delay=float(ceiling),
        budget=ae.RetryBudget(capacity=5, failure_cost=1, throttle_cost=1, refund=0.1),
    )
    transport = ae.RetryTransport(provider="qoder", policy=policy, store=store, sleep=slept.append)
    results = []
    with httpx.Client(transport=transport, base_url=base) as client:
        for _ in range(int(count)):
            r = client.get(path)
            error = ae.normalize(r)
            results.append({
                "status": r.status_code,
                "sent": r.extensions["agent_errors.retry"].attempts,
                "cooldown": r.extensions.get("agent_errors.cooldown"),
                "retry_after": None if error is None else error.retry_after,
                "kind": None if error is None else error.kind.value,
            })
    print(json.dumps({"results": results, "slept": slept, "fallback": store.using_fallback}))
    """
)


def run_clients(tmp_path: Path, *argvs: list[str]) -> list[dict[str, Any]]:
    """Run one client process per argv, all at once; return what each printed."""
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    return outs


def test_processes_share_a_cooldown(
    redis_server: RedisServer, upstream: Upstream, tmp_path: Path
) -> None:
    url = redis_server.url
    # The first process is told to wait 30 s (above its 10 s ceiling: no retry).
    [first] = run_clients(tmp_path, [url, upstream.url, "/limited", "1", "10"])
    assert first["results"] == [
        {"status": 429, "sent": 1, "cooldown": None, "retry_after": 30.0, "kind": "rate_limited"}
    ]
    assert upstream.hits["/limited"] == 1
    # A second process does not reach the upstream during those 30 s: it fails fast.
    [second] = run_clients(tmp_path, [url, upstream.url, "/limited", "3", "10"])
    assert upstream.hits["/limited"] == 1
    for result in second["results"]:
        assert result["status"] == 429
        assert result["sent"] == 0
        assert result["kind"] == "rate_limited"
        assert 20 < result["cooldown"] <= 30
        assert result["retry_after"] == pytest.approx(result["cooldown"], abs=0.001)
    assert second["slept"] == []
    assert not second["fallback"]
    # A third, whose ceiling allows the wait, waits out the rest and then sends.
    [third] = run_clients(tmp_path, [url, upstream.url, "/ok", "1", "60"])
    assert third["results"][0]["status"] == 200
    [waited] = third["slept"]
    assert 20 < waited <= 30
    assert upstream.hits["/ok"] == 1

    # The async transport, in this process, sees the same cooldown.
    async def async_client() -> httpx.Response:
        store = ae.RedisStore.from_url(url)
        transport = ae.AsyncRetryTransport(provider="qoder", policy=policy(), store=store)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=upstream.url) as client:
                return await client.get("/ok")
        finally:
            await store.aclose()

    refused = asyncio.run(async_client())
    assert refused.status_code == 429
    assert refused.extensions["agent_errors.cooldown"] > 20
    assert upstream.hits["/ok"] == 1


def test_processes_share_a_retry_budget(
    redis_server: RedisServer, upstream: Upstream, tmp_path: Path
) -> None:
    # Two processes at once, 5 failing requests each, up to 3 retries per request: without a
    # shared budget 40 requests would reach the upstream; with 5 tokens for the fleet, 10 + 5.
    argv = [redis_server.url, upstream.url, "/fail", "5", "10"]
    outs = run_clients(tmp_path, argv, argv)
    assert upstream.hits["/fail"] == 15
    sent = [r["sent"] for out in outs for r in out["results"]]
    assert sum(sent) == 15
    assert all(r["status"] == 503 for out in outs for r in out["results"])
    assert not any(out["fallback"] for out in outs)


def test_redis_killed_mid_test_requests_still_succeed(
    redis_server: RedisServer, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(1000)
    store = ae.RedisStore.from_url(redis_server.url, retry_interval=5, clock=clock)
    transport = ae.RetryTransport(provider="qoder", policy=policy(), store=store, sleep=[].append)
    with (
        caplog.at_level(logging.INFO, logger="agent_errors.store"),
        httpx.Client(transport=transport, base_url=upstream.url) as client,
    ):
        assert [client.get("/ok").status_code for _ in range(5)] == [200] * 5
        redis_server.kill()
        assert [client.get("/ok").status_code for _ in range(20)] == [200] * 20
        assert store.using_fallback
        # Failures still draw on a budget (the local one) and a 429 still cools down locally.
        assert client.get("/fail").extensions["agent_errors.retry"].attempts == 4
        assert client.get("/limited").status_code == 429
        assert client.get("/ok").extensions["agent_errors.retry"].attempts == 0
        assert upstream.hits == {"/ok": 25, "/fail": 4, "/limited": 1}
        # Redis returns; after the retry interval the store uses it again.
        redis_server.start()
        clock.advance(5)
        assert client.get("/ok").extensions["agent_errors.retry"].attempts == 0  # local cooldown
        assert not store.using_fallback
        other = ae.RetryTransport(provider="generic", policy=policy(), store=store)
        with httpx.Client(transport=other, base_url=upstream.url) as generic:
            assert generic.get("/limited").status_code == 429  # recorded in Redis this time
        assert upstream.hits["/limited"] == 2
    assert 29_000 < redis_server.client().pttl("agent-errors:cd:generic:127.0.0.1") <= 30_000
    assert len(fallback_warnings(caplog)) == 1
    assert sum("is back" in r.getMessage() for r in caplog.records) == 1
    store.close()


def threaded(n: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * n
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        results[i] = work()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_threads_share_a_memory_cooldown(upstream: Upstream) -> None:
    store = ae.MemoryStore()

    def client() -> httpx.Client:
        transport = ae.RetryTransport(
            provider="qoder", policy=policy(), store=store, sleep=[].append
        )
        return httpx.Client(transport=transport, base_url=upstream.url)

    with client() as first:
        assert first.get("/limited").status_code == 429

    def later() -> list[int]:
        with client() as c:
            return [c.get("/ok").extensions["agent_errors.retry"].attempts for _ in range(5)]

    assert threaded(4, later) == [[0] * 5] * 4
    assert upstream.hits == {"/limited": 1}


@pytest.mark.parametrize("shared", [True, False])
def test_threads_share_a_memory_budget(upstream: Upstream, shared: bool) -> None:
    common = ae.MemoryStore()

    def work() -> list[int]:
        store = common if shared else ae.MemoryStore()
        transport = ae.RetryTransport(
            provider="qoder", policy=policy(), store=store, sleep=[].append
        )
        with httpx.Client(transport=transport, base_url=upstream.url) as c:
            return [c.get("/fail").extensions["agent_errors.retry"].attempts for _ in range(5)]

    sent = threaded(2, work)
    # Shared: 10 first attempts + 5 retries for both threads; separate: 5 retries each.
    expected = 15 if shared else 20
    assert sum(map(sum, sent)) == expected
    assert upstream.hits["/fail"] == expected
