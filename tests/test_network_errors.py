"""httpx transport exceptions are mapped to canonical errors in one place, all of them."""

from __future__ import annotations

import httpx
import pytest

import agent_errors as ae
from agent_errors._parsing._network import TRANSPORT_ERRORS


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


def test_every_httpx_transport_error_is_mapped_explicitly():
    httpx_classes = {
        cls
        for cls in _all_subclasses(httpx.TransportError) | {httpx.TransportError}
        if cls.__module__.split(".")[0] == "httpx"  # not subclasses from httpx_sse and others
    }
    assert len(httpx_classes) >= 16
    missing = {cls.__name__ for cls in httpx_classes} - {cls.__name__ for cls in TRANSPORT_ERRORS}
    assert not missing


REQUEST = httpx.Request("POST", "https://api.qoder.com/api/v1/cloud/sessions")


@pytest.mark.parametrize(
    ("exc_type", "kind", "sent"),
    [
        (httpx.ConnectError, "network", False),
        (httpx.ConnectTimeout, "timeout", False),
        (httpx.PoolTimeout, "timeout", False),
        (httpx.ProxyError, "network", False),
        (httpx.ReadTimeout, "timeout", True),
        (httpx.WriteTimeout, "timeout", True),
        (httpx.ReadError, "network", True),
        (httpx.WriteError, "network", True),
        (httpx.RemoteProtocolError, "network", True),
        (httpx.CloseError, "network", True),
    ],
)
def test_mapping_says_whether_the_request_may_have_been_sent(exc_type, kind, sent):
    error = ae.error_from_exception(exc_type("boom", request=REQUEST), provider="qoder")
    assert error.kind == kind
    assert error.details["request_sent"] is sent
    assert error.details["exception"] == exc_type.__name__
    assert error.status is None
    assert error.retryable
    assert error.provider == "qoder"
    assert "boom" in error.message


def test_local_mistakes_are_not_retryable():
    for exc_type in (httpx.LocalProtocolError, httpx.UnsupportedProtocol):
        error = ae.error_from_exception(exc_type("bad"))
        assert not error.retryable
        assert not ae.RetryPolicy().decide(error, attempt=1).retry


def test_an_unknown_subclass_uses_its_nearest_base_and_assumes_sent():
    class FancyReadError(httpx.ReadError):
        pass

    class BrandNew(httpx.TransportError):
        pass

    assert ae.error_from_exception(FancyReadError("x")).details["request_sent"] is True
    error = ae.error_from_exception(BrandNew("x"))
    assert (error.kind, error.details["request_sent"]) == ("network", True)


def test_secrets_in_the_exception_text_are_redacted_and_method_recorded():
    error = ae.error_from_exception(
        httpx.ConnectError("failed for Bearer pt-abcdefghijklmnopqrstuvwxyz123456"), method="POST"
    )
    assert "abcdefghijklmnopqrstuvwxyz123456" not in error.message
    assert error.details["method"] == "POST"
    assert error.message[0].isupper()


def test_empty_text_and_misuse():
    assert (
        ae.error_from_exception(httpx.ReadTimeout("")).message
        == "Waiting for the response timed out"
    )
    with pytest.raises(TypeError, match="transport exception"):
        ae.error_from_exception(ValueError("no"))
