"""Load: a healthy Redis never looks down, however many threads or tasks share the store.

Figures: before this suite, redis-py's default pool (100 connections, MaxConnectionsError
beyond) opened the circuit under 128 threads, which then got 40-60 % of their answers from the
memory fallback while the warnings flapped. Here 128 threads and 128 asyncio tasks must get
100 % of their answers from Redis (`RedisStore.local_answers == 0`) and log no warning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import agent_errors as ae
from _redis import RedisServer, running_redis

redis = pytest.importorskip("redis")

THREADS = 128
OPS = 10  # per thread or task, each a few round trips


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def store_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("agent_errors") and r.levelno >= 30]


def work(store: ae.RedisStore, n: int) -> None:
    scope = f"load:{n % 8}"
    for _ in range(OPS):
        store.cooldown_remaining(scope)
        store.withdraw(scope, 0.001, capacity=1000)
        store.deposit(scope, 0.001, capacity=1000)
        store.extend_cooldown(scope, 0.01)


def hammer(store: ae.RedisStore, threads: int = THREADS) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        try:
            start.wait()  # all at once: the worst case for the pool
            work(store, n)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []


@pytest.mark.parametrize(("max_connections", "pool_timeout"), [(128, 1.0), (16, 30.0)])
def test_threads_answer_from_redis(
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    max_connections: int,
    pool_timeout: float,
) -> None:
    # The default pool fits 128 threads. With 16 connections, callers wait for one instead of
    # failing (the pool is not fair, so a caller may wait long: hence the generous timeout).
    store = ae.RedisStore.from_url(
        redis_server.url,
        max_connections=max_connections,
        pool_timeout=pool_timeout,
        socket_timeout=1,
    )
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        hammer(store)
    assert store.local_answers == 0
    assert not store.using_fallback
    assert store_warnings(caplog) == []
    assert store._circuit.outages == 0
    store.close()


def test_asyncio_tasks_answer_from_redis(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=1)

    async def task(n: int) -> None:
        scope = f"aload:{n % 8}"
        for _ in range(OPS):
            await store.acooldown_remaining(scope)
            await store.awithdraw(scope, 0.001, capacity=1000)
            await store.adeposit(scope, 0.001, capacity=1000)
            await store.aextend_cooldown(scope, 0.01)

    async def main() -> None:
        try:
            await asyncio.gather(*(task(n) for n in range(THREADS)))
        finally:
            await store.aclose()

    with caplog.at_level(logging.INFO, logger="agent_errors"):
        asyncio.run(main())
    assert store.local_answers == 0
    assert store_warnings(caplog) == []


def test_an_exhausted_pool_is_not_a_down_server(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A user-given client with redis-py's non-blocking pool, far too small: the calls that find
    # no connection answer locally, but the circuit never opens and one warning says why.
    client = redis.Redis(
        port=redis_server.port, max_connections=2, socket_timeout=1, socket_connect_timeout=1
    )
    store = ae.RedisStore(client)
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        hammer(store, threads=32)
    assert store._circuit.outages == 0
    assert not store.using_fallback
    assert store.local_answers > 0  # the figure: some calls found no free connection
    [warning] = [r.getMessage() for r in store_warnings(caplog)]  # one, not one per call
    assert "no free connection" in warning
    assert "max_connections" in warning
    client.close()


def test_pool_options_are_checked() -> None:
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="max_connections"):
            ae.RedisStore.from_url("redis://127.0.0.1:1/0", max_connections=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pool_timeout"):
        ae.RedisStore.from_url("redis://127.0.0.1:1/0", pool_timeout=-1)


# --- end to end: 128 threads of RetryTransport on one RedisStore ------------------------------


class Upstream:
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # 128 clients connect at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def test_transports_in_128_threads_answer_from_redis(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = Upstream()
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=1)
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    # One client shared by every thread, as a gateway would: one connection pool, one store.
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    transport = ae.RetryTransport(httpx.HTTPTransport(limits=limits), store=store, sleep=[].append)
    client = httpx.Client(transport=transport, base_url=upstream.url)

    def run() -> None:
        start.wait()
        got = [client.get("/ok").status_code for _ in range(3)]
        with lock:
            statuses.extend(got)

    try:
        with caplog.at_level(logging.INFO, logger="agent_errors"):
            pool = [threading.Thread(target=run) for _ in range(THREADS)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
    finally:
        client.close()
        upstream.close()
        store.close()
    assert statuses == [200] * (3 * THREADS)
    assert store.local_answers == 0
    assert store_warnings(caplog) == []
