"""What every retry flow applies around the pure `RetryPolicy.decide`: testing mode.

The transports and the retry-library bridges call `in_testing_mode` on each decision; the
retry budget is their other step (`RetryBudget.withdraw`, or the transports' `Withdraw`).
"""

from __future__ import annotations

from typing import Final

import attrs

from agent_errors._core._testing_mode import attempts_cap, is_testing

from ._retry import Decision

__all__ = ["in_testing_mode"]

# The reasons `decide` reaches only after its attempt check: a testing cap on attempts says
# `max_retries` before any of them, as a policy's own `max_retries` would.
_AFTER_ATTEMPTS: Final = frozenset({"backoff", "server_delay", "server_delay_too_long", "deadline"})


def in_testing_mode(decision: Decision) -> Decision:
    """Return `decision` as testing mode has it: no wait, and the mode's attempt cap applied.

    Outside testing mode `decision` itself. Inside, a retry waits 0 seconds, and a decision
    past the cap (`set_testing(True, attempts=N)`: N attempts in all) is `max_retries`, as if
    the policy's own `max_retries` were N - 1; every other decision is what production decides.
    """
    if not is_testing():
        return decision
    cap = attempts_cap()
    if cap is not None and decision.attempt > cap - 1 and decision.reason in _AFTER_ATTEMPTS:
        return decision.refuse("max_retries")
    if decision.retry and decision.delay != 0.0:
        return attrs.evolve(decision, delay=0.0)
    return decision
