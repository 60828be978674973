"""The retry area's public names are exported from the flat namespace."""

from __future__ import annotations

import agent_errors as ae

NAMES = {
    "AsyncRetryTransport",
    "Decision",
    "Jitter",
    "MemoryStore",
    "RETRY_REASONS",
    "RetryBudget",
    "RetryPolicy",
    "RetryRecord",
    "RetryTransport",
    "Store",
    "error_from_exception",
    "is_testing",
    "set_testing",
}


def test_names_are_exported_and_documented():
    assert set(ae.__all__) >= NAMES
    for name in NAMES - {"RETRY_REASONS"}:
        assert getattr(ae, name).__doc__, name
