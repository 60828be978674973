"""The canonical error model: `Kind`, `CanonicalError` and the table that ties kinds to statuses."""

from __future__ import annotations

import enum
import http
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

__all__ = ["CanonicalError", "Kind", "kind_for_status", "status_for_kind", "status_phrase"]


class Kind(str, enum.Enum):
    """What went wrong, independent of the provider that said it.

    A `str` enum: `Kind("rate_limited") is Kind.RATE_LIMITED`, and a kind compares equal
    to its value.
    """

    INVALID_REQUEST = "invalid_request"
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PAYMENT_REQUIRED = "payment_required"
    RATE_LIMITED = "rate_limited"
    CONCURRENCY_LIMITED = "concurrency_limited"
    FEATURE_NOT_AVAILABLE = "feature_not_available"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    NETWORK = "network"
    CANCELLED = "cancelled"
    RUN_FAILED = "run_failed"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    @property
    def retryable(self) -> bool:
        """Whether errors of this kind are transient by nature."""
        return self in _RETRYABLE_KINDS

    @property
    def default_status(self) -> int | None:
        """The HTTP status a response of this kind most typically carries, if any."""
        return _KIND_STATUS.get(self)


_RETRYABLE_KINDS: Final = frozenset(
    {
        Kind.RATE_LIMITED,
        Kind.CONCURRENCY_LIMITED,
        Kind.TIMEOUT,
        Kind.UNAVAILABLE,
        Kind.INTERNAL,
        Kind.NETWORK,
    }
)

_KIND_STATUS: Final[Mapping[Kind, int]] = MappingProxyType(
    {
        Kind.INVALID_REQUEST: 400,
        Kind.AUTHENTICATION: 401,
        Kind.PAYMENT_REQUIRED: 402,
        Kind.PERMISSION: 403,
        Kind.NOT_FOUND: 404,
        Kind.CONFLICT: 409,
        Kind.RATE_LIMITED: 429,
        Kind.CONCURRENCY_LIMITED: 429,
        Kind.INTERNAL: 500,
        Kind.FEATURE_NOT_AVAILABLE: 501,
        Kind.UNAVAILABLE: 503,
        Kind.TIMEOUT: 504,
        Kind.CANCELLED: 499,
        Kind.UNKNOWN: 500,
    }
)

# Statuses whose meaning implies a kind. Anything else in 4xx is a client error the caller
# must fix (invalid_request); anything else in 5xx is a server failure (internal).
_STATUS_KIND: Final[Mapping[int, Kind]] = MappingProxyType(
    {
        401: Kind.AUTHENTICATION,
        402: Kind.PAYMENT_REQUIRED,
        403: Kind.PERMISSION,
        404: Kind.NOT_FOUND,
        407: Kind.AUTHENTICATION,
        408: Kind.TIMEOUT,
        409: Kind.CONFLICT,
        410: Kind.NOT_FOUND,
        412: Kind.CONFLICT,
        423: Kind.CONFLICT,
        425: Kind.UNAVAILABLE,
        429: Kind.RATE_LIMITED,
        451: Kind.PERMISSION,
        499: Kind.CANCELLED,
        501: Kind.FEATURE_NOT_AVAILABLE,
        502: Kind.UNAVAILABLE,
        503: Kind.UNAVAILABLE,
        504: Kind.TIMEOUT,
        509: Kind.RATE_LIMITED,
        511: Kind.AUTHENTICATION,
        521: Kind.UNAVAILABLE,
        522: Kind.TIMEOUT,
        523: Kind.UNAVAILABLE,
        524: Kind.TIMEOUT,
        525: Kind.UNAVAILABLE,
        526: Kind.UNAVAILABLE,
        527: Kind.UNAVAILABLE,
        529: Kind.UNAVAILABLE,
        530: Kind.UNAVAILABLE,
        598: Kind.TIMEOUT,
        599: Kind.TIMEOUT,
    }
)


def kind_for_status(status: int | None) -> Kind:
    """Return the kind an HTTP status implies on its own.

    Unlisted 4xx statuses are `invalid_request`, unlisted 5xx are `internal`; statuses outside
    400-599 (and None) imply nothing, so they are `unknown`.
    """
    if status is None:
        return Kind.UNKNOWN
    kind = _STATUS_KIND.get(status)
    if kind is not None:
        return kind
    if 400 <= status < 500:
        return Kind.INVALID_REQUEST
    if 500 <= status < 600:
        return Kind.INTERNAL
    return Kind.UNKNOWN


