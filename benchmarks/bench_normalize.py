"""How fast is `normalize_parts`, as a multiple of `json.loads` on the same body?

Each seed format is normalized with detection on (no `provider=`), interleaved with the
baseline — the standard library's `json.loads` of the same body — in the same run, so the ratio
does not depend on the machine. The target is a median ratio of at most 2.5. A cold 32 MB body
(one call, never seen before) is timed and its allocation peak measured with tracemalloc.

    python benchmarks/bench_normalize.py            # full run
    python benchmarks/bench_normalize.py --quick    # a few seconds (CI)
    python benchmarks/bench_normalize.py --profile  # also: where the time goes (cProfile)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import agent_errors
from agent_errors import normalize_parts
from agent_errors._core import _json

TARGET_RATIO = 2.5

Case = tuple[str, int | None, list[tuple[str, str]], bytes]

JSON = ("content-type", "application/json")

CASES: list[Case] = [
    (
        "qoder 400",
        400,
        [JSON, ("x-request-id", "req_2b8e61c0f7a3")],
        (
            b'{"type": "error", "error": {"type": "invalid_request_error", '
            b'"message": "Missing required field: name", "param": "name"}}'
        ),
    ),
    (
        "qoder 501",
        501,
        [JSON, ("x-request-id", "req_7f3c2a91d4e8")],
        (
            b'{"type": "error", "error": {"type": "feature_not_available", '
            b'"feature": "managed-agents", "available_from": "managed-agents-2026-04-01"}}'
        ),
    ),
    ("onecli flat 400", 400, [JSON], b'{"error": "Label is required"}'),
    (
        "onecli envelope 409",
        409,
        [JSON],
        (
            b'{"error": {"message": "An agent with this identifier already exists", '
            b'"type": "conflict"}}'
        ),
    ),
    (
        "agentgate 429",
        429,
        [
            JSON,
            ("x-ratelimit-limit", "100"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1705316100"),
            ("retry-after", "60"),
        ],
        (
            b'{"error": {"code": "RATE_LIMITED", "message": "Rate limit exceeded", "details": '
            b'{"limit": 100, "remaining": 0, "resetAt": "2024-01-15T10:35:00Z"}}}'
        ),
    ),
    (
        "agentgate 400",
        400,
        [JSON],
        (
            b'{"error": {"code": "INVALID_REQUEST", "message": "Request validation failed", '
            b'"details": {"errors": [{"field": "taskPrompt", "message": "must not be empty"}, '
            b'{"field": "workspaceSource.repository", '
            b'"message": "is required when type is \'git\'"}]}}}'
        ),
    ),
    (
        "agents_sdk 429",
        429,
        [JSON],
        (
            b'{"error": {"code": "rate_limit_exceeded", "message": "Too many requests. '
            b'Please retry after 60 seconds.", "status": 429, "retryAfter": 60}}'
        ),
    ),
]


def _per_call(func: Callable[[], Any], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        func()
    return (time.perf_counter_ns() - start) / number


def _calibrate(func: Callable[[], Any], budget_ns: float) -> int:
    number = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        if time.perf_counter_ns() - start >= budget_ns / 4 or number >= 1 << 20:
            return max(1, int(number * budget_ns / max(1, time.perf_counter_ns() - start)))
        number *= 2


def measure(case: Case, repeats: int, budget_ns: float) -> tuple[list[float], list[float], str]:
    """Return (ns per json.loads, ns per normalize_parts) for each repeat, and the provider."""
    _, status, headers, body = case

    def baseline() -> Any:
        return json.loads(body)

    def subject() -> Any:
        return normalize_parts(status, headers, body)

    error = subject()
    assert error is not None, case[0]
    n_base, n_subj = _calibrate(baseline, budget_ns), _calibrate(subject, budget_ns)
    base: list[float] = []
    subj: list[float] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):  # interleaved, so drift affects both alike
            base.append(_per_call(baseline, n_base))
            subj.append(_per_call(subject, n_subj))
    finally:
        if gc_was_enabled:
            gc.enable()
    return base, subj, error.provider


def cold_large(size: int, *, with_baseline: bool) -> dict[str, Any]:
    """Time one call on a never-seen body of `size` bytes, and its tracemalloc peak."""
    head = b'{"error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred", '
    filler = b'"details": {"trace": "' + b"x" * (size - len(head) - 26) + b'"}}}'
    body = head + filler
    headers = [JSON]
    result: dict[str, Any] = {"size": len(body)}
    start = time.perf_counter_ns()
    error = normalize_parts(500, headers, body)
    result["normalize_ms"] = (time.perf_counter_ns() - start) / 1e6
    assert error is not None
    result["kind"] = error.kind.value
    result["truncated"] = bool(error.details.get("body_truncated"))
    fresh = bytes(body)  # a different object: nothing cached on the first one counts
    tracemalloc.start()
    normalize_parts(500, headers, fresh)
    result["normalize_peak_kib"] = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    if with_baseline:
        start = time.perf_counter_ns()
        json.loads(body)
        result["json_ms"] = (time.perf_counter_ns() - start) / 1e6
        tracemalloc.start()
        json.loads(fresh)
        result["json_peak_kib"] = tracemalloc.get_traced_memory()[1] / 1024
        tracemalloc.stop()
    return result


def profile(seconds: float, top: int) -> str:
    """Return cProfile's top functions (by own time) while normalizing every case in a loop."""
    profiler = cProfile.Profile()
    deadline = time.perf_counter() + seconds
    profiler.enable()
    while time.perf_counter() < deadline:
        for _, status, headers, body in CASES:
            for _ in range(50):
                normalize_parts(status, headers, body)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args(argv)
    repeats, budget_ns = (5, 4e6) if args.quick else (21, 40e6)

    print(
        f"normalize_parts vs json.loads  (agent-errors {agent_errors.__version__}, "
        f"Python {sys.version.split()[0]}, JSON backend {_json.BACKEND}, "
        f"{'quick' if args.quick else 'full'} run: median of {repeats})"
    )
    rows = []
    for case in CASES:
        base, subj, provider = measure(case, repeats, budget_ns)
        median_base, median_subj = statistics.median(base), statistics.median(subj)
        rows.append(
            (
                case[0],
                provider,
                median_base,
                median_subj,
                median_subj / median_base,
                min(subj) / min(base),
            )
        )
    width = max(len(row[0]) for row in rows)
    print(
        f"{'format':<{width}}  {'adapter':<10} {'json.loads':>11} {'normalize':>11} "
        f"{'ratio':>7} {'best-of':>8}"
    )
    for name, provider, base_ns, subj_ns, ratio, best in rows:
        print(
            f"{name:<{width}}  {provider:<10} {base_ns / 1000:>9.2f}us {subj_ns / 1000:>9.2f}us "
            f"{ratio:>6.2f}x {best:>7.2f}x"
        )
    median_ratio = statistics.median(row[4] for row in rows)
    verdict = "met" if median_ratio <= TARGET_RATIO else "MISSED"
    print(
        f"median ratio {median_ratio:.2f}x  (target <= {TARGET_RATIO}x: {verdict}; "
        f"best-of ratios, less sensitive to a busy machine: "
        f"median {statistics.median(row[5] for row in rows):.2f}x)"
    )

    size = 32 * 1024 * 1024
    cold = cold_large(size, with_baseline=not args.quick)
    line = (
        f"cold {cold['size'] / 2**20:.0f} MB body: normalize {cold['normalize_ms']:.2f} ms, "
        f"peak {cold['normalize_peak_kib']:.0f} KiB (kind {cold['kind']}, "
        f"truncated {cold['truncated']})"
    )
    if "json_ms" in cold:
        line += (
            f"; json.loads {cold['json_ms']:.1f} ms, peak {cold['json_peak_kib'] / 1024:.0f} MiB"
        )
    print(line)
    if args.profile:
        print(profile(1.0 if args.quick else 4.0, 25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
