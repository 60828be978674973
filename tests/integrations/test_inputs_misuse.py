"""What is not a response is refused with a TypeError, sync and async, never read as "no error"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests

import agent_errors as ae

NOT_RESPONSES: list[Any] = [
    None,
    42,
    True,
    3.5,
    object(),
    "HTTP/1.1 500",
    b"HTTP/1.1 500",
    {"status": 500},
    ValueError("no response"),
    requests.ConnectionError("no response"),
    httpx.ConnectError("no response"),
]


@pytest.mark.parametrize("obj", NOT_RESPONSES, ids=lambda o: type(o).__name__)
def test_normalize_refuses_it(obj):
    with pytest.raises(TypeError) as caught:
        ae.normalize(obj)
    message = str(caught.value)
    assert "requests.Response" in message
    assert "ClientError" in message
    assert type(obj).__name__ in message


@pytest.mark.anyio
@pytest.mark.parametrize("obj", NOT_RESPONSES, ids=lambda o: type(o).__name__)
async def test_anormalize_refuses_it(obj):
    with pytest.raises(TypeError, match="aiohttp"):
        await ae.anormalize(obj)


def test_an_httpx_status_error_is_read_from_its_response():
    request = httpx.Request("GET", "https://api.example.com/v1/x")
    response = httpx.Response(429, headers={"retry-after": "2"}, request=request)
    error = ae.normalize(httpx.HTTPStatusError("429", request=request, response=response))
    assert error is not None
    assert (error.kind, error.retry_after) == ("rate_limited", 2.0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