def status_for_kind(kind: Kind) -> int:
    """Return the HTTP status to send for `kind` when no other status is known (500 for network)."""
    return _KIND_STATUS.get(kind, 500)


def status_phrase(status: int | None) -> str:
    """Return 'HTTP 429 Too Many Requests' style text for a status, tolerating odd values."""
    if status is None:
        return "Error"
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _to_kind(value: Kind | str) -> Kind:
    # Kind(value) goes through the enum metaclass even for a Kind: skip it in the common case.
    return value if type(value) is Kind else Kind(value)


def _freeze_details(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is None:
        return _EMPTY
    if isinstance(value, dict):
        return value
    return dict(value)


_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


_DEFAULT_RETRYABLE: Final[Any] = attrs.NOTHING  # `retryable` not given: the kind's


@attrs.frozen(slots=True, repr=False, init=False)
class CanonicalError:
    """One error from any agent platform, in one shape.

    Attributes:
        kind: What went wrong (see `Kind`); its string value is accepted too.
        message: Human-readable text; never empty, secrets redacted.
        param: The offending request parameter or header, when known.
        retryable: Whether the error is transient by nature. The retry engine adds method,
            idempotency and budget on top.
        retry_after: Seconds the server asked the caller to wait (>= 0), or None.
        request_id: The provider's request id, to quote in support tickets.
        status: The HTTP status; None for errors found in run results or stream events.
        code: The provider's own code or type, verbatim.
        provider: Name of the adapter that parsed the error.
        details: Provider extras (field errors, limits, credits, scopes, hint sources, ...).

    Raises:
        ValueError: `kind` is not a kind.
    """

    kind: Kind = attrs.field(converter=_to_kind)
    message: str
    param: str | None = None
    retryable: bool = attrs.field(
        default=attrs.Factory(lambda self: self.kind.retryable, takes_self=True)
    )
    retry_after: float | None = None
    request_id: str | None = None
    status: int | None = None
    code: str | None = None
    provider: str = "generic"
    details: Mapping[str, Any] = attrs.field(
        default=_EMPTY, converter=_freeze_details, eq=True, hash=False
    )

    # The constructor attrs would write (same parameters, converters and default), setting the
    # slots through their descriptors: an error is built on every normalization, and this is
    # about a quarter cheaper than attrs' frozen `__setattr__` lookups.
    def __init__(  # noqa: PLR0917 - one parameter per field, as attrs would generate
        self,
        kind: Kind | str,
        message: str,
        param: str | None = None,
        retryable: bool = _DEFAULT_RETRYABLE,
        retry_after: float | None = None,
        request_id: str | None = None,
        status: int | None = None,
        code: str | None = None,
        provider: str = "generic",
        details: Mapping[str, Any] | None = _EMPTY,
    ) -> None:
        if type(kind) is not Kind:
            kind = Kind(kind)
        _set_kind(self, kind)
        _set_message(self, message)
        _set_param(self, param)
        _set_retryable(
            self, kind in _RETRYABLE_KINDS if retryable is _DEFAULT_RETRYABLE else retryable
        )
        _set_retry_after(self, retry_after)
        _set_request_id(self, request_id)
        _set_status(self, status)
        _set_code(self, code)
        _set_provider(self, provider)
        _set_details(self, details if type(details) is dict else _freeze_details(details))

    def __repr__(self) -> str:
        parts = [f"kind={self.kind.value!r}", f"message={self.message!r}"]
        for name in ("param", "retry_after", "request_id", "status", "code"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        parts.append(f"retryable={self.retryable!r}")
        parts.append(f"provider={self.provider!r}")
        if self.details:
            parts.append(f"details={dict(self.details)!r}")
        return f"CanonicalError({', '.join(parts)})"

    def __str__(self) -> str:
        head = f"[{self.kind.value}]"
        if self.status is not None:
            head += f" {self.status}"
        text = f"{head} {self.message}"
        if self.param:
            text += f" (param: {self.param})"
        if self.request_id:
            text += f" [request id: {self.request_id}]"
        return text


# The slots' own setters (a frozen class's `__setattr__` refuses): used by `__init__` only.
(
    _set_kind,
    _set_message,
    _set_param,
    _set_retryable,
    _set_retry_after,
    _set_request_id,
    _set_status,
    _set_code,
    _set_provider,
    _set_details,
) = (vars(CanonicalError)[field.name].__set__ for field in attrs.fields(CanonicalError))
