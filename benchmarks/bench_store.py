"""What a cooldown check costs per request, on MemoryStore and on a local Redis.

Every row is timed in the same run as its baseline, a bare dict lookup, and reported as a
ratio to it; medians over repeats. The Redis rows need ``redis-server`` on PATH (one is started
on a free loopback port and stopped at the end) or ``--url`` pointing at a running server;
without either they are reported as skipped.

    python benchmarks/bench_store.py            # full run
    python benchmarks/bench_store.py --quick    # a few seconds, as CI runs it
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import agent_errors as ae

SCOPE = "qoder:api.qoder.com"


def per_call_ns(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Median over *repeat* runs of the mean time of one call, in nanoseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter_ns() - start) / number)
    return statistics.median(samples)


def async_per_call_ns(
    make: Callable[[], object], number: int, repeat: int, loop: asyncio.AbstractEventLoop
) -> float:
    """Like `per_call_ns` for a coroutine factory, timed inside one event loop."""

    async def run() -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            for _ in range(number):
                await make()  # type: ignore[misc]
            samples.append((time.perf_counter_ns() - start) / number)
        return statistics.median(samples)

    return loop.run_until_complete(run())


@contextlib.contextmanager
def local_redis(url: str | None) -> Iterator[str | None]:
    """Yield a Redis URL: *url*, or a throwaway redis-server's, or None when neither exists."""
    if url is not None:
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


def print_table(title: str, rows: list[tuple[str, float | None]], base: str) -> None:
    """Print *rows* with each one's ratio to the first row (the baseline)."""
    baseline = rows[0][1]
    assert baseline is not None
    width = max(len(name) for name, _ in rows)
    print(f"{title:<{width}}  {'per call':>12}  {'vs ' + base:>14}")
    for name, ns in rows:
        if ns is None:
            print(f"{name:<{width}}  {'-':>12}  {'-':>14}")
        else:
            print(f"{name:<{width}}  {ns / 1000:>9.2f} µs  {ns / baseline:>13.2f}x")


def transport_rows(url: str | None, number: int, repeat: int) -> list[tuple[str, float | None]]:
    """A successful GET through httpx: bare, then with the retry transport on each store."""
    import httpx  # noqa: PLC0415 - only this part needs it

    ok = httpx.Response(200, content=b"ok")
    upstream = httpx.MockTransport(lambda request: ok)
    policy = ae.RetryPolicy()  # a success costs a cooldown check (and a skipped deposit)

    def timed(client: httpx.Client) -> float:
        client.get("/")  # warm up (and connect, for Redis)
        ns = per_call_ns(lambda: client.get("/"), number, repeat)
        client.close()
        return ns

    base = "https://api.qoder.com"
    rows: list[tuple[str, float | None]] = [
        (
            "httpx.Client + MockTransport (baseline)",
            timed(httpx.Client(transport=upstream, base_url=base)),
        ),
    ]
    memory = ae.RetryTransport(upstream, policy=policy, store=ae.MemoryStore())
    rows.append(
        ("RetryTransport, MemoryStore", timed(httpx.Client(transport=memory, base_url=base)))
    )
    with local_redis(url) as redis_url:
        if redis_url is None:
            rows.append(("RetryTransport, RedisStore (skipped: no redis-server)", None))
        else:
            store = ae.RedisStore.from_url(redis_url, prefix="bench:", socket_timeout=1.0)
            remote = ae.RetryTransport(upstream, policy=policy, store=store)
            rows.append(
                ("RetryTransport, RedisStore", timed(httpx.Client(transport=remote, base_url=base)))
            )
            store.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--url", help="use this Redis instead of starting redis-server")
    args = parser.parse_args(argv)
    number, repeat, redis_number = (2_000, 5, 200) if args.quick else (100_000, 9, 5_000)

    table: dict[str, str] = {SCOPE: "x"}
    rows: list[tuple[str, float | None]] = []
    baseline = per_call_ns(lambda: table.get(SCOPE), number, repeat)
    rows.append(("dict lookup (baseline)", baseline))

    memory = ae.MemoryStore()
    rows.append(
        (
            "MemoryStore, no cooldown",
            per_call_ns(lambda: memory.cooldown_remaining(SCOPE), number, repeat),
        )
    )
    memory.extend_cooldown(SCOPE, 3600)
    rows.append(
        (
            "MemoryStore, cooling down",
            per_call_ns(lambda: memory.cooldown_remaining(SCOPE), number, repeat),
        )
    )
    rows.append(
        (
            "MemoryStore withdraw+deposit",
            per_call_ns(
                lambda: (
                    memory.withdraw(SCOPE, 1, capacity=1e12),
                    memory.deposit(SCOPE, 1, capacity=1e12),
                ),
                number,
                repeat,
            ),
        )
    )

    with local_redis(args.url) as url:
        if url is None:
            rows.append(("RedisStore (skipped: no redis-server)", None))
        else:
            store = ae.RedisStore.from_url(url, prefix="bench:", socket_timeout=1.0)
            store.cooldown_remaining(SCOPE)  # connect outside the timing
            rows.append(
                (
                    "RedisStore, no cooldown",
                    per_call_ns(lambda: store.cooldown_remaining(SCOPE), redis_number, repeat),
                )
            )
            store.extend_cooldown(SCOPE, 3600)
            rows.append(
                (
                    "RedisStore, cooling down",
                    per_call_ns(lambda: store.cooldown_remaining(SCOPE), redis_number, repeat),
                )
            )
            rows.append(
                (
                    "RedisStore extend_cooldown",
                    per_call_ns(lambda: store.extend_cooldown(SCOPE, 1), redis_number, repeat),
                )
            )
            rows.append(
                (
                    "RedisStore withdraw",
                    per_call_ns(
                        lambda: store.withdraw(SCOPE, 1e-9, capacity=1e12), redis_number, repeat
                    ),
                )
            )
            loop = asyncio.new_event_loop()
            try:
                rows.append(
                    (
                        "RedisStore acooldown_remaining",
                        async_per_call_ns(
                            lambda: store.acooldown_remaining(SCOPE), redis_number, repeat, loop
                        ),
                    )
                )
                loop.run_until_complete(store.aclose())
            finally:
                loop.close()
            store.close()

    print_table("cooldown check", rows, "dict lookup")
    print()
    print_table("request through httpx", transport_rows(args.url, number // 10, repeat), "bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
