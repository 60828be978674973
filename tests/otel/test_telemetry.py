"""OpenTelemetry span events and metrics, read back through the SDK's in-memory exporters."""

from __future__ import annotations

import httpx

import agent_errors as ae
from _asgi import serve
from agent_errors._serving import _telemetry
from bridges._scripted import scripted

from .conftest import counts


def _error(status: int, headers: dict[str, str] | None = None) -> ae.CanonicalError:
    error = ae.normalize(httpx.Response(status, headers=headers, json={"error": {"message": "x"}}))
    assert error is not None
    return error


def test_enabled_with_the_api_installed() -> None:
    assert _telemetry.ENABLED


def test_an_error_is_an_event_on_the_current_span_and_a_count(spans) -> None:
    tracer, exporter = spans
    before = counts("agent_errors.errors")
    error = _error(429, {"retry-after": "7", "x-request-id": "req_9"})
    with tracer.start_as_current_span("call"):
        _telemetry.record_error(error)
    (span,) = exporter.get_finished_spans()
    (event,) = span.events
    assert event.name == "agent_errors.error"
    assert event.attributes["error.type"] == "rate_limited"
    assert event.attributes["agent_errors.retry_after"] == 7.0
    assert event.attributes["agent_errors.request_id"] == "req_9"
    key = (
        ("agent_errors.provider", error.provider),
        ("error.type", "rate_limited"),
        ("http.response.status_code", 429),
    )
    assert counts("agent_errors.errors").get(key, 0) == before.get(key, 0) + 1


def test_a_decision_is_an_event_and_counted_by_reason(spans) -> None:
    tracer, exporter = spans
    policy = ae.RetryPolicy(jitter=ae.Jitter.NONE)
    retry = policy.decide(_error(503), attempt=1)
    give_up = policy.decide(_error(400), attempt=1)
    before = counts("agent_errors.retry.decisions")
    with tracer.start_as_current_span("call"):
        _telemetry.record_decision(retry)
        _telemetry.record_decision(give_up)
    (span,) = exporter.get_finished_spans()
    assert [e.name for e in span.events] == ["agent_errors.retry_decision"] * 2
    assert dict(span.events[0].attributes) == {
        "agent_errors.retry": True,
        "agent_errors.reason": "backoff",
        "agent_errors.attempt": 1,
        "agent_errors.delay": retry.delay,
        "error.type": "unavailable",
    }
    after = counts("agent_errors.retry.decisions")
    for key in (
        (("agent_errors.reason", "backoff"), ("agent_errors.retry", True)),
        (("agent_errors.reason", "not_retryable"), ("agent_errors.retry", False)),
    ):
        assert after[key] == before.get(key, 0) + 1


def test_cooldowns_are_counted_by_action() -> None:
    before = counts("agent_errors.cooldowns")
    _telemetry.record_cooldown("set", "qoder")
    _telemetry.record_cooldown("refused", "qoder")
    _telemetry.record_cooldown("refused", "qoder")
    after = counts("agent_errors.cooldowns")
    key = (("agent_errors.cooldown.action", "refused"), ("agent_errors.provider", "qoder"))
    assert after[key] == before.get(key, 0) + 2


def test_no_span_no_event_but_still_counted() -> None:
    before = sum(counts("agent_errors.errors").values())
    _telemetry.record_error(_error(500))
    assert sum(counts("agent_errors.errors").values()) == before + 1


def test_the_transport_reports_each_error_decision_and_cooldown(spans) -> None:
    tracer, exporter = spans
    script = [
        (429, {"retry-after": "1"}, {"error": {"message": "slow down", "type": "rate_limit"}}),
        (200, {}, {"ok": True}),
    ]
    before = counts("agent_errors.cooldowns")
    with ae.set_testing(True), scripted(script) as server:
        transport = ae.RetryTransport(policy=ae.RetryPolicy(jitter=ae.Jitter.NONE))
        with httpx.Client(transport=transport) as client, tracer.start_as_current_span("call"):
            assert client.get(server.url).status_code == 200
    (span,) = exporter.get_finished_spans()
    names = [event.name for event in span.events]
    assert names == ["agent_errors.error", "agent_errors.retry_decision"]
    assert span.events[1].attributes["agent_errors.reason"] == "server_delay"
    key = (("agent_errors.cooldown.action", "set"), ("agent_errors.provider", "generic"))
    assert counts("agent_errors.cooldowns").get(key, 0) == before.get(key, 0) + 1


def test_the_middleware_counts_the_errors_it_answers() -> None:
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    before = counts("agent_errors.errors")
    with serve(ae.ErrorMiddleware(app)) as url:
        assert httpx.get(url).status_code == 503
    after = counts("agent_errors.errors")
    assert sum(after.values()) == sum(before.values()) + 1
