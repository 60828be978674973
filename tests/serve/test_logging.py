"""Log records: a stable event name and structured, escaped `extra` fields on every record.

Real records through caplog; then the same records through structlog's `ProcessorFormatter`
and a stdlib JSON formatter, as `docs/logging.md` shows, so JSON loggers get fields, not prose.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import structlog

import agent_errors as ae
from agent_errors._parsing import _registry as registry

RETRY_FIELDS = {
    "event",
    "method",
    "host",
    "path",
    "attempt",
    "delay",
    "reason",
    "kind",
    "provider",
    "request_id",
}


def _answers(*statuses: int, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    queue = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(queue.pop(0), headers=headers or {}, json={"ok": False})

    return httpx.MockTransport(handler)


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("agent_errors")]


def test_retry_records_have_an_event_and_fields(caplog: pytest.LogCaptureFixture) -> None:
    transport = ae.RetryTransport(
        _answers(503, 503, 200, headers={"x-request-id": "req_7"}),
        provider="qoder",
        sleep=lambda seconds: None,
    )
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        transport.handle_request(httpx.Request("GET", "https://api.example/v1/runs%0D%0Ax?key=s"))
    records = _records(caplog)
    assert len(records) == 2
    for attempt, record in enumerate(records, start=1):
        fields = {name: getattr(record, name) for name in RETRY_FIELDS}
        assert fields == {
            "event": "agent_errors.retry",
            "method": "GET",
            "host": "api.example",
            "path": "/v1/runs%0D%0Ax",  # as sent, percent-encoded: never a raw line break
            "attempt": attempt,
            "delay": float(2 ** (attempt - 1)),
            "reason": "backoff",
            "kind": "unavailable",
            "provider": "qoder",
            "request_id": "req_7",
        }
        # The human message stays readable, and leaves out the query string.
        assert record.getMessage() == (
            f"retrying GET https://api.example/v1/runs%0D%0Ax in {2 ** (attempt - 1)}.00s"
            f" after attempt {attempt} (unavailable, backoff)"
        )


def test_a_give_up_record_has_its_own_event(caplog: pytest.LogCaptureFixture) -> None:
    transport = ae.RetryTransport(_answers(400), sleep=lambda seconds: None)
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        transport.handle_request(httpx.Request("POST", "http://127.0.0.1:8080/a b"))
    (record,) = _records(caplog)
    assert record.event == "agent_errors.give_up"  # type: ignore[attr-defined]
    assert (record.method, record.host, record.path) == ("POST", "127.0.0.1", "/a%20b")  # type: ignore[attr-defined]
    assert (record.reason, record.kind, record.provider) == (  # type: ignore[attr-defined]
        "not_retryable",
        "invalid_request",
        None,
    )
    assert record.getMessage().startswith("not retrying POST http://127.0.0.1:8080/a%20b")


def test_no_record_is_made_when_info_is_off(caplog: pytest.LogCaptureFixture) -> None:
    transport = ae.RetryTransport(_answers(503, 200), sleep=lambda seconds: None)
    with caplog.at_level(logging.WARNING, logger="agent_errors"):
        transport.handle_request(httpx.Request("GET", "https://x.io/"))
    assert _records(caplog) == []


# --- the middleware ------------------------------------------------------------------------------


def _call(app: Any, path: str = "/v1/a\r\nb") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def _failing(status: int = 500, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if status == 0:
            raise RuntimeError("boom\r\nFORGED")
        start = {"type": "http.response.start", "status": status, "headers": headers or []}
        await send(start)
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def _only(caplog: pytest.LogCaptureFixture, event: str) -> logging.LogRecord:
    found = [r for r in _records(caplog) if getattr(r, "event", None) == event]
    assert len(found) == 1, [getattr(r, "event", None) for r in _records(caplog)]
    record = found[0]
    assert (record.method, record.path) == ("GET", "/v1/a\\x0d\\x0ab")  # type: ignore[attr-defined]
    assert "\r" not in record.getMessage()
    assert "\n" not in record.getMessage()
    return record


def test_middleware_records(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="agent_errors"):
        _call(ae.ErrorMiddleware(_failing(0)))
        _call(
            ae.ErrorMiddleware(
                _failing(502, [(b"x-upstream", b"nobody\x1b[2J")]), provider_header="x-upstream"
            )
        )

        def broken_hook(error: Any, scope: Any, exc: Any) -> None:
            raise ValueError("hook")

        _call(ae.ErrorMiddleware(_failing(503), on_error=broken_hook))
        _call(ae.ErrorMiddleware(_failing(404), render_as=lambda scope: "nobody"))
    app_error = _only(caplog, "agent_errors.middleware.app_error")
    assert (app_error.levelno, app_error.kind) == (logging.ERROR, "internal")  # type: ignore[attr-defined]
    unknown = _only(caplog, "agent_errors.middleware.unknown_provider")
    assert unknown.provider == "nobody\\x1b[2J"  # type: ignore[attr-defined]
    assert unknown.levelno == logging.WARNING
    hook = _only(caplog, "agent_errors.middleware.on_error_failed")
    assert hook.kind == "unavailable"  # type: ignore[attr-defined]
    render_failed = _only(caplog, "agent_errors.middleware.render_failed")
    assert render_failed.kind == "not_found"  # type: ignore[attr-defined]


def test_an_adapter_failure_record(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        name = "broken"
        hosts = ()
        codes: ClassVar[dict[str, object]] = {}

        def sniff(self, view: object) -> float:
            return 0.0

        def parse(self, view: object) -> None:
            raise RuntimeError("parser bug")

        def render(self, error: object) -> object:
            raise NotImplementedError

    registry.register_adapter(Broken(), replace=True)  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.INFO, logger="agent_errors"):
            error = ae.normalize_parts(503, {}, b"{}", provider="broken")
    finally:
        registry.reload()
    assert error is not None
    (record,) = [r for r in _records(caplog) if getattr(r, "event", None)]
    assert (record.event, record.provider, record.status) == (  # type: ignore[attr-defined]
        "agent_errors.adapter_failed",
        "broken",
        503,
    )


# --- structlog and a JSON formatter get fields ---------------------------------------------


@pytest.fixture
def handler_on_agent_errors() -> Iterator[tuple[logging.Handler, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("agent_errors")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler, stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_structlog_gets_fields(
    handler_on_agent_errors: tuple[logging.Handler, io.StringIO],
) -> None:
    handler, stream = handler_on_agent_errors
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    transport = ae.RetryTransport(_answers(429, 200), sleep=lambda seconds: None)
    transport.handle_request(httpx.Request("GET", "https://api.example/v1/%1B%5B2J"))
    (line,) = stream.getvalue().splitlines()
    doc = json.loads(line)
    assert doc["event"] == "agent_errors.retry"
    assert (doc["level"], doc["kind"], doc["reason"], doc["attempt"]) == (
        "info",
        "rate_limited",
        "backoff",
        1,
    )
    assert doc["path"] == "/v1/%1B%5B2J"


class _JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        standard = logging.makeLogRecord({}).__dict__.keys()
        fields = {k: v for k, v in record.__dict__.items() if k not in standard}
        return json.dumps({"message": record.getMessage(), **fields})


def test_a_stdlib_json_formatter_gets_fields(
    handler_on_agent_errors: tuple[logging.Handler, io.StringIO],
) -> None:
    handler, stream = handler_on_agent_errors
    handler.setFormatter(_JSONFormatter())
    transport = ae.RetryTransport(_answers(500), sleep=lambda seconds: None)
    transport.handle_request(httpx.Request("POST", "https://api.example/v1/runs"))
    (line,) = stream.getvalue().splitlines()
    doc = json.loads(line)
    assert set(doc) == {"message", *RETRY_FIELDS}
    assert (doc["event"], doc["reason"], doc["method"]) == (
        "agent_errors.give_up",
        "unsafe_method",
        "POST",
    )


def test_the_async_transport_makes_the_same_records(caplog: pytest.LogCaptureFixture) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    transport = ae.AsyncRetryTransport(_answers(502, 200), sleep=no_sleep)

    async def go() -> None:
        await transport.handle_async_request(httpx.Request("GET", "https://x.io/a%1Bb"))

    with caplog.at_level(logging.INFO, logger="agent_errors"):
        asyncio.run(go())
    (record,) = _records(caplog)
    assert (record.event, record.path, record.kind) == (  # type: ignore[attr-defined]
        "agent_errors.retry",
        "/a%1Bb",
        "unavailable",
    )
