"""agent_errors.testing: error_response, assert_error and the scripted FakeProvider."""

from __future__ import annotations

import gzip
import subprocess
import sys
from unittest import mock

import httpx
import pytest

import agent_errors as ae
from agent_errors import registered_adapters
from agent_errors.testing import FakeProvider, ScriptExhaustedError, assert_error, error_response

# -- error_response ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sorted(registered_adapters()))
def test_error_response_is_rendered_by_the_providers_adapter(provider: str) -> None:
    kind = ae.Kind.NOT_FOUND
    response = error_response(provider, kind, message="No such agent.", request_id="req_42")
    adapter = ae.get_adapter(provider)
    error = ae.normalize(response, provider=provider)
    assert error is not None
    rendered = adapter.render(error)
    assert response.status_code == rendered.status
    assert response.content == rendered.body
    assert response.headers["content-type"] == rendered.content_type
    assert_error(response, kind="not_found", message="No such agent.", request_id="req_42")


def test_error_response_uses_the_documented_code_status_and_description() -> None:
    response = error_response("qoder", "conflict")
    assert response.status_code == 409
    assert response.json() == {
        "type": "error",
        "error": {
            "type": "conflict_error",
            "message": "Resource state conflict (for example, duplicate creation)",
        },
    }
    # The request is addressed to the provider's host, so detection works as for a real client.
    assert response.request.url.host == "api.qoder.com"


def test_error_response_sends_hints_as_headers() -> None:
    response = error_response("qoder", "rate_limited", retry_after=1.5, request_id="req_7")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"  # whole seconds, rounded up
    assert response.headers["x-request-id"] == "req_7"
    assert_error(response, kind=ae.Kind.RATE_LIMITED, retry_after=2.0, request_id="req_7")


def test_error_response_explicit_fields_win() -> None:
    response = error_response(
        "qoder",
        "unavailable",
        status=503,
        code="api_error",
        message="Down for maintenance.",
        headers={"x-extra": "1"},
        url="https://openapi.qoder.sh/api/v1/cloud/agents",
    )
    assert response.status_code == 503
    assert response.headers["x-extra"] == "1"
    assert response.request.url.host == "openapi.qoder.sh"
    assert response.json()["error"]["message"] == "Down for maintenance."


def test_error_response_without_a_known_host_has_no_request() -> None:
    response = error_response("generic", "internal")
    with pytest.raises(RuntimeError):
        response.request  # noqa: B018
    assert_error(response, kind="internal", status=500, code="server_error", provider="generic")


@pytest.mark.parametrize(
    ("args", "fields", "exc", "match"),
    [
        (("qoder", "no_such_kind"), {}, ValueError, "unknown kind 'no_such_kind'"),
        (("no_such_provider", "internal"), {}, ValueError, "unknown provider"),
        (("qoder", "network"), {}, ValueError, "no response"),
        (("qoder", "internal"), {"colour": "red"}, TypeError, "unknown field.*colour"),
        (("qoder", "internal"), {"provider": "x"}, TypeError, "provider"),
    ],
)
def test_error_response_misuse(
    args: tuple[str, str], fields: dict[str, object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        error_response(*args, **fields)


# -- assert_error --------------------------------------------------------------------------------


def test_assert_error_accepts_response_error_and_exception() -> None:
    response = error_response("qoder", "permission", param="agent_id")
    error = assert_error(response, kind="permission", param="agent_id", status=403)
    assert isinstance(error, ae.CanonicalError)
    assert assert_error(error, kind=ae.Kind.PERMISSION) is error
    exc = ae.AgentAPIError.from_error(error)
    assert assert_error(exc, provider="qoder") is error


def test_assert_error_names_every_mismatched_field_with_both_values() -> None:
    response = error_response("qoder", "rate_limited", retry_after=2)
    with pytest.raises(AssertionError) as info:
        assert_error(
            response,
            kind="unavailable",
            retry_after=3,
            status=429,
            details={"retry_after_source": "header:retry-after", "feature": "x"},
        )
    text = str(info.value)
    assert "(3 fields differ)" in text
    assert "kind: expected 'unavailable', got 'rate_limited'" in text
    assert "retry_after: expected 3, got 2.0" in text
    assert "details['feature']: expected 'x', got nothing" in text
    assert "status" not in text.split("error:", maxsplit=1)[0]  # equal fields are not listed
    assert "error: CanonicalError(kind='rate_limited'" in text


def test_assert_error_single_mismatch_and_changed_detail() -> None:
    error = ae.CanonicalError(ae.Kind.INTERNAL, "boom", details={"a": 1})
    with pytest.raises(AssertionError, match=r"\(1 field differs\)") as info:
        assert_error(error, details={"a": 2})
    assert "details['a']: expected 2, got 1" in str(info.value)


def test_assert_error_matchers_decide_equality() -> None:
    error = ae.CanonicalError(ae.Kind.RATE_LIMITED, "slow down", retry_after=2.4999999)
    assert_error(error, retry_after=pytest.approx(2.5), message=mock.ANY, details={})
    with pytest.raises(AssertionError, match="retry_after: expected 3"):
        assert_error(error, retry_after=pytest.approx(3))


def test_assert_error_on_a_success_response_fails() -> None:
    with pytest.raises(AssertionError, match=r"success \(HTTP 200\)"):
        assert_error(httpx.Response(200, json={"ok": True}), kind="internal")


def test_assert_error_misuse_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not dict"):
        assert_error({"kind": "internal"}, kind="internal")
    error = ae.CanonicalError(ae.Kind.INTERNAL, "boom")
    with pytest.raises(TypeError, match=r"unknown field.*colour"):
        assert_error(error, colour="red")


# -- FakeProvider --------------------------------------------------------------------------------


def test_fake_provider_answers_its_script_in_order_and_records_requests() -> None:
    fake = FakeProvider(
        "qoder",
        [error_response("qoder", "rate_limited", retry_after=2), 503, 200],
    )
    assert isinstance(fake, httpx.MockTransport)
    with httpx.Client(transport=fake, base_url="https://api.qoder.com") as client:
        first = client.get("/api/v1/cloud/agents")
        second = client.post("/api/v1/cloud/sessions", json={})
        third = client.get("/api/v1/cloud/agents")
    assert_error(first, kind="rate_limited", retry_after=2.0)
    assert_error(second, kind="unavailable", status=503, provider="qoder")
    assert third.status_code == 200
    assert ae.normalize(third) is None
    assert fake.calls == 3
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]
    assert fake.remaining == 0
    fake.assert_exhausted()


def test_fake_provider_every_step_form() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"path": request.url.path})

    fake = FakeProvider("qoder").add("conflict")
    fake.extend(
        [
            ae.Kind.FEATURE_NOT_AVAILABLE,
            ae.CanonicalError(ae.Kind.NOT_FOUND, "gone", request_id="req_9"),
            handler,
            lambda request: 418,
            204,
        ]
    )
    with httpx.Client(transport=fake) as client:
        responses = [client.get(f"https://api.qoder.com/{n}") for n in range(6)]
    assert_error(responses[0], kind="conflict", code="conflict_error")
    assert_error(responses[1], kind="feature_not_available", status=501)
    assert_error(responses[2], kind="not_found", message="gone", request_id="req_9")
    assert responses[3].json() == {"path": "/3"}
    assert_error(responses[4], kind="invalid_request", status=418)
    assert responses[5].status_code == 204
    assert responses[5].content == b""


