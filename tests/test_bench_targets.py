"""The speed-target benchmark runs and reports every target (its times are never checked).

`benchmarks/bench_targets.py --quick` is run as a user runs it, in a process of its own: the
test fails if the harness breaks (an import, a changed API, a subject that stops answering as
the benchmark expects), not if the machine is slow.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_targets.py"

VERDICT_ROWS = (
    "normalize_parts / json.loads (median)",
    "RetryTransport / bare transport, 2xx",
    "ErrorMiddleware / bare ASGI app, 429",
)


@pytest.fixture(scope="module")
def quick_run() -> str:
    if not SCRIPT.is_file():
        pytest.skip("benchmarks/ is not next to the tests")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _verdict(output: str, name: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith(name)]
    match = re.search(r"\s(\d+\.\d+)x\s+(<=|>=) \d+(\.\d+)?\s+(PASS|MISS)$", line)
    assert match, line
    return match.group(4)


@pytest.mark.parametrize("name", VERDICT_ROWS)
def test_every_target_has_a_ratio_and_a_verdict(quick_run: str, name: str) -> None:
    assert _verdict(quick_run, name) in ("PASS", "MISS")


def test_every_seed_format_is_measured_auto_detected(quick_run: str) -> None:
    providers = set(re.findall(r"^  .+ \((\w+)\)\s", quick_run, flags=re.MULTILINE))
    assert providers == {"qoder", "onecli", "agentgate", "agents_sdk"}


def test_the_sdk_comparison_runs_or_says_why_not(quick_run: str) -> None:
    name = "openai SDK / (normalize + decide), 429"
    try:
        import openai  # noqa: F401, PLC0415 - optional: the `bench` extra
    except ImportError:
        assert f"{name}" in quick_run
        assert "skipped: openai not installed" in quick_run
    else:
        assert _verdict(quick_run, name) in ("PASS", "MISS")


def test_the_floor_is_printed_beside_the_normalize_target(quick_run: str) -> None:
    # The hand-written minimal pass: its result was asserted equal to normalize_parts's.
    assert re.search(r"^  floor: hand-written pass, qoder 400 .* info\s*$", quick_run, re.MULTILINE)
