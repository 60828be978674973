"""error_from_exception() maps every transport exception class of every supported library."""

from __future__ import annotations

import asyncio
import http.client
import socket
import ssl
import urllib.request

import aiohttp
import anthropic
import botocore.exceptions
import openai
import pytest
import requests
import urllib3.exceptions
from google.api_core import exceptions as google_exceptions

import agent_errors as ae
from agent_errors import Kind
from agent_errors._parsing._network import FOREIGN_TRANSPORT_ERRORS


def _tree(*bases: type) -> set[type]:
    found: set[type] = set()
    todo = list(bases)
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def _own(classes: set[type], *packages: str) -> set[type]:
    return {c for c in classes if c.__module__.split(".")[0] in packages}


LIBRARIES = {
    "requests": _own(
        _tree(
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            requests.exceptions.RetryError,
        ),
        "requests",
    ),
    "urllib3": _own(_tree(urllib3.exceptions.HTTPError), "urllib3"),
    "aiohttp": _own(
        _tree(aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, aiohttp.InvalidURL),
        "aiohttp",
    ),
    "stdlib": _own(
        _tree(TimeoutError, ConnectionError, ssl.SSLError, http.client.HTTPException)
        | {socket.gaierror, socket.herror},
        "builtins",
        "ssl",
        "socket",
        "http",
    ),
    "openai": _tree(openai.APIConnectionError),
    "anthropic": _tree(anthropic.APIConnectionError),
    "botocore": _own(
        _tree(botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError), "botocore"
    ),
}


def _instance(cls: type[BaseException]) -> BaseException:
    exc = cls.__new__(cls)
    exc.args = ("boom",)
    return exc


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_every_class_of_each_library_is_listed_and_mapped(library):
    classes = LIBRARIES[library]
    assert len(classes) >= 2
    listed = {name for _, name in FOREIGN_TRANSPORT_ERRORS}
    missing = sorted(c.__name__ for c in classes if c.__name__ not in listed)
    assert not missing, missing
    for cls in classes:
        error = ae.error_from_exception(_instance(cls))
        assert error.kind in (Kind.NETWORK, Kind.TIMEOUT), cls
        assert isinstance(error.details["request_sent"], bool)
        assert error.status is None


def test_the_count_of_classes_mapped():
    counts = {name: len(classes) for name, classes in LIBRARIES.items()}
    assert sum(counts.values()) >= 100, counts


@pytest.mark.parametrize(
    ("exc", "kind", "sent", "retryable"),
    [
        (TimeoutError("t"), Kind.TIMEOUT, True, True),
        (ConnectionRefusedError(111, "refused"), Kind.NETWORK, False, True),
        (ConnectionResetError(104, "reset"), Kind.NETWORK, True, True),
        (socket.gaierror(-2, "Name or service not known"), Kind.NETWORK, False, True),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), Kind.NETWORK, False, False),
        (ssl.SSLEOFError(8, "EOF"), Kind.NETWORK, True, True),
        (http.client.RemoteDisconnected("closed"), Kind.NETWORK, True, True),
        (requests.ConnectTimeout("t"), Kind.TIMEOUT, False, True),
        (requests.ReadTimeout("t"), Kind.TIMEOUT, True, True),
        (urllib3.exceptions.ReadTimeoutError(None, "/", "t"), Kind.TIMEOUT, True, True),  # type: ignore[arg-type]
        (aiohttp.ServerDisconnectedError(), Kind.NETWORK, True, True),
        (asyncio.TimeoutError(), Kind.TIMEOUT, True, True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="u"), Kind.TIMEOUT, True, True),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="u"), Kind.TIMEOUT, False, True),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="u"), Kind.NETWORK, True, True),
    ],
)
def test_kind_and_whether_sent(exc, kind, sent, retryable):
    error = ae.error_from_exception(exc)
    assert (error.kind, error.details["request_sent"], error.retryable) == (kind, sent, retryable)


def test_a_certificate_failure_wrapped_by_requests_is_not_retryable():
    # requests raises SSLError(MaxRetryError(reason=SSLError(SSLCertVerificationError))).
    cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    inner = urllib3.exceptions.SSLError(cert)
    retries = urllib3.exceptions.MaxRetryError(None, "/", reason=inner)  # type: ignore[arg-type]
    error = ae.error_from_exception(requests.exceptions.SSLError(retries))
    assert (error.retryable, error.details["request_sent"]) == (False, False)
    assert not ae.RetryPolicy().decide(error, attempt=1).retry
    wrapped = botocore.exceptions.SSLError(endpoint_url="u", error=cert)
    assert not ae.error_from_exception(wrapped).retryable


def test_google_retry_error_takes_its_cause():
    cause = requests.ConnectTimeout("t")
    error = ae.error_from_exception(google_exceptions.RetryError("gave up", cause))
    assert (error.kind, error.details["request_sent"]) == (Kind.TIMEOUT, False)


def test_real_connection_refusals(closed_port):
    url = f"http://127.0.0.1:{closed_port}/"
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(url, timeout=2)
    error = ae.error_from_exception(caught.value)
    assert (error.kind, error.details["request_sent"]) == (Kind.NETWORK, False)
    with pytest.raises(OSError) as caught_os:
        urllib.request.urlopen(url, timeout=2)
    reason = getattr(caught_os.value, "reason", caught_os.value)
    assert ae.error_from_exception(reason).details["request_sent"] is False

    async def _aiohttp() -> BaseException:
        async with aiohttp.ClientSession() as session:
            try:
                await session.get(url)
            except aiohttp.ClientError as exc:
                return exc
        raise AssertionError

    error = ae.error_from_exception(asyncio.run(_aiohttp()))
    assert (error.kind, error.details["request_sent"]) == (Kind.NETWORK, False)


def test_real_read_timeouts(loopback):
    url = loopback.route("/slow", 200, [], b"{}", delay=1.0)
    with pytest.raises(requests.ReadTimeout) as caught:
        requests.get(url, timeout=0.2)
    error = ae.error_from_exception(caught.value)
    assert (error.kind, error.details["request_sent"]) == (Kind.TIMEOUT, True)


@pytest.mark.parametrize("exc", [ValueError("no"), KeyError("k"), OSError(2, "No such file")])
def test_what_is_not_a_transport_error_is_refused(exc):
    with pytest.raises(TypeError, match="transport exception"):
        ae.error_from_exception(exc)


def test_a_huge_exception_text_is_cut_and_still_redacted():
    secret = "sk-" + "a1B2c3D4e5" * 5
    exc = ConnectionResetError(104, f"reset; key={secret} " + "x" * (8 * 1024 * 1024))
    error = ae.error_from_exception(exc)
    assert len(error.message) <= 600  # of 8 MiB of text
    assert secret not in error.message
    assert "reset" in error.message
