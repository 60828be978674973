"""The retry engine's rules, with an injected random source and a fixed clock (the Date header)."""

from __future__ import annotations

import itertools
import json
from email.utils import formatdate

import attrs
import httpx
import pytest

import agent_errors as ae
from agent_errors._retrying._retry import RETRY_REASONS

NOW = 1_800_000_000.0  # the responses' Date: every hint is measured against it
DATE = formatdate(NOW, usegmt=True)


def fixed(u: float) -> ae.RetryPolicy:
    return ae.RetryPolicy(random=lambda: u)


def err(status: int | None, body: bytes = b"", provider: str | None = None, **headers: str):
    hdrs = {"date": DATE, **{k.replace("_", "-"): v for k, v in headers.items()}}
    error = ae.normalize_parts(status, hdrs, body, provider=provider)
    assert error is not None
    return error


def canonical(kind: str, **fields: object) -> ae.CanonicalError:
    return ae.CanonicalError(kind=ae.Kind(kind), message="x", **fields)  # type: ignore[arg-type]


# -- backoff and jitter ---------------------------------------------------------------------


def test_backoff_is_exponential_and_capped_without_jitter():
    policy = ae.RetryPolicy(
        initial_delay=1, multiplier=2, max_delay=5, jitter="none", max_retries=10
    )
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_backoff_survives_absurd_attempt_numbers():
    policy = ae.RetryPolicy(initial_delay=1, multiplier=10, max_delay=30, jitter="none")
    assert policy.backoff(10_000) == 30
    assert policy.backoff(0) == 1


@pytest.mark.parametrize(
    ("jitter", "u", "expected"),
    [
        ("full", 0.0, 0.0),
        ("full", 0.5, 2.0),
        ("equal", 0.0, 2.0),
        ("equal", 0.5, 3.0),
        ("proportional", 0.0, 3.0),
        ("proportional", 1.0, 5.0),
        ("none", 0.3, 4.0),
    ],
)
def test_jitter_kinds(jitter, u, expected):
    policy = ae.RetryPolicy(initial_delay=4, jitter=jitter, random=lambda: u)
    assert policy.backoff(1) == pytest.approx(expected)


def test_seeded_jitter_is_reproducible_and_varies():
    a = ae.RetryPolicy(seed=7)
    b = ae.RetryPolicy(seed=7)
    first = [a.backoff(3) for _ in range(5)]
    assert first == [b.backoff(3) for _ in range(5)]
    assert len(set(first)) > 1
    assert all(0 <= d <= 2.0 for d in first)


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match="max_retries"):
        ae.RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="initial_delay"):
        ae.RetryPolicy(initial_delay=float("nan"))
    with pytest.raises(ValueError, match="Jitter"):
        ae.RetryPolicy(jitter="sometimes")
    with pytest.raises(TypeError, match="CanonicalError"):
        ae.RetryPolicy().decide("boom", attempt=1)  # type: ignore[arg-type]


# -- server delays ----------------------------------------------------------------------------


def test_server_delay_is_never_shortened_by_jitter():
    error = err(503, retry_after="3")
    for u in (0.0, 0.5, 0.999):
        d = ae.RetryPolicy(initial_delay=10, max_delay=10, jitter="full", random=lambda u=u: u)
        decision = d.decide(error, attempt=1)
        assert decision.retry
        assert decision.delay >= 3.0


def test_server_delay_wins_over_a_shorter_backoff():
    decision = fixed(0.5).decide(err(429, retry_after="7"), attempt=1)
    assert (decision.retry, decision.delay, decision.reason) == (True, 7.0, "server_delay")
    assert decision.retry_after == 7.0


def test_longer_backoff_wins_over_a_short_server_delay():
    policy = ae.RetryPolicy(initial_delay=4, jitter="none")
    decision = policy.decide(err(503, retry_after="1"), attempt=1)
    assert (decision.delay, decision.reason) == (4.0, "backoff")


