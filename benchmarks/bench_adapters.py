"""How much normalizing a golden response costs, against decoding its JSON body once.

For each provider directory of `tests/corpus/`, the median time of `normalize_parts` (with the
provider named, and auto-detected) is divided by the median time of `json.loads` on the same
bodies, measured in the same run. The ratio is the key column: it says how many JSON decodes one
normalization costs, independent of the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import agent_errors as ae

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def _cases() -> dict[str, list[tuple[Any, dict[str, str], bytes, str]]]:
    groups: dict[str, list[tuple[Any, dict[str, str], bytes, str]]] = {}
    for path in sorted(CORPUS.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        body = case["body"]
        if body is None:
            data = b""
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        provider = case["expected"]["provider"]
        groups.setdefault(path.parent.name, []).append(
            (case["status"], case["headers"], data, provider)
        )
    return groups


def _median_ns(func: Callable[[], object], *, number: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        samples.append((time.perf_counter_ns() - start) / number)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    number, repeat = (20, 3) if args.quick else (200, 7)
    ae.normalize_parts(500, {}, b"{}")  # load the registry outside the timings

    print(
        f"{'corpus':<16}{'cases':>6}{'json.loads µs':>15}{'named µs':>10}{'auto µs':>10}"
        f"{'named/json':>12}{'auto/json':>11}"
    )
    for group, cases in _cases().items():
        bodies = [data for _, _, data, _ in cases]

        def baseline(bodies: list[bytes] = bodies) -> None:
            for data in bodies:
                if data[:1] in (b"{", b"["):
                    json.loads(data)

        def named(cases: list[tuple[Any, dict[str, str], bytes, str]] = cases) -> None:
            for status, headers, data, provider in cases:
                ae.normalize_parts(status, headers, data, provider=provider)

        def auto(cases: list[tuple[Any, dict[str, str], bytes, str]] = cases) -> None:
            for status, headers, data, _ in cases:
                ae.normalize_parts(status, headers, data)

        base = _median_ns(baseline, number=number, repeat=repeat) / len(cases)
        t_named = _median_ns(named, number=number, repeat=repeat) / len(cases)
        t_auto = _median_ns(auto, number=number, repeat=repeat) / len(cases)
        print(
            f"{group:<16}{len(cases):>6}{base / 1000:>15.2f}{t_named / 1000:>10.2f}"
            f"{t_auto / 1000:>10.2f}{t_named / base:>12.1f}{t_auto / base:>11.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
