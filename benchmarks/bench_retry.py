"""Retry benchmarks, each a ratio against a baseline measured in the same run.

1. RetryTransport's overhead on 2xx: the same GET through a bare `httpx.HTTPTransport` and
   through `RetryTransport` wrapping one, against a keep-alive HTTP server on 127.0.0.1 in a
   child process (target: at most 5 % slower). The same with `httpx.MockTransport`, where the
   transport itself costs almost nothing, shows the absolute cost per request.
2. The error path: `normalize(response)` + `policy.decide(...)` against the official openai SDK's
   own (`_make_status_error_from_response`, `_should_retry`, `_calculate_retry_timeout`) on the
   same `httpx.Response` objects, fresh each repeat so neither side reuses the other's caches
   (target: at least 4x faster). Skipped, with a line saying so, when openai is not installed.

Run: `python benchmarks/bench_retry.py [--quick]`. Medians over repeats; no timed assertions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import httpx

import agent_errors as ae

# The keep-alive server runs in a child process of its own, started from this source text, so
# it works however this module was loaded (as a script or imported by a runner).
_SERVER = r"""
import socket, sys, threading

OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
    b'{"ok":true}'
)


def handle(conn):
    buffer = b""
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b"\r\n\r\n" in buffer:
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                conn.sendall(OK)