def test_retry_after_ms_header():
    decision = fixed(0.0).decide(err(429, retry_after_ms="1500"), attempt=1)
    assert (decision.delay, decision.reason) == (1.5, "server_delay")


def test_http_date_retry_after():
    decision = fixed(0.0).decide(err(503, retry_after=formatdate(NOW + 12, usegmt=True)), attempt=1)
    assert decision.delay == pytest.approx(12.0)
    assert decision.reason == "server_delay"


def test_past_http_date_means_no_wait_from_the_server():
    error = err(503, retry_after=formatdate(NOW - 3600, usegmt=True))
    assert error.retry_after == 0.0
    policy = ae.RetryPolicy(initial_delay=0.5, jitter="none")
    decision = policy.decide(error, attempt=1)
    assert (decision.retry, decision.delay, decision.reason) == (True, 0.5, "backoff")


def test_epoch_reset_header_on_a_rate_limit():
    error = err(429, x_ratelimit_reset=str(int(NOW + 20)))
    decision = fixed(0.0).decide(error, attempt=1)
    assert decision.delay == pytest.approx(20.0)
    assert decision.reason == "server_delay"


def test_absurd_server_delay_means_no_retry_now_and_keeps_retry_after():
    error = err(429, retry_after="86400")
    decision = ae.RetryPolicy().decide(error, attempt=1)
    assert (decision.retry, decision.delay, decision.reason) == (
        False,
        0.0,
        "server_delay_too_long",
    )
    assert decision.retry_after == 86400.0
    assert error.retry_after == 86400.0
    assert "86400s" in decision.describe()


def test_unusable_hints_fall_back_to_backoff():
    for value in ("soon", "-5", "nan", "inf", "1e400"):
        error = err(503, retry_after=value)
        decision = fixed(0.5).decide(error, attempt=1)
        assert decision.retry, value
        assert decision.reason == "backoff" or error.retry_after is not None


def test_no_ceiling_allows_any_server_delay():
    decision = ae.RetryPolicy(max_server_delay=None).decide(err(429, retry_after="7200"), attempt=1)
    assert (decision.retry, decision.delay) == (True, 7200.0)


def test_throttle_default_applies_to_a_rate_limit_without_a_hint():
    policy = ae.RetryPolicy.for_provider("agentgate")
    decision = policy.decide(err(429), attempt=1)
    assert (decision.delay, decision.reason) == (60.0, "server_delay")


# -- deadline ---------------------------------------------------------------------------------


def test_no_sleep_that_ends_past_the_deadline():
    policy = ae.RetryPolicy(deadline=10, initial_delay=2, jitter="none")
    assert policy.decide(err(503), attempt=1, elapsed=7.9).retry
    late = policy.decide(err(503), attempt=1, elapsed=8.1)
    assert (late.retry, late.reason) == (False, "deadline")
    server = policy.decide(err(503, retry_after="5"), attempt=1, elapsed=6)
    assert (server.retry, server.reason) == (False, "deadline")


# -- methods and idempotency ----------------------------------------------------------------------


def test_post_without_key_is_not_retried_after_a_server_error():
    decision = fixed(0).decide(err(500), attempt=1, method="POST")
    assert (decision.retry, decision.reason) == (False, "unsafe_method")


def test_post_with_key_is_retried():
    assert fixed(0).decide(err(500), attempt=1, method="post", idempotency_key="k").retry


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods_are_retried(method):
    assert fixed(0).decide(err(502), attempt=1, method=method).retry


def test_rate_limit_is_safe_for_any_method():
    assert fixed(0).decide(err(429), attempt=1, method="POST").retry


def test_connect_failure_is_safe_for_any_method_but_a_read_timeout_is_not():
    request = httpx.Request("POST", "https://example.com/x")
    connect = ae.error_from_exception(httpx.ConnectError("refused", request=request))
    read = ae.error_from_exception(httpx.ReadTimeout("slow", request=request))
    policy = fixed(0)
    assert policy.decide(connect, attempt=1, method="POST").retry
    decision = policy.decide(read, attempt=1, method="POST")
    assert (decision.retry, decision.reason) == (False, "unsafe_method")
    assert policy.decide(read, attempt=1, method="GET").retry
    assert policy.decide(read, attempt=1, method="POST", idempotency_key="k").retry


