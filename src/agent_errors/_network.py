"""The one place httpx's transport exceptions become canonical errors.

No HTTP response came back, so the error's kind is `network` or `timeout`, its status is None,
and `details["request_sent"]` says whether the request may have reached the server: a request
never sent (connect failure, no free connection) is safe to send again with any method; one that
may have been sent (read timeout, reset after sending) only when it is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import httpx

from . import _redact
from ._model import CanonicalError, Kind

__all__ = ["TRANSPORT_ERRORS", "error_from_exception"]

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


def error_from_exception(
    exc: BaseException, *, provider: str = "generic", method: str | None = None
) -> CanonicalError:
    """Return the canonical error for an httpx transport exception (no HTTP response).

    Subclasses not in `TRANSPORT_ERRORS` use their nearest listed base, so an exception added
    by a later httpx still maps (as "may have been sent": the safe assumption).

    Returns:
        A `CanonicalError` of kind `network` or `timeout`, status None, with `details`
        `request_sent`, `exception` and, when given, `method`.

    Raises:
        TypeError: `exc` is not an `httpx.TransportError`.
    """
    if not isinstance(exc, httpx.TransportError):
        msg = f"expected an httpx.TransportError, not {type(exc).__name__}"
        raise TypeError(msg)
    row = TRANSPORT_ERRORS[httpx.TransportError]
    for cls in type(exc).__mro__:
        found = TRANSPORT_ERRORS.get(cls)
        if found is not None:
            row = found
            break
    kind, sent, retryable, text = row
    detail = _redact.redact(str(exc)).strip()
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
