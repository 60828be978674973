"""The stamina bridge, with the real stamina and httpx against a loopback server."""

from __future__ import annotations

import httpx
import pytest

import agent_errors as ae
from agent_errors.stamina import retry_on

from ._scripted import scripted

stamina = pytest.importorskip("stamina")


def _exc(status: int, headers: dict[str, str], body: object) -> ae.AgentAPIError:
    response = httpx.Response(status, headers=headers, json=body)
    error = ae.normalize(response)
    assert error is not None
    return ae.AgentAPIError.from_error(error, response)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"retry-after": "3"}, 3.0),  # the server's wait, exactly
        (429, {}, True),  # stamina's own backoff
        (503, {}, True),
        (400, {}, False),  # never clears
        (503, {"x-should-retry": "false"}, False),  # the server said no
        (429, {"retry-after": "86400"}, False),  # above the policy's ceiling: not now
    ],
)
def test_the_hook_answers_what_the_engine_decides(
    status: int, headers: dict[str, str], expected: object
) -> None:
    hook = retry_on()
    assert hook(_exc(status, headers, {"error": {"message": "x"}})) == expected


def test_writes_need_an_idempotency_key() -> None:
    exc = _exc(503, {}, {"error": {"message": "down"}})
    assert retry_on(method="POST")(exc) is False
    assert retry_on(method="POST", idempotency_key="k")(exc) is True


def test_transport_failures_and_foreign_exceptions() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/")
    assert retry_on(method="POST")(httpx.ConnectError("refused", request=request)) is True
    assert retry_on(method="POST")(httpx.ReadTimeout("slow", request=request)) is False
    assert retry_on()(ValueError("ours")) is False


def test_stamina_retries_what_the_hook_allows() -> None:
    script = [
        (503, {}, {"error": {"message": "down"}}),
        (503, {}, {"error": {"message": "down"}}),
        (200, {}, {"ok": True}),
    ]
    with (
        ae.set_testing(True),
        scripted(script) as server,
        httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client,
    ):

        @stamina.retry(on=retry_on(), attempts=5)
        def call() -> httpx.Response:
            return client.get(server.url)

        assert call().status_code == 200
        assert server.count == 3


def test_stamina_stops_on_what_never_clears() -> None:
    script = [(404, {}, {"error": {"message": "no such agent"}}), (200, {}, {"ok": True})]
    with (
        ae.set_testing(True),
        scripted(script) as server,
        httpx.Client(event_hooks={"response": [ae.raise_for_error]}) as client,
    ):

        @stamina.retry(on=retry_on(), attempts=5)
        def call() -> httpx.Response:
            return client.get(server.url)

        with pytest.raises(ae.NotFoundError):
            call()
        assert server.count == 1


def test_agent_errors_testing_mode_switches_staminas() -> None:
    assert not stamina.is_testing()
    with ae.set_testing(True, attempts=2):
        assert stamina.is_testing()
    assert not stamina.is_testing()
