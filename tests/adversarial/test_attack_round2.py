"""Round two of the attack on the hardening: the inputs and surfaces added with it.

Each test is a break found by attacking the merged code as a user of the installed package would,
with its figure (seconds against the deadline, bytes, counts); it failed before its fix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import aiohttp
import pytest
import requests
from _servers import Drip, Fixed, LoopbackServer

import agent_errors as ae

DEADLINE = 0.5
MARGIN = 0.5  # scheduling slack on a shared, noisy machine
BODY = b'{"error": {"type": "server_error", "message": "dripping"}}' + b" " * 200
DRIP = 0.05  # seconds per byte: the whole body takes about 13 s


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


# --- deadlines: requests and aiohttp bodies had none (the whole drip, 13 s, was read) ---


def test_normalize_of_a_dripping_requests_500_returns_within_the_deadline(server):
    url = server.route("/drip/requests", Drip(500, BODY, interval=DRIP))
    with requests.get(url, stream=True, timeout=5) as response:
        start = time.monotonic()
        error = ae.normalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.kind is ae.Kind.INTERNAL
    assert error.details.get("body_truncated") is True
    assert elapsed < DEADLINE + MARGIN  # before the fix: 11-13 s
    assert server.sent("/drip/requests") < len(BODY)


def test_a_requests_http_error_is_read_within_the_deadline_too(server):
    url = server.route("/drip/requests-error", Drip(500, BODY, interval=DRIP))
    with requests.get(url, stream=True, timeout=5) as response:
        start = time.monotonic()
        error = ae.normalize(requests.HTTPError(response=response), read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.status == 500
    assert elapsed < DEADLINE + MARGIN


def test_a_requests_read_blocked_in_one_slow_read_ends_at_the_deadline(server):
    # requests has no read timeout by default: one byte every 3 s, and no `timeout=` given.
    url = server.route("/drip/requests-slow", Drip(500, BODY, interval=3.0))
    with requests.Session() as session:
        with session.get(url, stream=True) as response:
            start = time.monotonic()
            error = ae.normalize(response, read_deadline=DEADLINE)
            elapsed = time.monotonic() - start
        assert error is not None
        assert error.status == 500
        assert elapsed < DEADLINE + MARGIN  # before the fix: 3 s (a whole blocking read)
        # The connection's own timeout is left as it was for the next request.
        ok = server.route("/ok", Fixed(200, {"content-type": "application/json"}, b"{}"))
        assert session.get(ok, timeout=5).json() == {}


@pytest.mark.anyio
async def test_anormalize_of_a_dripping_aiohttp_500_returns_within_the_deadline(server):
    url = server.route("/drip/aiohttp", Drip(500, BODY, interval=DRIP))
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.kind is ae.Kind.INTERNAL
    assert error.details.get("body_truncated") is True
    assert elapsed < DEADLINE + MARGIN  # before the fix: 11-13 s


@pytest.mark.anyio
async def test_an_aiohttp_read_blocked_in_one_slow_read_is_cancelled_at_the_deadline(server):
    # One byte every 3 s: the deadline falls inside a single read, which must be cancelled.
    url = server.route("/drip/aiohttp-slow", Drip(500, BODY, interval=3.0))
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        start = time.monotonic()
        error = await ae.anormalize(response, read_deadline=DEADLINE)
        elapsed = time.monotonic() - start
    assert error is not None
    assert error.status == 500
    assert elapsed < DEADLINE + MARGIN


# --- memory: exceptions that hold a huge parsed body were copied whole (2x: 64 MiB for 32) ---

HUGE = "A" * (32 * 2**20)  # a 32 MiB message the exception already holds
LIMIT = 4 * 2**20  # extra bytes allowed: the 64 KiB cap plus a constant, not the message


def _peak(function: object) -> tuple[object, int]:
    import tracemalloc  # noqa: PLC0415

    assert callable(function)
    # Warm up: the adapters and their patterns load on first use, once per process.
    ae.normalize(APIStatusError(_Unread(), {"error": {"message": "warm"}}))
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Unread:
    """An SDK response whose body was never read: the SDK's parsed `body` stands in for it."""

    status_code = 500
    headers: dict[str, str] = {}  # noqa: RUF012

    @property
    def content(self) -> bytes:
        raise RuntimeError("not read")


class APIStatusError(Exception):  # the SDKs' shape, recognised by class name
    def __init__(self, response: object, body: object) -> None:
        super().__init__("error")
        self.response = response
        self.body = body
        self.status_code = 500


def test_an_sdk_error_with_a_huge_parsed_body_costs_the_cap_not_the_body():
    exc = APIStatusError(_Unread(), {"error": {"message": HUGE, "type": "server_error"}})
    error, peak = _peak(lambda: ae.normalize(exc))
    assert isinstance(error, ae.CanonicalError)
    assert error.status == 500
    assert peak < LIMIT  # before the fix: 64 MiB


def test_a_botocore_error_with_a_huge_message_costs_the_cap_not_the_message():
    from botocore.exceptions import ClientError  # noqa: PLC0415

    exc = ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": HUGE},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "req-1"},
        },
        "Converse",
    )
    error, peak = _peak(lambda: ae.normalize(exc))
    assert isinstance(error, ae.CanonicalError)
    assert error.status == 400
    assert error.request_id == "req-1"
    assert peak < LIMIT  # before the fix: 64 MiB


