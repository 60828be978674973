"""Lock-out: no response, however crafted, makes the transports refuse *other* requests unless
the server really said the whole scope must wait (DESIGN, "Retry decisions", last bullet).

The rule is `shared_cooldown`, tested here with a table of real responses, then end to end
through `RetryTransport` and `AsyncRetryTransport` against a loopback server: after each
response, does a request to another path still reach the server?
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import agent_errors as ae
from _redis import RedisServer, running_redis
from agent_errors._retrying._store import MAX_COOLDOWN, route_of, shared_cooldown

# name -> (status, headers, body document): what a hostile or ordinary upstream may answer.
ECHO = "Invalid agent name 'try again in 23 hours'"
CASES: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    # Not shared: a 4xx, whatever its hint, and any hint read from message text.
    "400-echo": (400, {}, {"error": {"message": ECHO, "type": "invalid_request_error"}}),
    "404-retry-after-day": (404, {"Retry-After": "86400"}, {"error": {"message": "no agent"}}),
    "401-retry-after": (401, {"Retry-After": "60"}, {"error": {"message": "bad key"}}),
    "409-retry-after": (409, {"Retry-After": "60"}, {"error": {"message": "busy"}}),
    "422-retry-text": (422, {}, {"error": {"message": "invalid; retry after 30 seconds"}}),
    "403-body-field": (403, {}, {"error": {"message": "no", "retry_after": 3600}}),
    "429-text-only": (429, {}, {"error": {"message": "slow down, try again in 23 hours"}}),
    "503-text-only": (503, {}, {"error": {"message": "down; retry after 30 seconds"}}),
    "429-should-retry-false": (
        429,
        {"Retry-After": "30", "x-should-retry": "false"},
        {"error": {"message": "slow down"}},
    ),
    # Shared: throttled or unavailable, with a header or a structured body field.
    "429-retry-after": (429, {"Retry-After": "30"}, {"error": {"message": "slow down"}}),
    "429-retry-after-ms": (429, {"retry-after-ms": "30000"}, {"error": {"message": "slow"}}),
    "503-retry-after": (503, {"Retry-After": "30"}, {"error": {"message": "overloaded"}}),
    "429-body-field": (429, {}, {"error": {"message": "slow down", "retry_after": 30}}),
    "503-body-field": (503, {}, {"error": {"message": "overloaded", "retryAfter": 30}}),
}
SHARED = {name for name in CASES if name.split("-", 1)[0] in ("429", "503")} - {
    "429-text-only",
    "503-text-only",
    "429-should-retry-false",
}


def error_of(name: str) -> ae.CanonicalError:
    status, headers, doc = CASES[name]
    error = ae.normalize_parts(
        status, {"content-type": "application/json", **headers}, json.dumps(doc)
    )
    assert error is not None
    return error


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_table(name: str) -> None:
    error = error_of(name)
    expected = 30.0 if name in SHARED else 0.0
    assert shared_cooldown(error) == expected, (error.kind, error.details)
    if name not in SHARED and name != "429-should-retry-false":
        # The hint is not lost: it still applies to this one error.
        assert error.retry_after is not None or name == "400-echo"


def test_the_echoed_text_is_a_hint_for_that_error_only() -> None:
    error = error_of("400-echo")
    assert error.retry_after in (None, 23 * 3600.0)
    assert shared_cooldown(error) == 0.0


@pytest.mark.parametrize(
    ("source", "shared"),
    [
        ("header:retry-after", True),
        ("header:x-ratelimit-reset-requests", True),
        ("body:error.retry_after", True),
        ("body:RetryInfo.retryDelay", True),
        ("adapter", True),
        ("message", False),
        (None, False),
        ("", False),
        ("somewhere-new", False),
        (42, False),
    ],
)
def test_rule_sources(source: object, shared: bool) -> None:
    details = {} if source is None else {"retry_after_source": source}
    for kind in (ae.Kind.RATE_LIMITED, ae.Kind.CONCURRENCY_LIMITED, ae.Kind.UNAVAILABLE):
        error = ae.CanonicalError(kind=kind, message="m", retry_after=12.0, details=details)
        assert shared_cooldown(error) == (12.0 if shared else 0.0)
    for kind in (ae.Kind.INVALID_REQUEST, ae.Kind.NOT_FOUND, ae.Kind.INTERNAL):
        error = ae.CanonicalError(kind=kind, message="m", retry_after=12.0, details=details)
        assert shared_cooldown(error) == 0.0


def test_rule_refuses_non_retryable_and_caps() -> None:
    trusted = {"retry_after_source": "header:retry-after"}
    kind = ae.Kind.RATE_LIMITED
    assert (
        shared_cooldown(
            ae.CanonicalError(
                kind=kind, message="m", retry_after=9.0, details=trusted, retryable=False
            )
        )
        == 0.0
    )
    for wait, shared in [(None, 0.0), (0.0, 0.0), (1e7, MAX_COOLDOWN), (float("nan"), 0.0)]:
        error = ae.CanonicalError(kind=kind, message="m", retry_after=wait, details=trusted)
        assert shared_cooldown(error) == shared


# --- end to end -------------------------------------------------------------------------------


class Upstream:
    """A loopback server: ``/case/<name>`` answers `CASES[name]`, anything else 200."""

    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        lock = threading.Lock()
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    hits[self.path] += 1
                name = self.path.rsplit("/case/", 1)[-1] if "/case/" in self.path else ""
                status, headers, doc = CASES.get(name, (200, {}, {"ok": True}))
                body = json.dumps(doc).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


def policy() -> ae.RetryPolicy:
    # A 30 s wait is above the 1 s ceiling: nothing sleeps, a cooled-down scope answers at once.
    return ae.RetryPolicy(max_retries=2, initial_delay=0.0, max_server_delay=1.0)


def outcome(response: httpx.Response) -> tuple[int, int, bool]:
    record = response.extensions["agent_errors.retry"]
    return response.status_code, record.attempts, "agent_errors.cooldown" in response.extensions


@pytest.mark.parametrize("name", sorted(CASES))
def test_sync_transport_locks_out_only_on_trusted_hints(upstream: Upstream, name: str) -> None:
    store = ae.MemoryStore()
    slept: list[float] = []
    transport = ae.RetryTransport(policy=policy(), store=store, sleep=slept.append)
    with httpx.Client(transport=transport, base_url=upstream.url) as client:
        first = client.get(f"/sync/case/{name}")
        assert first.status_code == CASES[name][0]
        other = client.get(f"/sync/other/{name}")
    if name in SHARED:
        assert outcome(other) == (429, 0, True)
        assert upstream.hits[f"/sync/other/{name}"] == 0
        assert 29 < store.cooldown_remaining("generic:127.0.0.1") <= 30
    else:
        assert outcome(other) == (200, 1, False)
        assert upstream.hits[f"/sync/other/{name}"] == 1
        assert store.cooldown_remaining("generic:127.0.0.1") == 0.0
        assert repr(store).startswith("MemoryStore(cooldowns=0,")
    assert slept == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_async_transport_locks_out_only_on_trusted_hints(upstream: Upstream, name: str) -> None:
    store = ae.MemoryStore()

    async def nap(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}")

    async def run() -> tuple[httpx.Response, httpx.Response]:
        transport = ae.AsyncRetryTransport(policy=policy(), store=store, sleep=nap)
        async with httpx.AsyncClient(transport=transport, base_url=upstream.url) as client:
            first = await client.get(f"/async/case/{name}")
            return first, await client.get(f"/async/other/{name}")

    first, other = asyncio.run(run())
    assert first.status_code == CASES[name][0]
    if name in SHARED:
        assert outcome(other) == (429, 0, True)
        assert upstream.hits[f"/async/other/{name}"] == 0
    else:
        assert outcome(other) == (200, 1, False)
        assert upstream.hits[f"/async/other/{name}"] == 1


def test_a_day_long_header_cools_down_at_most_max_cooldown(upstream: Upstream) -> None:
    CASES["429-year"] = (429, {"Retry-After": str(300 * 86400)}, {"error": {"message": "no"}})
    try:
        store = ae.MemoryStore()
        transport = ae.RetryTransport(policy=policy(), store=store, sleep=[].append)
        with httpx.Client(transport=transport, base_url=upstream.url) as client:
            assert client.get("/cap/case/429-year").status_code == 429
            refused = client.get("/cap/ok")
        assert refused.extensions["agent_errors.cooldown"] <= MAX_COOLDOWN
        assert store.cooldown_remaining("generic:127.0.0.1") <= MAX_COOLDOWN
    finally:
        del CASES["429-year"]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def test_fleet_wide_only_trusted_hints_reach_redis(
    upstream: Upstream, redis_server: RedisServer
) -> None:
    raw = redis_server.client()
    raw.flushall()
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=1)
    for cooldown_scope in ("host", "route"):
        transport = ae.RetryTransport(
            policy=policy(), store=store, sleep=[].append, cooldown_scope=cooldown_scope
        )
        with httpx.Client(transport=transport, base_url=upstream.url) as client:
            for name in sorted(set(CASES) - SHARED):
                client.get(f"/fleet/{cooldown_scope}/case/{name}")
        assert raw.keys("agent-errors:cd:*") == []
        # A replica sees nothing either: every other request is sent.
        replica = ae.RetryTransport(policy=policy(), store=store, cooldown_scope=cooldown_scope)
        with httpx.Client(transport=replica, base_url=upstream.url) as client:
            assert outcome(client.get("/fleet/other")) == (200, 1, False)
    with httpx.Client(
        transport=ae.RetryTransport(policy=policy(), store=store, cooldown_scope="route"),
        base_url=upstream.url,
    ) as client:
        client.get("/fleet/1/case/429-retry-after")
        client.get("/fleet/2/case/503-body-field")
    keys = sorted(k.decode() for k in raw.keys("agent-errors:cd:*"))
    assert keys == [
        "agent-errors:cd:generic:127.0.0.1:/fleet/*/case/429-retry-after",
        "agent-errors:cd:generic:127.0.0.1:/fleet/*/case/503-body-field",
    ]
    for key in keys:
        assert 0 < raw.pttl(key) <= 30_000  # every key expires: no unbounded growth
    assert store.local_answers == 0
    store.close()
    raw.close()


def test_redis_caps_cooldowns_written_and_read(redis_server: RedisServer) -> None:
    raw = redis_server.client()
    store = ae.RedisStore.from_url(redis_server.url, socket_timeout=1)
    assert store.extend_cooldown("cap:w", 1e9) == MAX_COOLDOWN
    assert raw.pttl("agent-errors:cd:cap:w") <= MAX_COOLDOWN * 1000
    raw.set("agent-errors:cd:cap:r", "1", px=10 * 86_400_000)  # written by something else
    assert store.cooldown_remaining("cap:r") == MAX_COOLDOWN

    async def read() -> float:
        try:
            return await store.acooldown_remaining("cap:r")
        finally:
            await store.aclose()

    assert asyncio.run(read()) == MAX_COOLDOWN
    store.close()
    raw.close()


# --- per-route cooldowns ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v1/agents", "/v1/agents"),
        ("/v1/agents/42/runs/7", "/v1/agents/*/runs/*"),
        ("/v1/agents/8f14e45f-ceea-467f-a0e6-0123456789ab/runs", "/v1/agents/*/runs"),
        ("/v1/files/8f14e45fceea467fa0e6", "/v1/files/*"),
        ("/v1/runs/run_01HXZ3K4N5P6Q7R8S9T0VWXYZ", "/v1/runs/*"),
        ("/v1/blobs/aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=", "/v1/blobs/*"),
        ("/v1/models/gemini-1.5-pro:generateContent", "/v1/models/gemini-1.5-pro:generateContent"),
        ("/v1/chat/completions?user=42", "/v1/chat/completions"),
        ("/" + "x" * 100 + "/y", "/*/y"),
        ("/a/b/c/d/e/f/g/h/i/j/k", "/a/b/c/d/e/f/g/h/…"),
        ("", ""),
        ("/", "/"),
    ],
)
def test_route_of(path: str, route: str) -> None:
    assert route_of(path) == route


def test_route_of_is_bounded() -> None:
    for path in ["/" + "a" * 10_000, "/a" * 10_000, "/" + "/".join("x" * 64 for _ in range(50))]:
        assert len(route_of(path)) <= 9 * 65 + 2


def test_route_scope_cools_down_one_route(upstream: Upstream) -> None:
    store = ae.MemoryStore()
    transport = ae.RetryTransport(
        policy=policy(), store=store, sleep=[].append, cooldown_scope="route"
    )
    with httpx.Client(transport=transport, base_url=upstream.url) as client:
        assert client.get("/route/1/case/429-retry-after").status_code == 429
        # The same route, another id: cooled down, not sent.
        assert outcome(client.get("/route/2/case/429-retry-after")) == (429, 0, True)
        # Another route on the same host: sent.
        assert outcome(client.get("/route/1/other")) == (200, 1, False)
    assert upstream.hits["/route/2/case/429-retry-after"] == 0
    assert 29 < store.cooldown_remaining("generic:127.0.0.1:/route/*/case/429-retry-after") <= 30
    assert store.cooldown_remaining("generic:127.0.0.1") == 0.0


def test_route_scope_async_and_by_credential(upstream: Upstream) -> None:
    store = ae.MemoryStore()

    async def run() -> list[tuple[int, int, bool]]:
        transport = ae.AsyncRetryTransport(
            policy=policy(),
            store=store,
            sleep=asyncio.sleep,
            cooldown_scope="route",
            scope_by_credential=True,
        )
        async with httpx.AsyncClient(transport=transport, base_url=upstream.url) as client:
            a = {"authorization": "Bearer key-a"}
            b = {"authorization": "Bearer key-b"}
            await client.get("/r/10/case/503-retry-after", headers=a)
            return [
                outcome(await client.get("/r/11/case/503-retry-after", headers=a)),
                outcome(await client.get("/r/11/case/503-retry-after", headers=b)),
                outcome(await client.get("/r/11/other", headers=a)),
            ]

    same, other_key, other_route = asyncio.run(run())
    assert same == (429, 0, True)
    assert other_key[2] is False
    assert other_key[1] >= 1
    assert other_route == (200, 1, False)


def test_cooldown_scope_is_checked() -> None:
    with pytest.raises(ValueError, match="cooldown_scope"):
        ae.RetryTransport(cooldown_scope="path")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cooldown_scope"):
        ae.AsyncRetryTransport(cooldown_scope="")  # type: ignore[arg-type]


# --- a bounded memory store -------------------------------------------------------------------


def test_memory_store_is_bounded_in_entries() -> None:
    store = ae.MemoryStore(max_entries=100)
    for i in range(1000):
        store.extend_cooldown(f"p:h:{i}", 30)
        store.withdraw(f"p:h:{i}", 1, capacity=10)
    assert store.entries == 200
    # The most recent are kept, the least recently used went first.
    assert store.cooldown_remaining("p:h:999") > 0
    assert store.cooldown_remaining("p:h:0") == 0.0


def test_memory_store_evicts_expired_before_live() -> None:
    now = [0.0]
    store = ae.MemoryStore(max_entries=3, clock=lambda: now[0])
    store.extend_cooldown("live", 100)
    store.extend_cooldown("short-1", 1)
    store.extend_cooldown("short-2", 1)
    now[0] = 5.0
    store.extend_cooldown("new", 100)
    assert store.cooldown_remaining("live") == 95.0  # the oldest, but alive: kept
    assert store.cooldown_remaining("new") == 100.0
    store.cooldown_remaining("live")  # used: now the most recent
    now[0] = 7.0
    store.extend_cooldown("newer", 100)
    store.extend_cooldown("newest", 100)
    assert store.cooldown_remaining("live") > 0
    assert store.cooldown_remaining("new") == 0.0  # least recently used: evicted


def test_memory_store_rejects_bad_max_entries() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_entries"):
            ae.MemoryStore(max_entries=bad)  # type: ignore[arg-type]


def test_unique_scopes_stay_bounded_in_memory() -> None:
    # Figure: before the bound, 200k unique credentials cost +69 MB. Now the default keeps at
    # most 10,000 scopes per table: 200k unique scopes measured +2.9 MB (docs/guarantees.md);
    # here 30k (three times the bound, to keep the test fast) must stay under 4 MiB.
    store = ae.MemoryStore()
    scopes = [ae.store_scope("qoder", "api.qoder.com", f"sk-user-{i}") for i in range(30_000)]
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for scope in scopes:
            store.extend_cooldown(scope, 30)
            store.withdraw(scope, 1, capacity=10)
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert store.entries == 20_000
    assert grown < 4 * 1024 * 1024, grown


def test_route_scope_of_a_long_path_is_bounded(upstream: Upstream) -> None:
    store = ae.MemoryStore()
    transport = ae.RetryTransport(
        policy=policy(), store=store, sleep=[].append, cooldown_scope="route"
    )
    long_path = "/long/" + "a" * 10_000 + "/case/429-retry-after"
    with httpx.Client(transport=transport, base_url=upstream.url) as client:
        assert client.get(long_path).status_code == 429
        assert outcome(client.get("/long/" + "b" * 9_000 + "/case/429-retry-after")) == (
            429,
            0,
            True,
        )
    assert 29 < store.cooldown_remaining("generic:127.0.0.1:/long/*/case/429-retry-after") <= 30
    # The transport's route cache keeps no long path (a flood of them costs no memory there).
    assert all(len(path) <= 256 for _, path in transport._flow.path_routes)
