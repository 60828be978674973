"""Run every `benchmarks/bench_*.py`, one process each, and fail if any of them fails.

    python benchmarks/run_all.py           # full runs
    python benchmarks/run_all.py --quick   # smoke runs of a few seconds each (CI)
    python benchmarks/run_all.py targets   # only the speed targets, with their verdicts

Benchmarks print tables whose key column is a ratio against a baseline measured in the same
run; nothing here compares timings with fixed thresholds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK_TIMEOUT = 300  # seconds per benchmark: a smoke run that takes longer is broken


def discover() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument("names", nargs="*", help="run only these (e.g. normalize)")
    args = parser.parse_args(argv)
    scripts = discover()
    if args.names:
        wanted = {
            f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py" for name in args.names
        }
        scripts = [script for script in scripts if script.name in wanted]
        missing = wanted - {script.name for script in scripts}
        if missing:
            print(f"run_all: no such benchmark: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    if not scripts:
        print("run_all: no benchmarks/bench_*.py found", file=sys.stderr)
        return 2
    failed: list[str] = []
    for script in scripts:
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"==> {script.name}{' --quick' if args.quick else ''}", flush=True)
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, check=False, timeout=QUICK_TIMEOUT if args.quick else None
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            print(f"run_all: {script.name} took longer than {QUICK_TIMEOUT} s", file=sys.stderr)
            code = -1
        print(
            f"<== {script.name}: exit {code} in {time.perf_counter() - start:.1f} s\n", flush=True
        )
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"run_all: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"run_all: {len(scripts)} benchmark(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
