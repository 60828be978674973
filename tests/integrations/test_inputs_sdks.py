"""normalize() and error_from_exception() on the openai and anthropic SDKs' own exceptions.

The real SDKs do the HTTP, against a loopback server, with their retries off.
"""

from __future__ import annotations

import json

import anthropic
import httpx2  # the SDKs' HTTP client, installed with them
import openai
import pytest

import agent_errors as ae
from agent_errors import Kind

OPENAI_BODY = json.dumps(
    {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
).encode()
ANTHROPIC_BODY = json.dumps(
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
).encode()


def _openai(url: str, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=url + "/v1", max_retries=0, **kwargs)  # type: ignore[arg-type]


def _anthropic(url: str, **kwargs: object) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=url, max_retries=0, **kwargs)  # type: ignore[arg-type]


def test_openai_rate_limit_keeps_retry_after_and_request_id(loopback):
    headers = [
        ("content-type", "application/json"),
        ("retry-after", "7"),
        ("x-request-id", "req_o1"),
    ]
    loopback.route("/v1/chat/completions", 429, headers, OPENAI_BODY)
    with _openai(loopback.url) as client, pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    error = ae.normalize(caught.value)
    assert error is not None
    assert (error.kind, error.status, error.retry_after) == (Kind.RATE_LIMITED, 429, 7.0)
    assert error.request_id == "req_o1"
    assert error.code == "rate_limit_exceeded"


@pytest.mark.anyio
async def test_async_openai_and_anormalize(loopback):
    headers = [
        ("content-type", "application/json"),
        ("retry-after", "3"),
        ("x-request-id", "req_o2"),
    ]
    loopback.route("/v1/chat/completions", 503, headers, OPENAI_BODY)
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=loopback.url + "/v1", max_retries=0)
    async with client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
    error = await ae.anormalize(caught.value)
    assert error is not None
    assert (error.status, error.retry_after, error.request_id) == (503, 3.0, "req_o2")


def test_anthropic_overloaded_keeps_retry_after_and_request_id(loopback):
    headers = [
        ("content-type", "application/json"),
        ("retry-after", "11"),
        ("request-id", "req_a9"),
    ]
    loopback.route("/v1/messages", 529, headers, ANTHROPIC_BODY)
    with _anthropic(loopback.url) as client, pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(
            model="m", max_tokens=1, messages=[{"role": "user", "content": "hi"}]
        )
    error = ae.normalize(caught.value)
    assert error is not None
    assert (error.kind, error.status, error.retry_after) == (Kind.UNAVAILABLE, 529, 11.0)
    assert error.request_id == "req_a9"


def test_sdk_connection_errors_say_the_request_was_not_sent(closed_port):
    url = f"http://127.0.0.1:{closed_port}"
    with _openai(url) as client, pytest.raises(openai.APIConnectionError) as caught:
        client.models.list()
    error = ae.error_from_exception(caught.value, provider="openai")
    assert (error.kind, error.details["request_sent"], error.retryable) == (
        Kind.NETWORK,
        False,
        True,
    )
    assert error.details["exception"] == "APIConnectionError"
    with _anthropic(url) as client, pytest.raises(anthropic.APIConnectionError) as caught_a:
        client.models.list()
    error = ae.error_from_exception(caught_a.value)
    assert (error.kind, error.details["request_sent"]) == (Kind.NETWORK, False)


def test_sdk_read_timeouts_are_timeouts_that_may_have_been_sent(loopback):
    loopback.route("/v1/models", 200, [], b"{}", delay=1.0)
    with (
        _openai(loopback.url, timeout=0.2) as client,
        pytest.raises(openai.APITimeoutError) as caught,
    ):
        client.models.list()
    error = ae.error_from_exception(caught.value)
    assert (error.kind, error.details["request_sent"], error.retryable) == (
        Kind.TIMEOUT,
        True,
        True,
    )
    with (
        _anthropic(loopback.url, timeout=0.2) as client,
        pytest.raises(anthropic.APITimeoutError) as caught_a,
    ):
        client.models.list()
    assert ae.error_from_exception(caught_a.value).kind is Kind.TIMEOUT


def test_a_status_error_is_not_a_transport_error(loopback):
    loopback.route("/v1/models", 429, [("content-type", "application/json")], OPENAI_BODY)
    with _openai(loopback.url) as client, pytest.raises(openai.RateLimitError) as caught:
        client.models.list()
    with pytest.raises(TypeError, match="normalize"):
        ae.error_from_exception(caught.value)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_an_unread_sdk_response_falls_back_to_the_parsed_body_and_headers():
    class Unread(httpx2.SyncByteStream):
        def __iter__(self):  # never read by normalize
            raise AssertionError

    response = httpx2.Response(
        429,
        headers={"retry-after": "5", "x-request-id": "req_u1"},
        request=httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions"),
        stream=Unread(),
    )
    body = {"error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}
    error = ae.normalize(openai.RateLimitError("429", response=response, body=body))
    assert error is not None
    assert (error.kind, error.retry_after, error.request_id) == (Kind.RATE_LIMITED, 5.0, "req_u1")
    assert error.message == "Slow down"
