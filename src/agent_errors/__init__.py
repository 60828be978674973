"""agent-errors: one canonical error for every agent-platform API, and when to retry it.

```python
import agent_errors as ae

error = ae.normalize(response)          # httpx.Response -> CanonicalError | None
if error is not None:
    print(error.kind, error.message, error.retry_after, error.request_id)
```
"""

from __future__ import annotations

from ._exceptions import (
    AgentAPIError,
    APITimeoutError,
    AuthenticationError,
    ConcurrencyLimitedError,
    ConflictError,
    FeatureNotAvailableError,
    InternalServerError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitedError,
    RunCancelledError,
    RunFailedError,
    UnavailableError,
    UnknownAPIError,
    error_class,
)
from ._middleware import ErrorMiddleware
from ._model import CanonicalError, Kind, kind_for_status, status_for_kind
from ._network import error_from_exception
from ._normalize import anormalize, normalize, normalize_parts, normalize_view
from ._otel import otel_attributes
from ._raising import araise_for_error, raise_for_error
from ._redis_store import RedisStore
from ._registry import (
    detect,
    get_adapter,
    provider_for_host,
    register_adapter,
    register_host,
    registered_adapters,
)
from ._render import render, render_response_text
from ._retry import RETRY_REASONS, Decision, Jitter, RetryBudget, RetryPolicy
from ._serialize import converter, from_dict, from_json, json_schema, to_dict, to_json
from ._sse import (
    SSEDecoder,
    SSEEvent,
    aiter_sse_events,
    araise_for_error_events,
    error_from_event,
    iter_sse_events,
    raise_for_error_events,
)
from ._store import MemoryStore, Store, credential_fingerprint, store_scope
from ._testing_mode import is_testing, set_testing
from ._transport import AsyncRetryTransport, RetryRecord, RetryTransport
from ._view import DEFAULT_BODY_CAP, Headers, ResponseView

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_BODY_CAP",
    "RETRY_REASONS",
    "APITimeoutError",
    "AgentAPIError",
    "AsyncRetryTransport",
    "AuthenticationError",
    "CanonicalError",
    "ConcurrencyLimitedError",
    "ConflictError",
    "Decision",
    "ErrorMiddleware",
    "FeatureNotAvailableError",
    "Headers",
    "InternalServerError",
    "InvalidRequestError",
    "Jitter",
    "Kind",
    "MemoryStore",
    "NetworkError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RedisStore",
    "ResponseView",
    "RetryBudget",
    "RetryPolicy",
    "RetryRecord",
    "RetryTransport",
    "RunCancelledError",
    "RunFailedError",
    "SSEDecoder",
    "SSEEvent",
    "Store",
    "UnavailableError",
    "UnknownAPIError",
    "__version__",
    "aiter_sse_events",
    "anormalize",
    "araise_for_error",
    "araise_for_error_events",
    "converter",
    "credential_fingerprint",
    "detect",
    "error_class",
    "error_from_event",
    "error_from_exception",
    "from_dict",
    "from_json",
    "get_adapter",
    "is_testing",
    "iter_sse_events",
    "json_schema",
    "kind_for_status",
    "normalize",
    "normalize_parts",
    "normalize_view",
    "otel_attributes",
    "provider_for_host",
    "raise_for_error",
    "raise_for_error_events",
    "register_adapter",
    "register_host",
    "registered_adapters",
    "render",
    "render_response_text",
    "set_testing",
    "status_for_kind",
    "store_scope",
    "to_dict",
    "to_json",
]
