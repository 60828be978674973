"""Exceptions: one base class, one subclass per kind.

```
AgentAPIError                      .error (CanonicalError), .response (httpx.Response | None)
├── InvalidRequestError            invalid_request
├── AuthenticationError            authentication
├── PermissionDeniedError          permission
├── NotFoundError                  not_found
├── ConflictError                  conflict
├── PaymentRequiredError           payment_required
├── RateLimitedError               rate_limited
│   └── ConcurrencyLimitedError    concurrency_limited
├── FeatureNotAvailableError       feature_not_available
├── APITimeoutError                timeout
├── UnavailableError               unavailable
├── InternalServerError            internal
├── NetworkError                   network
├── RunCancelledError              cancelled
├── RunFailedError                 run_failed
└── UnknownAPIError                unknown
```

`ConcurrencyLimitedError` derives from `RateLimitedError`, so `except RateLimitedError` catches
both 429 kinds. Misuse of the library's API raises `TypeError`/`ValueError`, never these.

`str()` of an exception is one line: control and format characters from the upstream's message
(CR, LF, ESC, bidi overrides) are written as visible escapes. `.error` keeps the text as it came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

from ._escape import escape_text
from ._model import CanonicalError, Kind

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APITimeoutError",
    "AgentAPIError",
    "AuthenticationError",
    "ConcurrencyLimitedError",
    "ConflictError",
    "FeatureNotAvailableError",
    "InternalServerError",
    "InvalidRequestError",
    "NetworkError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RunCancelledError",
    "RunFailedError",
    "UnavailableError",
    "UnknownAPIError",
    "error_class",
]


class AgentAPIError(Exception):
    """An agent-platform API reported an error.

    Attributes:
        error: The `CanonicalError`.
        response: The `httpx.Response` it came from, when there was one.

    Raises:
        TypeError: `error` is not a `CanonicalError` (on construction).
    """

    kind: ClassVar[Kind | None] = None

    def __init__(self, error: CanonicalError, response: httpx.Response | None = None) -> None:
        if not isinstance(error, CanonicalError):  # checked at run time: callers may be untyped
            msg = f"error must be a CanonicalError, not {type(error).__name__}"  # type: ignore[unreachable]
            raise TypeError(msg)
        # The message comes from upstream: no CR, LF or ESC of it may reach a log or terminal.
        super().__init__(escape_text(str(error)))
        self.error = error
        self.response = response

    @classmethod
    def from_error(
        cls, error: CanonicalError, response: httpx.Response | None = None
    ) -> AgentAPIError:
        """Return an instance of the subclass for `error.kind`."""
        return _BY_KIND[error.kind](error, response)

    @property
    def retryable(self) -> bool:
        """Shortcut for `self.error.retryable`."""
        return self.error.retryable

    @property
    def retry_after(self) -> float | None:
        """Shortcut for `self.error.retry_after`."""
        return self.error.retry_after

    @property
    def request_id(self) -> str | None:
        """Shortcut for `self.error.request_id`."""
        return self.error.request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The response (sockets, streams) does not pickle; the error does.
        return (type(self), (self.error,))


class InvalidRequestError(AgentAPIError):
    """The request was malformed or a parameter was invalid or missing."""

    kind = Kind.INVALID_REQUEST


class AuthenticationError(AgentAPIError):
    """Credentials were missing, malformed, expired or revoked."""

    kind = Kind.AUTHENTICATION


class PermissionDeniedError(AgentAPIError):
    """Authenticated, but not allowed to do this."""

    kind = Kind.PERMISSION


class NotFoundError(AgentAPIError):
    """The resource or route does not exist."""

    kind = Kind.NOT_FOUND


class ConflictError(AgentAPIError):
    """The request conflicts with the resource's state (duplicate, reused idempotency key, ...)."""

    kind = Kind.CONFLICT


class PaymentRequiredError(AgentAPIError):
    """Out of credits, quota or budget: waiting will not help."""

    kind = Kind.PAYMENT_REQUIRED


class RateLimitedError(AgentAPIError):
    """Too many requests in a window: waiting helps."""

    kind = Kind.RATE_LIMITED


class ConcurrencyLimitedError(RateLimitedError):
    """Too many runs or streams at once: retry when one finishes."""

    kind = Kind.CONCURRENCY_LIMITED


class FeatureNotAvailableError(AgentAPIError):
    """The feature needs activation (for example a beta header)."""

    kind = Kind.FEATURE_NOT_AVAILABLE


class APITimeoutError(AgentAPIError):
    """The server or a gateway timed out."""

    kind = Kind.TIMEOUT


class UnavailableError(AgentAPIError):
    """The service is overloaded or temporarily down."""

    kind = Kind.UNAVAILABLE


class InternalServerError(AgentAPIError):
    """The server failed unexpectedly."""

    kind = Kind.INTERNAL


class NetworkError(AgentAPIError):
    """No HTTP response arrived: connect failure, reset or read timeout."""

    kind = Kind.NETWORK


class RunCancelledError(AgentAPIError):
    """The caller or user cancelled the run."""

    kind = Kind.CANCELLED


class RunFailedError(AgentAPIError):
    """An agent run failed on its own terms (iterations, verification, workspace)."""

    kind = Kind.RUN_FAILED


class UnknownAPIError(AgentAPIError):
    """An error with no recognizable code and no status that implies a kind."""

    kind = Kind.UNKNOWN


_BY_KIND: Final[dict[Kind, type[AgentAPIError]]] = {
    cls.kind: cls
    for cls in (
        InvalidRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        PaymentRequiredError,
        RateLimitedError,
        ConcurrencyLimitedError,
        FeatureNotAvailableError,
        APITimeoutError,
        UnavailableError,
        InternalServerError,
        NetworkError,
        RunCancelledError,
        RunFailedError,
        UnknownAPIError,
    )
    if cls.kind is not None
}


def error_class(kind: Kind | str) -> type[AgentAPIError]:
    """Return the exception class for a kind (or its string value).

    Raises:
        ValueError: `kind` is not a kind.
    """
    return _BY_KIND[Kind(kind)]