def test_an_aiohttp_response_error_with_a_huge_message_costs_the_cap_not_the_message():
    exc = aiohttp.ClientResponseError(None, (), status=503, message=HUGE)  # type: ignore[arg-type]
    error, peak = _peak(lambda: ae.normalize(exc))
    assert isinstance(error, ae.CanonicalError)
    assert error.status == 503
    assert peak < LIMIT  # before the fix: 64 MiB


def test_small_parsed_bodies_are_written_as_json_dumps_would():
    from agent_errors._parsing._inputs import _dumps  # noqa: PLC0415

    doc = {"error": {"message": "m", "code": 7, "ok": None, "n": [1.5, True], "x": object}}
    assert _dumps(doc, 65536) == __import__("json").dumps(doc, default=str)
    nested: dict[str, object] = {}
    cursor = nested
    for _ in range(100_000):
        cursor["a"] = {}
        cursor = cursor["a"]  # type: ignore[assignment]
    assert _dumps(nested, 65536) is None  # too deep: no body, never a crash
    assert len(_dumps({"m": HUGE}, 65536) or "") <= 65536 + 16


# --- telemetry: the provider of a canonical error document went into metric attributes raw ---


class _Counter:
    def __init__(self) -> None:
        self.attributes: list[dict[str, object]] = []

    def add(self, amount: int, attributes: dict[str, object]) -> None:
        self.attributes.append(dict(attributes))


class _Counters:
    def __init__(self) -> None:
        self.errors = _Counter()
        self.decisions = _Counter()
        self.cooldowns = _Counter()


def test_an_upstream_cannot_grow_metric_attributes_or_put_secrets_in_them(monkeypatch):
    import json  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    from agent_errors._serving import _telemetry  # noqa: PLC0415

    if not _telemetry.ENABLED:
        pytest.skip("needs opentelemetry-api")
    counters = _Counters()
    monkeypatch.setattr(_telemetry, "_instruments", counters)
    secret = "sk-proj-" + "Ab9" * 16

    def upstream(request: httpx.Request) -> httpx.Response:
        tenant = request.url.path.rsplit("/", 1)[-1]
        doc = {"kind": "internal", "message": "x", "retryable": False, "provider": tenant}
        return httpx.Response(500, json={"error": doc})

    transport = ae.RetryTransport(
        httpx.MockTransport(upstream), policy=ae.RetryPolicy(max_retries=0)
    )
    with httpx.Client(transport=transport) as client:
        for index in range(500):
            client.get(f"http://127.0.0.1/v1/{index}")
        client.get(f"http://127.0.0.1/v1/{secret}")
        client.get("http://127.0.0.1/v1/qoder")
    providers = {a["agent_errors.provider"] for a in counters.errors.attributes}
    assert len(counters.errors.attributes) == 502
    assert providers == {"other", "qoder"}  # before the fix: 502 distinct values
    assert secret not in json.dumps(counters.errors.attributes)


# --- SSE: an event's type and id went into `details` raw (secrets kept, no bound on length) ---


def test_an_error_events_type_and_id_are_bounded_and_redacted():
    secret = "sk-proj-" + "Ab9" * 16
    data = '{"error": {"message": "boom", "type": "server_error"}}'
    event = ae.SSEEvent(event="error", data=data, id=secret)
    error = ae.error_from_event(event, status=200)
    assert error is not None
    assert secret not in repr(error)
    assert secret not in ae.render(error, to="canonical").body.decode()
    assert error.details["event_id"].startswith("sk-proj-")  # the prefix stays, as elsewhere

    huge = ae.SSEEvent(event="error", data=data, id="i" * 1_000_000)
    error = ae.error_from_event(huge, status=200)
    assert error is not None
    assert len(repr(error)) < 4096  # before the fix: 1,000,000+ characters


def test_an_error_event_read_from_a_stream_keeps_its_id_redacted():
    secret = "xoxb-" + "1234567890-" * 2 + "Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2"
    stream = f'id: {secret}\nevent: error\ndata: {{"error": {{"message": "boom"}}}}\n\n'
    error = ae.normalize_parts(200, {"content-type": "text/event-stream"}, stream)
    assert error is not None
    assert secret not in repr(error)


# --- the canonical format: the provider named in a body was kept whatever it was ---


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ("qoder", "qoder"),
        ("sk-proj-" + "Ab9" * 16, "sk-proj-[REDACTED]"),  # before the fix: the key, verbatim
        ("p" * 1000, "canonical"),  # before the fix: 1000 characters in every repr and metric
        ("tenant\x1b]0;owned\x07", "canonical"),
    ],
)
def test_the_provider_a_canonical_body_names_is_a_short_redacted_name(named, expected):
    import json  # noqa: PLC0415

    doc = {"kind": "internal", "message": "x", "retryable": True, "provider": named}
    error = ae.normalize_parts(500, {}, json.dumps({"error": doc}))
    assert error is not None
    assert error.provider == expected