# -- the server's verdict, kinds, attempts ---------------------------------------------------------


def test_x_should_retry_false_wins():
    decision = fixed(0).decide(err(503, x_should_retry="false"), attempt=1)
    assert (decision.retry, decision.reason) == (False, "server_says_no")


def test_x_should_retry_true_overrides_a_non_retryable_kind():
    assert not fixed(0).decide(err(400), attempt=1).retry
    decision = fixed(0).decide(err(400, x_should_retry="true"), attempt=1)
    assert decision.retry
    assert not fixed(0).decide(err(400, x_should_retry="true"), attempt=4).retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_retried(status):
    decision = fixed(0).decide(err(status), attempt=1)
    assert (decision.retry, decision.reason) == (False, "not_retryable")


def test_a_providers_non_retryable_code_wins_over_its_kind():
    run_timeout = canonical("timeout", retryable=False)
    assert fixed(0).decide(run_timeout, attempt=1).reason == "not_retryable"


def test_max_retries():
    policy = ae.RetryPolicy(max_retries=2, random=lambda: 0.0)
    assert [policy.decide(err(500), attempt=n).retry for n in (1, 2, 3)] == [True, True, False]
    assert policy.decide(err(500), attempt=3).reason == "max_retries"


def test_retry_on_limits_kinds():
    policy = ae.RetryPolicy(retry_on={"network"}, random=lambda: 0.0)
    assert policy.decide(err(500), attempt=1).reason == "not_retryable"


def test_stream_established_is_never_re_sent():
    decision = fixed(0).decide(err(503), attempt=1, stream_established=True)
    assert (decision.retry, decision.reason) == (False, "stream_established")


def test_every_reason_is_documented():
    produced = {
        fixed(0).decide(err(503), attempt=1).reason,
        fixed(0).decide(err(429, retry_after="9"), attempt=1).reason,
        fixed(0).decide(err(503, x_should_retry="false"), attempt=1).reason,
        fixed(0).decide(err(400), attempt=1).reason,
        fixed(0).decide(err(500), attempt=9).reason,
        fixed(0).decide(err(500), attempt=1, method="POST").reason,
    }
    assert produced <= set(RETRY_REASONS)
    assert len(produced) == 6


# -- budget -----------------------------------------------------------------------------------


def spend(
    policy: ae.RetryPolicy, error: ae.CanonicalError, store: ae.MemoryStore, scope: str = "default"
) -> bool:
    """A retry as the flows take it: the pure decision, then the budget."""
    assert policy.budget is not None
    decision = policy.decide(error, attempt=1)
    return decision.retry and policy.budget.withdraw(store, error, scope=scope)


def test_budget_stops_a_retry_storm_and_throttling_is_cheaper():
    store = ae.MemoryStore(clock=lambda: 0.0)
    budget = ae.RetryBudget(capacity=2, failure_cost=1, throttle_cost=0.25, refund=0.5)
    policy = ae.RetryPolicy(budget=budget, random=lambda: 0.0)
    results = [spend(policy, err(500), store) for _ in range(3)]
    assert results == [True, True, False]
    store.deposit("default", 0.5, capacity=2)
    assert spend(policy, err(429), store)  # 0.25 of the 0.5
    assert spend(policy, err(429), store)
    assert not spend(policy, err(429), store)
    assert budget.cost(err(429)) < budget.cost(err(503))


def test_budget_is_per_scope():
    store = ae.MemoryStore()
    policy = ae.RetryPolicy(budget=ae.RetryBudget(capacity=1), random=lambda: 0.0)
    assert spend(policy, err(500), store, "a")
    assert not spend(policy, err(500), store, "a")
    assert spend(policy, err(500), store, "b")


