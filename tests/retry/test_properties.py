"""Properties of decide() that must hold for every policy, error and draw of the jitter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import agent_errors as ae

retryable_kinds = st.sampled_from(
    [ae.Kind.RATE_LIMITED, ae.Kind.UNAVAILABLE, ae.Kind.INTERNAL, ae.Kind.TIMEOUT]
)
delays = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def policies(draw: st.DrawFn) -> ae.RetryPolicy:
    u = draw(st.floats(min_value=0, max_value=0.999999))
    return ae.RetryPolicy(
        max_retries=draw(st.integers(0, 10)),
        initial_delay=draw(st.floats(0, 100)),
        multiplier=draw(st.floats(0, 10)),
        max_delay=draw(st.floats(0, 1000)),
        jitter=draw(st.sampled_from(list(ae.Jitter))),
        jitter_fraction=draw(st.floats(0, 1)),
        max_server_delay=draw(st.none() | st.floats(0, 1e5)),
        deadline=draw(st.none() | st.floats(0, 1e5)),
        budget=None,
        random=lambda: u,
    )


@given(
    policies(),
    retryable_kinds,
    st.none() | delays,
    st.integers(1, 20),
    st.floats(0, 1e5),
    st.sampled_from(["GET", "POST", "PUT"]),
)
def test_decide_keeps_its_promises(policy, kind, retry_after, attempt, elapsed, method):
    error = ae.CanonicalError(kind=kind, message="x", retry_after=retry_after, status=503)
    decision = policy.decide(error, attempt=attempt, method=method, elapsed=elapsed)
    assert decision.reason in ae.RETRY_REASONS
    assert decision.retry_after == retry_after
    if not decision.retry:
        assert decision.delay == 0.0
        return
    assert decision.delay >= 0
    assert attempt <= policy.max_retries
    if retry_after is not None:
        assert decision.delay >= retry_after  # never earlier than the server asked
        if policy.max_server_delay is not None:
            assert retry_after <= policy.max_server_delay
    if policy.deadline is not None:
        assert elapsed + decision.delay <= policy.deadline
    if decision.reason == "backoff":
        assert decision.delay <= policy.max_delay * (1 + policy.jitter_fraction) + 1e-9
