"""Gateways that speak their clients' dialect: the real openai and anthropic SDKs against an
`ErrorMiddleware` gateway under uvicorn, raising their own exception classes.

The gateway's app answers like an upstream agent platform (Qoder's envelope, rendered by
`agent_errors.testing.error_response`); the middleware rewrites each error in the client's dialect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import agent_errors as ae
from _asgi import serve
from agent_errors.testing import error_response

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")


class Upstream:
    """An ASGI app that answers every request with the next scripted upstream response."""

    def __init__(self) -> None:
        self.script: list[httpx.Response] = []
        self.seen = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        response = self.script[min(self.seen, len(self.script) - 1)]
        self.seen += 1
        headers = [
            (name.encode(), value.encode())
            for name, value in response.headers.items()
            if name not in ("content-length", "content-encoding")
        ]
        body = response.content
        headers.append((b"content-length", str(len(body)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(params=["openai", "anthropic"])
def gateway(request: pytest.FixtureRequest) -> Iterator[tuple[str, Upstream, str]]:
    upstream = Upstream()
    app = ae.ErrorMiddleware(upstream, render_as=request.param, provider="qoder")
    with serve(app) as url:
        yield request.param, upstream, url


def _call(dialect: str, url: str, *, max_retries: int = 0) -> Exception:
    """Make one SDK call through the gateway; return what it raised."""
    messages = [{"role": "user", "content": "hi"}]
    try:
        if dialect == "openai":
            with openai.OpenAI(
                api_key="sk-test", base_url=f"{url}/v1", max_retries=max_retries
            ) as client:
                client.chat.completions.create(model="m", messages=messages)
        else:
            with anthropic.Anthropic(
                api_key="sk-ant-test", base_url=url, max_retries=max_retries
            ) as client:
                client.messages.create(model="m", max_tokens=1, messages=messages)
    except Exception as exc:
        return exc
    raise AssertionError("the SDK raised nothing")


# kind, upstream status -> the class each SDK raises for the status the gateway answers
CASES = [
    ("invalid_request", 400, "BadRequestError", "BadRequestError"),
    ("authentication", 401, "AuthenticationError", "AuthenticationError"),
    ("payment_required", 402, "APIStatusError", "PaymentRequiredError"),
    ("permission", 403, "PermissionDeniedError", "PermissionDeniedError"),
    ("not_found", 404, "NotFoundError", "NotFoundError"),
    ("conflict", 409, "ConflictError", "ConflictError"),
    ("rate_limited", 429, "RateLimitError", "RateLimitError"),
    ("internal", 500, "InternalServerError", "InternalServerError"),
    ("unavailable", 503, "InternalServerError", "ServiceUnavailableError"),
    ("timeout", 504, "InternalServerError", "GatewayTimeoutError"),
]


@pytest.mark.parametrize(("kind", "status", "openai_class", "anthropic_class"), CASES)
def test_each_sdk_raises_its_own_class_with_status_wait_and_request_id(
    gateway: tuple[str, Upstream, str],
    kind: str,
    status: int,
    openai_class: str,
    anthropic_class: str,
) -> None:
    dialect, upstream, url = gateway
    upstream.script = [
        error_response("qoder", kind, status=status, retry_after=7, request_id="req_up_1")
    ]
    exc = _call(dialect, url)
    sdk = openai if dialect == "openai" else anthropic
    expected = getattr(sdk, openai_class if dialect == "openai" else anthropic_class)
    assert type(exc) is expected, (type(exc), expected)
    assert exc.status_code == status
    assert exc.request_id == "req_up_1"
    assert exc.response.headers["retry-after"] == "7"
    # What the SDK parsed back is what the gateway meant, read by agent-errors itself too.
    error = ae.normalize(exc.response)
    assert error is not None
    # Anthropic documents no conflict type: its envelope says invalid_request_error, which the
    # typed-envelope reader takes at its word (the status is the SDK's to read).
    read_back = "invalid_request" if (dialect, kind) == ("anthropic", "conflict") else kind
    assert error.kind.value == read_back
    assert error.request_id == "req_up_1"
    assert error.retry_after == 7.0


def test_the_sdks_retry_as_the_error_says(gateway: tuple[str, Upstream, str]) -> None:
    dialect, upstream, url = gateway
    # Not retryable: x-should-retry: false stops the SDK's own retry loop at once.
    upstream.script = [error_response("qoder", "invalid_request", status=400)]
    _call(dialect, url, max_retries=2)
    assert upstream.seen == 1
    # Retryable, with the server's (short) wait in retry-after-ms: retried, then succeeds no
    # further here (the script repeats), so every attempt reaches the upstream.
    upstream.seen = 0
    upstream.script = [error_response("qoder", "unavailable", status=503, retry_after=0.01)]
    exc = _call(dialect, url, max_retries=2)
    assert exc.status_code == 503
    assert upstream.seen == 3


def test_overloaded_without_a_status_is_anthropics_529() -> None:
    error = ae.CanonicalError(kind=ae.Kind.UNAVAILABLE, message="busy")
    assert ae.render(error, to="anthropic").status == 529
    assert ae.render(error, to="openai").status == 503
    rendered = ae.render(ae.CanonicalError(kind=ae.Kind.NETWORK, message="down"), to="openai")
    assert rendered.status == 502


@pytest.mark.parametrize(
    ("exc", "status", "kind", "client_kind"),
    [
        (httpx.ConnectError("refused"), 502, "network", "unavailable"),
        (httpx.ReadTimeout("slow"), 504, "timeout", "timeout"),
        (httpx.RemoteProtocolError("reset"), 502, "network", "unavailable"),
    ],
)
def test_an_upstream_transport_failure_is_a_502_or_504(
    exc: Exception, status: int, kind: str, client_kind: str
) -> None:
    # The gateway's client did get a response: a 502 is, to it, an unavailable upstream.
    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise exc

    with serve(ae.ErrorMiddleware(proxy, render_as="openai")) as url:
        response = httpx.get(url)
    assert response.status_code == status
    error = ae.normalize(response)
    assert error is not None
    assert error.kind.value == client_kind
    with serve(ae.ErrorMiddleware(proxy)) as url:
        response = httpx.get(url)
    assert response.status_code == status
    assert response.json()["kind"] == kind