@pytest.mark.anyio
async def test_budget_async_withdraw_shares_the_bucket():
    store = ae.MemoryStore()
    budget = ae.RetryBudget(capacity=1)
    assert await budget.awithdraw(store, err(500), scope="a")
    assert not budget.withdraw(store, err(500), scope="a")


def test_decide_never_reads_a_store():
    with pytest.raises(TypeError, match="store"):
        ae.RetryPolicy().decide(err(500), attempt=1, store=ae.MemoryStore())  # type: ignore[call-arg]


# -- testing mode -------------------------------------------------------------------------------


def test_decide_is_pure_in_testing_mode():
    # Testing mode belongs to the flows (transports, bridges): decide answers as in production.
    policy = ae.RetryPolicy(max_retries=5, initial_delay=3, jitter="none")
    outside = [policy.decide(err(503, retry_after="4"), attempt=n) for n in (1, 2, 6)]
    with ae.set_testing(True, attempts=2):
        assert ae.is_testing()
        inside = [policy.decide(err(503, retry_after="4"), attempt=n) for n in (1, 2, 6)]
    assert inside == outside
    assert [(d.retry, d.delay, d.reason) for d in inside] == [
        (True, 4.0, "server_delay"),
        (True, 6.0, "backoff"),
        (False, 0.0, "max_retries"),
    ]
    assert not ae.is_testing()


def test_testing_mode_without_cap_and_nesting():
    with ae.set_testing(True):
        with ae.set_testing(False):
            assert not ae.is_testing()
        assert ae.is_testing()
    assert not ae.is_testing()
    with pytest.raises(ValueError, match="attempts"):
        ae.set_testing(True, attempts=0)


# -- provider profiles ----------------------------------------------------------------------------

QODER_501 = (
    b'{"type":"error","error":{"type":"feature_not_available","feature":"managed-agents",'
    b'"available_from":"managed-agents-2026-04-01"}}'
)
QODER_409 = (
    b'{"type":"error","error":{"type":"conflict_error","message":"A request with this idempotency'
    b' key has already been processed with different parameters."}}'
)


def test_qoder_schedule_is_1_2_4_then_stop():
    policy = ae.RetryPolicy.for_provider("qoder")
    gateway = err(503, provider="qoder")
    decisions = [policy.decide(gateway, attempt=n) for n in (1, 2, 3, 4)]
    assert [(d.retry, d.delay) for d in decisions] == [
        (True, 1.0),
        (True, 2.0),
        (True, 4.0),
        (False, 0.0),
    ]


def test_qoder_409_is_never_retried_even_if_the_server_says_so():
    policy = ae.RetryPolicy.for_provider("qoder")
    decision = policy.decide(
        err(409, QODER_409, provider="qoder", x_should_retry="true"), attempt=1
    )
    assert (decision.retry, decision.reason) == (False, "never_retried")


def test_qoder_501_names_the_beta_header():
    decision = ae.RetryPolicy.for_provider("qoder").decide(
        err(501, QODER_501, provider="qoder"), attempt=1
    )
    assert (decision.retry, decision.reason) == (False, "feature_not_available")
    assert decision.fix_headers == {"x-qoder-beta": "managed-agents-2026-04-01"}
    assert "x-qoder-beta: managed-agents-2026-04-01" in decision.describe()


def test_qoder_writes_need_a_key_except_for_gateway_rejections():
    policy = ae.RetryPolicy.for_provider("qoder")
    app_500 = err(
        500, b'{"type":"error","error":{"type":"api_error","message":"boom"}}', provider="qoder"
    )
    assert policy.decide(app_500, attempt=1, method="POST").reason == "unsafe_method"
    assert policy.decide(app_500, attempt=1, method="PUT").reason == "unsafe_method"
    assert policy.decide(app_500, attempt=1, method="POST", idempotency_key="k").retry
    # The gateway's bodiless 429/503 were rejected before the application saw them.
    assert policy.decide(err(503, provider="qoder"), attempt=1, method="POST").retry
    assert policy.decide(err(429, provider="qoder"), attempt=1, method="POST").retry


