"""What the testing toolkit costs a test suite, as a multiple of plain httpx doing the same.

- `error_response(provider, kind)` against building the same `httpx.Response` by hand;
- a request answered by `FakeProvider` against one answered by a bare `httpx.MockTransport`;
- `assert_error(response, ...)` against `normalize(response)` alone.

Each pair is timed interleaved in the same run (medians over repeats), so the ratios do not depend
on the machine.

    python benchmarks/bench_toolkit.py            # full run
    python benchmarks/bench_toolkit.py --quick    # a few seconds (CI)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import httpx

import agent_errors as ae
from agent_errors.testing import FakeProvider, assert_error, error_response

BODY = {"type": "error", "error": {"type": "rate_limit_error", "message": "Too many requests"}}
HEADERS = {"content-type": "application/json", "retry-after": "2"}
URL = "https://api.qoder.com/api/v1/cloud/agents"


def _per_call(func: Callable[[], object], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        func()
    return (time.perf_counter_ns() - start) / number / 1000.0  # microseconds


def _pair(
    baseline: Callable[[], object], measured: Callable[[], object], number: int, repeats: int
) -> tuple[float, float]:
    base: list[float] = []
    mine: list[float] = []
    for _ in range(repeats):
        base.append(_per_call(baseline, number))
        mine.append(_per_call(measured, number))
    return statistics.median(base), statistics.median(mine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    number, repeats = (200, 5) if args.quick else (2000, 15)

    def by_hand() -> httpx.Response:
        return httpx.Response(429, headers=HEADERS, json=BODY, request=httpx.Request("GET", URL))

    def rendered() -> httpx.Response:
        return error_response("qoder", "rate_limited", retry_after=2)

    bare_client = httpx.Client(transport=httpx.MockTransport(lambda request: by_hand()))
    script = [429] * (number * repeats + 1)
    fake_client = httpx.Client(transport=FakeProvider("qoder", script))

    response = rendered()

    def normalize_only() -> object:
        return ae.normalize(response)

    def checked() -> object:
        return assert_error(response, kind="rate_limited", retry_after=2.0, status=429)

    rows = [
        ("error_response", "httpx.Response by hand", *_pair(by_hand, rendered, number, repeats)),
        (
            "FakeProvider request",
            "MockTransport request",
            *_pair(lambda: bare_client.get(URL), lambda: fake_client.get(URL), number, repeats),
        ),
        ("assert_error", "normalize", *_pair(normalize_only, checked, number, repeats)),
    ]
    mode = "quick run" if args.quick else "full run"
    print(f"testing toolkit vs plain httpx  (Python {sys.version.split()[0]}, {mode})")
    print(f"{'measured':<22} {'baseline':<24} {'baseline':>10} {'measured':>10} {'ratio':>7}")
    for name, base_name, base, mine in rows:
        print(f"{name:<22} {base_name:<24} {base:>8.2f}us {mine:>8.2f}us {mine / base:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