server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), server.close()), daemon=True).start()
while True:
    try:
        conn, _ = server.accept()
    except OSError:
        break
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
"""


def _time_per_call(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        fn()
    return (time.perf_counter_ns() - start) / number / 1000.0


def _get(transport: httpx.BaseTransport, request: httpx.Request) -> Callable[[], object]:
    def call() -> object:
        response = transport.handle_request(request)
        response.read()
        response.close()
        return response

    return call


def bench_overhead(quick: bool) -> list[tuple[str, float, float]]:
    """Return (name, bare µs, retry µs) rows."""
    repeats, number = (15, 50) if quick else (101, 100)
    rows = []
    # The child serves until its stdin closes, and is killed if it outlives that.
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        request = httpx.Request("GET", f"http://127.0.0.1:{port}/api/v1/cloud/agents")
        bare = httpx.HTTPTransport()
        retry = ae.RetryTransport(httpx.HTTPTransport())
        timings = _compare(_get(bare, request), _get(retry, request), repeats, number)
        rows.append(("2xx over loopback HTTP", *timings))
        bare.close()
        retry.close()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)

    mock = httpx.MockTransport(lambda request: httpx.Response(200, content=b'{"ok":true}'))
    request = httpx.Request("GET", "https://api.qoder.com/api/v1/cloud/agents")
    wrapped = ae.RetryTransport(mock)
    timings = _compare(_get(mock, request), _get(wrapped, request), repeats, number * 5)
    rows.append(("2xx over MockTransport", *timings))
    return rows


def _compare(
    base: Callable[[], object], ours: Callable[[], object], repeats: int, number: int
) -> tuple[float, float]:
    for fn in (base, ours):  # warm up connections and caches
        _time_per_call(fn, max(10, number // 10))
    base_times, our_times = [], []
    for index in range(repeats):
        # Alternate the order so drift (CPU frequency, the other process) hits both alike.
        pair = (base, ours) if index % 2 == 0 else (ours, base)
        first = _time_per_call(pair[0], number)
        second = _time_per_call(pair[1], number)
        if index % 2 == 0:
            base_times.append(first)
            our_times.append(second)
        else:
            our_times.append(first)
            base_times.append(second)
    return statistics.median(base_times), statistics.median(our_times)


def _error_responses() -> list[tuple[str, httpx.Response]]:
    qoder = httpx.Request("GET", "https://api.qoder.com/api/v1/cloud/agents/agent_1")
    other = httpx.Request("POST", "https://api.example.com/v1/things")
    json_type = {"content-type": "application/json"}
    return [
        (
            "qoder 500 envelope",
            httpx.Response(
                500,
                headers={**json_type, "x-request-id": "req_0123456789"},
                content=b'{"type":"error","error":{"type":"api_error","message":"An internal'
                b' error occurred. Please try again later."}}',
                request=qoder,
            ),
        ),
        ("qoder gateway 503, empty", httpx.Response(503, content=b"", request=qoder)),
        (
            "429 + Retry-After",
            httpx.Response(
                429,
                headers={**json_type, "retry-after": "3", "x-request-id": "req_1"},
                content=b'{"error":{"message":"Rate limit reached","type":"requests",'
                b'"param":null,"code":"rate_limit_exceeded"}}',
                request=other,
            ),
        ),
        (
            "400 openai-style",
            httpx.Response(
                400,
                headers=json_type,
                content=b'{"error":{"message":"Missing required field: name","type":'
                b'"invalid_request_error","param":"name","code":null}}',
                request=other,
            ),
        ),
        (
            "qoder 501 beta",
            httpx.Response(
                501,
                headers=json_type,
                content=b'{"type":"error","error":{"type":"feature_not_available","feature":'
                b'"managed-agents","available_from":"managed-agents-2026-04-01"}}',
                request=qoder,
            ),
        ),
    ]


def bench_error_path(quick: bool) -> list[tuple[str, float, float]] | None:
    """Return (case, openai µs, ours µs) rows, or None when openai is not installed."""
    try:
        import openai  # noqa: PLC0415 - optional: the `bench` extra
        from openai._models import FinalRequestOptions  # noqa: PLC0415
    except ImportError:
        return None
    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=3)
    options = FinalRequestOptions.construct(method="get", url="/agents")
    policy = ae.RetryPolicy.for_provider("qoder")
    repeats, number = (5, 300) if quick else (15, 2000)
    rows = []
    for index, (name, _) in enumerate(_error_responses()):

        def fresh(index: int = index) -> list[httpx.Response]:
            return [_error_responses()[index][1] for _ in range(number)]

        def ours(responses: Sequence[httpx.Response]) -> None:
            for response in responses:
                error = ae.normalize(response)
                assert error is not None
                policy.decide(error, attempt=1, method=response.request.method)

        def theirs(responses: Sequence[httpx.Response]) -> None:
            for response in responses:
                client._make_status_error_from_response(response)  # type: ignore[arg-type]
                if client._should_retry(response):  # type: ignore[arg-type]
                    client._calculate_retry_timeout(2, options, response.headers)  # type: ignore[arg-type]

        ours(fresh())
        theirs(fresh())
        our_times, their_times = [], []
        for _ in range(repeats):
            responses = fresh()
            start = time.perf_counter_ns()
            ours(responses)
            our_times.append((time.perf_counter_ns() - start) / number / 1000.0)
            start = time.perf_counter_ns()
            theirs(responses)  # the same objects, first touched by the SDK here: no caches
            their_times.append((time.perf_counter_ns() - start) / number / 1000.0)
        rows.append((name, statistics.median(their_times), statistics.median(our_times)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and print their tables; `--quick` for a smoke run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI")
    args = parser.parse_args(argv)

    print("RetryTransport overhead on 2xx (median µs per request; ratio = retry / bare)")
    print(f"{'case':<28} {'bare µs':>9} {'retry µs':>9} {'ratio':>7} {'overhead':>9}")
    for name, bare, retry in bench_overhead(args.quick):
        print(
            f"{name:<28} {bare:>9.1f} {retry:>9.1f} {retry / bare:>7.3f} "
            f"{(retry - bare) / bare * 100:>8.1f}%"
        )
    print()
    rows = bench_error_path(args.quick)
    if rows is None:
        print("error path vs openai SDK: skipped (openai is not installed; pip install '.[bench]')")
        return 0
    print("Error path: normalize + decide vs the openai SDK's own")
    print("(median µs per response; ratio = openai / ours)")
    print(f"{'case':<28} {'openai µs':>9} {'ours µs':>9} {'ratio':>7}")
    ratios = []
    for name, theirs, ours in rows:
        ratios.append(theirs / ours)
        print(f"{name:<28} {theirs:>9.1f} {ours:>9.1f} {theirs / ours:>6.2f}x")
    print(f"{'geometric mean':<28} {'':>9} {'':>9} {statistics.geometric_mean(ratios):>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