def test_qoder_retries_no_4xx_but_429():
    policy = ae.RetryPolicy.for_provider("qoder")
    assert policy.decide(err(408, provider="qoder"), attempt=1).reason == "not_retryable"
    assert policy.decide(err(429, provider="qoder"), attempt=1).retry


def test_qoder_stream_paths():
    policy = ae.RetryPolicy.for_provider("qoder")
    assert policy.is_stream("/api/v1/cloud/sessions/s_1/events/stream")
    assert policy.is_stream("/api/v1/cloud/sessions/s_1/threads/t_2/stream/")
    assert not policy.is_stream("/api/v1/cloud/sessions/s_1/events")
    assert not policy.is_stream("/stream")


def test_onecli_retries_500_and_the_infrastructure_in_front_of_it_but_no_4xx():
    policy = ae.RetryPolicy.for_provider("onecli")
    assert policy.decide(err(500), attempt=1).retry
    # Undocumented by OneCLI: a proxy's 503 or 429 is transient like anywhere else.
    assert policy.decide(err(503), attempt=1).retry
    assert policy.decide(err(429), attempt=1).retry
    for status in (400, 401, 403, 404, 409):
        assert policy.decide(err(status), attempt=1).reason == "not_retryable"


def test_agentgate_three_attempts_in_all():
    policy = ae.RetryPolicy.for_provider("agentgate")
    assert policy.decide(err(500), attempt=2).retry
    assert policy.decide(err(500), attempt=3).reason == "max_retries"
    assert policy.decide(err(429, retry_after="60"), attempt=1).delay == 60.0


def test_agents_sdk_honours_its_60_second_retry_after():
    policy = ae.RetryPolicy.for_provider("agents_sdk")
    body = (
        b'{"error":{"code":"rate_limit_exceeded","message":"slow down",'
        b'"status":429,"retryAfter":60}}'
    )
    decision = policy.decide(err(429, body), attempt=1)
    assert (decision.retry, decision.delay) == (True, 60.0)


def test_unknown_provider_gets_the_default():
    assert ae.RetryPolicy.for_provider("nobody") == ae.RetryPolicy()
    assert ae.RetryPolicy.for_provider(None) == ae.RetryPolicy()
    assert ae.RetryPolicy.for_provider("qoder") != ae.RetryPolicy()


def test_decision_is_a_frozen_value_and_describes_itself():
    decision = fixed(0.5).decide(err(503, x_request_id="req_1"), attempt=1)
    assert decision.request_id == "req_1"
    assert decision.describe().startswith("retry in 0.25s (backoff")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.retry = False  # type: ignore[misc]


def test_many_attempts_never_raise():
    policy = ae.RetryPolicy(max_retries=10**6, multiplier=1e300, random=lambda: 0.9)
    for attempt in itertools.islice(itertools.count(1, 97), 50):
        decision = policy.decide(err(503), attempt=attempt)
        assert 0 <= decision.delay <= policy.max_delay


def test_decision_as_dict_is_json_ready():
    decision = ae.RetryPolicy.for_provider("qoder").decide(
        err(501, QODER_501, provider="qoder"), attempt=1
    )
    data = json.loads(json.dumps(decision.as_dict()))
    assert data["reason"] == "feature_not_available"
    assert data["kind"] == "feature_not_available"
    assert data["fix_headers"] == {"x-qoder-beta": "managed-agents-2026-04-01"}
    assert data["retry"] is False


def test_value_conversions():
    assert str(ae.Jitter.EQUAL) == "equal"
    decision = ae.Decision(True, 1.0, "backoff", 1, ae.Kind.INTERNAL, fix_headers={"a": "b"})
    assert dict(decision.fix_headers) == {"a": "b"}
    assert decision.refuse("deadline").as_dict()["reason"] == "deadline"
    policy = ae.RetryPolicy(idempotent_methods=["get"], retry_on=["internal"], stream_paths=["a"])
    assert policy.idempotent_methods == {"GET"}
    assert policy.retry_on == {ae.Kind.INTERNAL}
