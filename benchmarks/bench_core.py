"""Benchmark: normalize_parts on typical error responses, against decoding one small JSON body.

The baseline is `json.loads` of a 100-byte error document, measured in the same run; the ratio
column says how many of those one normalization costs (detection, parsing, hints and redaction
included). Run `python benchmarks/bench_core.py` (`--quick` for a smoke run of a few seconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import agent_errors as ae

REFERENCE = (
    b'{"error": {"message": "Invalid value for model", "type": "invalid_request_error",'
    b' "param": "model", "code": null}}'
)

CASES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "qoder 429 envelope": (
        429,
        {"retry-after": "2", "x-request-id": "req_1", "content-type": "application/json"},
        (
            b'{"type": "error", "error": {"type": "rate_limit_error", "message": "Too many"},'
            b' "request_id": "req_1"}'
        ),
    ),
    "openai-style 400": (
        400,
        {"content-type": "application/json"},
        REFERENCE,
    ),
    "message with a secret": (
        401,
        {},
        b'{"error": {"message": "Invalid key sk-abcdefghij1234567890", "type": "x"}}',
    ),
    "html 502 page": (502, {"content-type": "text/html"}, b"<html><title>502</title></html>"),
    "empty 503": (503, {"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}, b""),
    "64 KiB JSON body": (
        500,
        {},
        json.dumps(
            {"error": {"message": "big", "type": "server_error"}, "pad": "x" * 65000}
        ).encode(),
    ),
}


def _median_ns(func: Callable[[], object], number: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        samples.append((time.perf_counter_ns() - start) / number)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    number, repeat = (200, 3) if args.quick else (2000, 7)
    ae.normalize_parts(500, {}, b"{}")  # load the registry outside the timings

    baseline = _median_ns(lambda: json.loads(REFERENCE), number, repeat)
    print(f"baseline: json.loads of a {len(REFERENCE)}-byte error body, {baseline / 1000:.2f} µs")
    print(f"{'case':<24} {'normalize µs':>13} {'ratio':>7}")
    for name, (status, headers, body) in CASES.items():
        normalized = _median_ns(
            lambda s=status, h=headers, b=body: ae.normalize_parts(s, h, b), number, repeat
        )
        print(f"{name:<24} {normalized / 1000:>13.2f} {normalized / baseline:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
