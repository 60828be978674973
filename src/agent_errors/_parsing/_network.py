"""The one place transport exceptions become canonical errors, of every supported library.

httpx, requests, urllib3, aiohttp, the standard library, the openai and anthropic SDKs, botocore
and google-api-core.

No HTTP response came back, so the error's kind is `network` or `timeout`, its status is None,
and `details["request_sent"]` says whether the request may have reached the server: a request
never sent (connect failure, no free connection) is safe to send again with any method; one that
may have been sent (read timeout, reset after sending) only when it is idempotent.

Only httpx is imported: the other libraries' classes are recognised by their package and class
name along the exception's MRO, so none of them is a dependency. A library's generic wrapper (the
SDKs' `APIConnectionError`, requests' `ConnectionError`, urllib3's `MaxRetryError`...) is made
precise by the exception it wraps, when that one is recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import httpx

from agent_errors._core import _redact
from agent_errors._core._model import CanonicalError, Kind

__all__ = ["FOREIGN_TRANSPORT_ERRORS", "TRANSPORT_ERRORS", "error_from_exception"]

TRANSPORT_ERRORS: Final[Mapping[type[httpx.TransportError], tuple[Kind, bool, bool, str]]] = (
    MappingProxyType(
        {
            # exception: (kind, request may have been sent, retryable, what happened)
            httpx.ConnectTimeout: (Kind.TIMEOUT, False, True, "connecting timed out"),
            httpx.PoolTimeout: (Kind.TIMEOUT, False, True, "no connection became free in time"),
            httpx.WriteTimeout: (Kind.TIMEOUT, True, True, "sending the request timed out"),
            httpx.ReadTimeout: (Kind.TIMEOUT, True, True, "waiting for the response timed out"),
            httpx.TimeoutException: (Kind.TIMEOUT, True, True, "the request timed out"),
            httpx.ConnectError: (Kind.NETWORK, False, True, "could not connect"),
            httpx.ProxyError: (Kind.NETWORK, False, True, "the proxy refused or failed"),
            httpx.WriteError: (Kind.NETWORK, True, True, "the connection broke while sending"),
            httpx.ReadError: (Kind.NETWORK, True, True, "the connection broke while reading"),
            httpx.CloseError: (Kind.NETWORK, True, True, "closing the connection failed"),
            httpx.NetworkError: (Kind.NETWORK, True, True, "the connection failed"),
            httpx.RemoteProtocolError: (
                Kind.NETWORK,
                True,
                True,
                "the server closed the connection or broke the protocol",
            ),
            # Our own request was malformed or its URL scheme unsupported: a bug, not a blip.
            httpx.LocalProtocolError: (Kind.NETWORK, False, False, "the request was malformed"),
            httpx.UnsupportedProtocol: (Kind.NETWORK, False, False, "unsupported URL scheme"),
            httpx.ProtocolError: (Kind.NETWORK, True, True, "the HTTP protocol was violated"),
            httpx.TransportError: (Kind.NETWORK, True, True, "the transport failed"),
        }
    )
)
"""Every `httpx.TransportError` class: (kind, request may have been sent, retryable, text)."""


_Row = tuple[Kind, bool, bool, str]
_READ_TEXT: Final = 8192
_KEEP_TEXT: Final = 500
_T, _N = Kind.TIMEOUT, Kind.NETWORK

_CONNECT: Final = "could not connect"
_LOCAL: Final = "the request was malformed or its URL unusable"
_CERT: Final = "the server's TLS certificate could not be verified"
_TLS: Final = "the TLS connection failed"

FOREIGN_TRANSPORT_ERRORS: Final[Mapping[tuple[str, str], _Row]] = MappingProxyType(
    {
        # (top-level package, class name): (kind, may have been sent, retryable, what happened)
        # The standard library.
        ("builtins", "TimeoutError"): (_T, True, True, "the operation timed out"),
        ("builtins", "ConnectionRefusedError"): (_N, False, True, "the connection was refused"),
        ("builtins", "ConnectionResetError"): (_N, True, True, "the connection was reset"),
        ("builtins", "ConnectionAbortedError"): (_N, True, True, "the connection was aborted"),
        ("builtins", "BrokenPipeError"): (_N, True, True, "the connection broke while sending"),
        ("builtins", "ConnectionError"): (_N, True, True, "the connection failed"),
        ("socket", "gaierror"): (_N, False, True, "the host name could not be resolved"),
        ("socket", "herror"): (_N, False, True, "the host address could not be resolved"),
        ("ssl", "SSLCertVerificationError"): (_N, False, False, _CERT),
        ("ssl", "SSLZeroReturnError"): (_N, True, True, "the TLS connection was closed"),
        ("ssl", "SSLEOFError"): (_N, True, True, "the TLS connection ended abruptly"),
        ("ssl", "SSLSyscallError"): (_N, True, True, _TLS),
        ("ssl", "SSLWantReadError"): (_N, True, True, _TLS),
        ("ssl", "SSLWantWriteError"): (_N, True, True, _TLS),
        ("ssl", "SSLError"): (_N, True, True, _TLS),
        ("http", "RemoteDisconnected"): (_N, True, True, "the server closed the connection"),
        ("http", "IncompleteRead"): (_N, True, True, "the response ended early"),
        ("http", "BadStatusLine"): (_N, True, True, "the server broke the HTTP protocol"),
        ("http", "LineTooLong"): (_N, True, True, "the server broke the HTTP protocol"),
        ("http", "UnknownProtocol"): (_N, True, True, "the server broke the HTTP protocol"),
        ("http", "UnknownTransferEncoding"): (_N, True, True, "the server broke the HTTP protocol"),
        ("http", "InvalidURL"): (_N, False, False, _LOCAL),
        ("http", "UnimplementedFileMode"): (_N, False, False, _LOCAL),
        ("http", "NotConnected"): (_N, False, True, "the connection was not open"),
        ("http", "CannotSendRequest"): (_N, False, False, "the connection was in the wrong state"),
        ("http", "CannotSendHeader"): (_N, False, False, "the connection was in the wrong state"),
        ("http", "ResponseNotReady"): (_N, True, False, "the connection was in the wrong state"),
        ("http", "ImproperConnectionState"): (
            _N,
            True,
            False,
            "the connection was in the wrong state",
        ),
        ("http", "HTTPException"): (_N, True, True, "the HTTP exchange failed"),
        # urllib3 (and botocore's vendored copy, which keeps the names).
        ("urllib3", "NameResolutionError"): (
            _N,
            False,
            True,
            "the host name could not be resolved",
        ),
        ("urllib3", "NewConnectionError"): (_N, False, True, _CONNECT),
        ("urllib3", "ConnectTimeoutError"): (_T, False, True, "connecting timed out"),
        ("urllib3", "ReadTimeoutError"): (_T, True, True, "waiting for the response timed out"),
        ("urllib3", "TimeoutError"): (_T, True, True, "the request timed out"),
        ("urllib3", "TimeoutStateError"): (_T, False, False, "the timeout was misconfigured"),
        ("urllib3", "EmptyPoolError"): (_T, False, True, "no connection became free in time"),
        ("urllib3", "ClosedPoolError"): (_N, False, False, "the connection pool was closed"),
        ("urllib3", "FullPoolError"): (_N, True, True, "the connection pool was full"),
        ("urllib3", "HostChangedError"): (_N, False, False, "the pool was asked for another host"),
        ("urllib3", "PoolError"): (_N, False, True, "the connection pool failed"),
        ("urllib3", "ProxyError"): (_N, False, True, "the proxy refused or failed"),
        ("urllib3", "SSLError"): (_N, True, True, _TLS),
        ("urllib3", "MaxRetryError"): (_N, True, True, "the transport's own retries ran out"),
        ("urllib3", "ResponseError"): (_N, True, True, "too many error responses"),
        ("urllib3", "RequestError"): (_N, True, True, "the request failed"),
        ("urllib3", "ProtocolError"): (
            _N,
            True,
            True,
            "the connection broke or the protocol failed",
        ),
        ("urllib3", "IncompleteRead"): (_N, True, True, "the response ended early"),
        ("urllib3", "InvalidChunkLength"): (_N, True, True, "the server broke chunked encoding"),
        ("urllib3", "DecodeError"): (_N, True, True, "the response body could not be decoded"),
        ("urllib3", "HeaderParsingError"): (_N, True, True, "the response headers were malformed"),
        ("urllib3", "InvalidHeader"): (_N, False, False, _LOCAL),
        ("urllib3", "ResponseNotChunked"): (_N, True, False, "the response was read wrongly"),
        ("urllib3", "LocationParseError"): (_N, False, False, _LOCAL),
        ("urllib3", "LocationValueError"): (_N, False, False, _LOCAL),
        ("urllib3", "URLSchemeUnknown"): (_N, False, False, "unsupported URL scheme"),
        ("urllib3", "ProxySchemeUnknown"): (_N, False, False, "unsupported proxy URL scheme"),
        ("urllib3", "BodyNotHttplibCompatible"): (_N, False, False, _LOCAL),
        ("urllib3", "UnrewindableBodyError"): (
            _N,
            True,
            False,
            "the request body cannot be resent",
        ),
        ("urllib3", "HTTPError"): (_N, True, True, "the HTTP exchange failed"),
        # requests.
        ("requests", "ConnectTimeout"): (_T, False, True, "connecting timed out"),
        ("requests", "ReadTimeout"): (_T, True, True, "waiting for the response timed out"),
        ("requests", "Timeout"): (_T, True, True, "the request timed out"),
        ("requests", "SSLError"): (_N, True, True, _TLS),
        ("requests", "ProxyError"): (_N, False, True, "the proxy refused or failed"),
        ("requests", "ConnectionError"): (_N, True, True, "the connection failed"),
        ("requests", "ChunkedEncodingError"): (_N, True, True, "the server broke chunked encoding"),
        ("requests", "ContentDecodingError"): (_N, True, True, "the body could not be decoded"),
        ("requests", "RetryError"): (_N, True, True, "the transport's own retries ran out"),
        ("requests", "TooManyRedirects"): (_N, True, False, "too many redirects"),
        ("requests", "InvalidURL"): (_N, False, False, _LOCAL),
        ("requests", "InvalidProxyURL"): (_N, False, False, _LOCAL),
        ("requests", "InvalidSchema"): (_N, False, False, "unsupported URL scheme"),
        ("requests", "MissingSchema"): (_N, False, False, _LOCAL),
        ("requests", "URLRequired"): (_N, False, False, _LOCAL),
        ("requests", "InvalidHeader"): (_N, False, False, _LOCAL),
        ("requests", "UnrewindableBodyError"): (
            _N,
            True,
            False,
            "the request body cannot be resent",
        ),
        # aiohttp.
        ("aiohttp", "ClientConnectorCertificateError"): (_N, False, False, _CERT),
        ("aiohttp", "ServerFingerprintMismatch"): (_N, False, False, _CERT),
        ("aiohttp", "ClientConnectorSSLError"): (_N, False, True, _TLS),
        ("aiohttp", "ClientSSLError"): (_N, False, True, _TLS),
        ("aiohttp", "ClientConnectorDNSError"): (
            _N,
            False,
            True,
            "the host name could not be resolved",
        ),
        ("aiohttp", "ClientProxyConnectionError"): (
            _N,
            False,
            True,
            "could not connect to the proxy",
        ),
        ("aiohttp", "ClientHttpProxyError"): (_N, False, True, "the proxy refused or failed"),
        ("aiohttp", "UnixClientConnectorError"): (_N, False, True, _CONNECT),
        ("aiohttp", "ClientConnectorError"): (_N, False, True, _CONNECT),
        ("aiohttp", "ConnectionTimeoutError"): (_T, False, True, "connecting timed out"),
        ("aiohttp", "SocketTimeoutError"): (_T, True, True, "waiting for the response timed out"),
        ("aiohttp", "ServerTimeoutError"): (_T, True, True, "the request timed out"),
        ("aiohttp", "ServerDisconnectedError"): (
            _N,
            True,
            True,
            "the server closed the connection",
        ),
        ("aiohttp", "ServerConnectionError"): (
            _N,
            True,
            True,
            "the connection to the server failed",
        ),
        ("aiohttp", "ClientConnectionResetError"): (_N, True, True, "the connection was reset"),
        ("aiohttp", "ClientOSError"): (_N, True, True, "the connection failed"),
        ("aiohttp", "UploadAbortedError"): (_N, True, True, "sending the request body failed"),
        ("aiohttp", "ClientConnectionError"): (_N, True, True, "the connection failed"),
        ("aiohttp", "ClientPayloadError"): (_N, True, True, "the response body broke off"),
        ("aiohttp", "InvalidUrlRedirectClientError"): (_N, True, False, "a redirect was unusable"),
        ("aiohttp", "NonHttpUrlRedirectClientError"): (_N, True, False, "a redirect was unusable"),
        ("aiohttp", "InvalidUrlClientError"): (_N, False, False, _LOCAL),
        ("aiohttp", "NonHttpUrlClientError"): (_N, False, False, "unsupported URL scheme"),
        ("aiohttp", "InvalidURL"): (_N, False, False, _LOCAL),
        # The openai and anthropic SDKs (made precise by the httpx error they wrap).
        ("openai", "APITimeoutError"): (_T, True, True, "the request timed out"),
        ("openai", "APIConnectionError"): (_N, True, True, "the connection failed"),
        ("anthropic", "APITimeoutError"): (_T, True, True, "the request timed out"),
        ("anthropic", "APIConnectionError"): (_N, True, True, "the connection failed"),
        # botocore.
        ("botocore", "EndpointConnectionError"): (
            _N,
            False,
            True,
            "could not connect to the endpoint",
        ),
        ("botocore", "ConnectTimeoutError"): (_T, False, True, "connecting timed out"),
        ("botocore", "ProxyConnectionError"): (_N, False, True, "could not connect to the proxy"),
        ("botocore", "SSLError"): (_N, False, True, _TLS),
        ("botocore", "ConnectionError"): (_N, False, True, _CONNECT),
        ("botocore", "ReadTimeoutError"): (_T, True, True, "waiting for the response timed out"),
        ("botocore", "ConnectionClosedError"): (_N, True, True, "the server closed the connection"),
        ("botocore", "ResponseStreamingError"): (_N, True, True, "the response stream broke off"),
        ("botocore", "HTTPClientError"): (_N, True, True, "the HTTP client failed"),
        # google-api-core: its RetryError wraps the last failure.
        ("google", "RetryError"): (_T, True, True, "the client's own retries ran out"),
    }
)
"""Transport exceptions of other libraries, by (top-level package, class name)."""

_WRAPPERS: Final = frozenset(
    {
        ("openai", "APITimeoutError"),
        ("openai", "APIConnectionError"),
        ("anthropic", "APITimeoutError"),
        ("anthropic", "APIConnectionError"),
        ("requests", "ConnectionError"),
        ("requests", "SSLError"),
        ("requests", "Timeout"),
        ("requests", "RetryError"),
        ("urllib3", "MaxRetryError"),
        ("urllib3", "SSLError"),
        ("urllib3", "ProtocolError"),
        ("aiohttp", "ClientOSError"),
        ("aiohttp", "ClientConnectionError"),
        ("aiohttp", "ClientSSLError"),
        ("aiohttp", "ClientConnectorSSLError"),
        ("botocore", "SSLError"),
        ("botocore", "ConnectionError"),
        ("botocore", "HTTPClientError"),
        ("google", "RetryError"),
    }
)
"""Generic classes that say less than the exception they carry: that one decides when known."""

_RESPONSE_CARRIERS: Final = frozenset(
    {
        ("httpx", "HTTPStatusError"),
        ("requests", "HTTPError"),
        ("aiohttp", "ClientResponseError"),
        ("openai", "APIStatusError"),
        ("anthropic", "APIStatusError"),
        ("botocore", "ClientError"),
        ("google", "GoogleAPICallError"),
    }
)


def error_from_exception(
    exc: BaseException, *, provider: str = "generic", method: str | None = None
) -> CanonicalError:
    """Return the canonical error for a transport exception (no HTTP response came back).

    Accepts the transport exceptions of httpx (`TRANSPORT_ERRORS`) and of requests, urllib3,
    aiohttp, the standard library (`TimeoutError`, the `ConnectionError` family,
    `socket.gaierror`, `ssl.SSLError`, `http.client` errors), the openai and anthropic SDKs
    (`APIConnectionError`, `APITimeoutError`), botocore (`EndpointConnectionError`,
    `ConnectTimeoutError`, `ReadTimeoutError`, `ConnectionClosedError`...) and google-api-core's
    `RetryError` (`FOREIGN_TRANSPORT_ERRORS`). Subclasses use their nearest listed base, so an
    exception added by a later release still maps. A generic wrapper (an SDK's
    `APIConnectionError`, requests' `ConnectionError`) takes its kind and whether the request
    was sent from the exception it wraps, when that one is known. A TLS certificate that fails
    verification is not retryable.

    Returns:
        A `CanonicalError` of kind `network` or `timeout`, status None, with `details`
        `request_sent`, `exception` and, when given, `method`.

    Raises:
        TypeError: `exc` is not a transport exception of a known library (one that carries a
            response, such as `httpx.HTTPStatusError`, belongs to `normalize`).
    """
    row = _row_of(exc)
    if row is None:
        carries = any(key in _RESPONSE_CARRIERS for key in _keys(type(exc)))
        hint = " (it carries a response: pass it to normalize())" if carries else ""
        msg = (
            "expected a transport exception of httpx, requests, urllib3, aiohttp, the standard "
            "library, the openai or anthropic SDK, botocore or google-api-core, "
            f"not {type(exc).__name__}{hint}"
        )
        raise TypeError(msg)
    kind, sent, retryable, text = row
    # Only the start of the exception's text is read: redacted over a window wider than what is
    # kept, so no secret is cut in two at the edge.
    detail = _redact.redact(_text(exc)[:_READ_TEXT]).strip()
    if len(detail) > _KEEP_TEXT:
        detail = detail[: _KEEP_TEXT - 1].rstrip() + "…"
    message = f"{text}: {detail}" if detail else text
    details: dict[str, object] = {"request_sent": sent, "exception": type(exc).__name__}
    if method is not None:
        details["method"] = method
    return CanonicalError(
        kind=kind,
        message=message[0].upper() + message[1:],
        retryable=retryable,
        provider=provider,
        details=details,
    )


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        return ""


def _keys(cls: type) -> list[tuple[str, str]]:
    keys = []
    for base in cls.__mro__:
        module = getattr(base, "__module__", None) or ""
        keys.append((module.split(".", 1)[0], base.__name__))
    return keys


def _own_row(exc: BaseException) -> tuple[_Row, bool] | None:
    """(row, whether it is a generic wrapper) of the nearest known class, or None."""
    if isinstance(exc, httpx.TransportError):
        for cls in type(exc).__mro__:
            found = TRANSPORT_ERRORS.get(cls)
            if found is not None:
                return found, False
    for key in _keys(type(exc)):
        if key[0] == "httpx2":  # the SDKs' fork of httpx keeps httpx's class names
            key = ("httpx", key[1])  # noqa: PLW2901
            found = _HTTPX_BY_NAME.get(key[1])
        else:
            found = FOREIGN_TRANSPORT_ERRORS.get(key)
        if found is not None:
            return found, key in _WRAPPERS
    return None


def _row_of(exc: BaseException) -> _Row | None:
    """The row of `exc`, made precise by the exception a generic wrapper carries."""
    own = _own_row(exc)
    if own is None or not own[1]:
        return None if own is None else own[0]
    row = own[0]
    seen = {id(exc)}
    queue = list(_carried(exc))
    while queue and len(seen) < 16:
        inner = queue.pop(0)
        if id(inner) in seen:
            continue
        seen.add(id(inner))
        found = _own_row(inner)
        if found is not None and not found[1]:
            kind, sent, retryable, _ = found[0]
            # A timeout stays a timeout; the wrapper's text says what the caller saw.
            return (Kind.TIMEOUT if row[0] is Kind.TIMEOUT else kind), sent, retryable, row[3]
        queue.extend(_carried(inner))
    return row


def _attribute(obj: object, name: str) -> object:
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a property that raises carries nothing
        return None


def _carried(exc: BaseException) -> list[BaseException]:
    """The exceptions `exc` wraps.

    Its cause and context, urllib3's `reason`, botocore's `error`, google's `cause`, and the
    exceptions among its arguments.
    """
    found: list[object] = [exc.__cause__, exc.__context__]
    found.extend(_attribute(exc, name) for name in ("reason", "cause"))
    kwargs = getattr(exc, "kwargs", None)
    if isinstance(kwargs, dict):
        found.append(kwargs.get("error"))
    args = getattr(exc, "args", ())
    if isinstance(args, tuple):
        found.extend(args[:4])
    return [item for item in found if isinstance(item, BaseException)]


_HTTPX_BY_NAME: Final[Mapping[str, _Row]] = MappingProxyType(
    {cls.__name__: row for cls, row in TRANSPORT_ERRORS.items()}
)