def test_fake_provider_raises_scripted_transport_errors() -> None:
    reset = httpx.ReadError("connection reset by peer")
    fake = FakeProvider("generic", [httpx.ConnectError, reset, KeyboardInterrupt])
    with httpx.Client(transport=fake) as client:
        with pytest.raises(httpx.ConnectError, match="scripted ConnectError") as info:
            client.get("https://example.test/a")
        assert info.value.request.url.path == "/a"
        with pytest.raises(httpx.ReadError) as read_info:
            client.get("https://example.test/b")
        assert read_info.value is reset
        assert reset.request.url.path == "/b"
        with pytest.raises(KeyboardInterrupt):
            client.get("https://example.test/c")


def test_fake_provider_keeps_the_request_a_scripted_error_already_has() -> None:
    original = httpx.Request("GET", "https://elsewhere.test/original")
    timeout = httpx.ReadTimeout("slow", request=original)
    fake = FakeProvider("generic", [timeout])
    with pytest.raises(httpx.ReadTimeout):
        fake.handle_request(httpx.Request("GET", "https://example.test/now"))
    assert timeout.request is original


def test_fake_provider_copies_responses_so_scripts_can_be_reused() -> None:
    shared = error_response("qoder", "internal")
    for _ in range(2):
        fake = FakeProvider("qoder", [shared, shared])
        with httpx.Client(transport=fake) as client:
            for _ in range(2):
                assert_error(client.get("https://api.qoder.com/"), kind="internal")


def test_fake_provider_copy_drops_content_encoding_of_decoded_bodies() -> None:

    packed = httpx.Response(
        500, headers={"content-encoding": "gzip"}, content=gzip.compress(b"boom")
    )
    fake = FakeProvider("generic", [packed])
    with httpx.Client(transport=fake) as client:
        response = client.get("https://example.test/")
    assert response.content == b"boom"
    assert "content-encoding" not in response.headers


def test_fake_provider_exhausted_script() -> None:
    fake = FakeProvider("generic", [500, 200])
    with httpx.Client(transport=fake) as client:
        client.get("https://example.test/")
        with pytest.raises(AssertionError, match=r"1 scripted step\(s\) were not used.*200"):
            fake.assert_exhausted()
        client.get("https://example.test/")
        with pytest.raises(ScriptExhaustedError, match=r"request 3 .*script of 2 step"):
            client.get("https://example.test/late")


@pytest.mark.anyio
async def test_fake_provider_with_an_async_client() -> None:
    fake = FakeProvider("qoder", ["rate_limited", 200])
    async with httpx.AsyncClient(transport=fake) as client:
        first = await client.get("https://api.qoder.com/")
        await first.aread()
        second = await client.get("https://api.qoder.com/")
    assert_error(first, kind="rate_limited")
    assert second.status_code == 200


@pytest.mark.parametrize(
    ("step", "exc"),
    [("no_such_kind", ValueError), (b"bytes", TypeError), (True, TypeError), (None, TypeError)],
)
def test_fake_provider_rejects_bad_steps(step: object, exc: type[Exception]) -> None:
    if exc is ValueError:
        with pytest.raises(ValueError, match="unknown kind"):
            FakeProvider("qoder", [step])  # type: ignore[list-item]
        return
    fake = FakeProvider("qoder", [step])  # type: ignore[list-item]
    with httpx.Client(transport=fake) as client, pytest.raises(TypeError, match="cannot be"):
        client.get("https://api.qoder.com/")


def test_fake_provider_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        FakeProvider("no_such_provider")


def test_importing_the_library_imports_neither_pytest_nor_hypothesis() -> None:
    code = (
        "import sys, agent_errors, agent_errors.testing\n"
        "print(sorted(m for m in ('pytest', 'hypothesis', '_pytest') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
