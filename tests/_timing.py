"""How the hostile-input tests measure growth: a ratio of best times, re-measured when noisy.

Linear work on 8x the input costs about 8x the time; a quadratic pass costs 64x. The tests allow
24x. A shared machine only ever makes a measurement slower, and a pause during the large run
inflates the ratio, so a ratio over the limit is measured again (up to `tries` times) and the
smallest one counts: a real quadratic pass stays over the limit on every try.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_of", "growth"]


def best_of(run: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of `repeats` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def growth(
    small: Callable[[], object],
    large: Callable[[], object],
    *,
    limit: float,
    repeats: int = 5,
    tries: int = 3,
) -> float:
    """The smallest time ratio large/small over up to `tries` measurements (stops under `limit`)."""
    ratio = float("inf")
    for _ in range(tries):
        ratio = min(ratio, best_of(large, repeats) / best_of(small, repeats))
        if ratio < limit:
            break
    return ratio
