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
from ._model import CanonicalError, Kind, kind_for_status, status_for_kind
from ._normalize import anormalize, normalize, normalize_parts, normalize_view
from ._raising import araise_for_error, raise_for_error
from ._redis_store import RedisStore
from ._registry import adapters, detect, get_adapter, register_adapter, register_host
from ._serialize import converter, from_dict, from_json, json_schema, to_dict, to_json
from ._store import MemoryStore, Store, credential_fingerprint, store_scope
from ._view import DEFAULT_BODY_CAP, Headers, ResponseView

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_BODY_CAP",
    "APITimeoutError",
    "AgentAPIError",
    "AuthenticationError",
    "CanonicalError",
    "ConcurrencyLimitedError",
    "ConflictError",
    "FeatureNotAvailableError",
    "Headers",
    "InternalServerError",
    "InvalidRequestError",
    "Kind",
    "MemoryStore",
    "NetworkError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RedisStore",
    "ResponseView",
    "RunCancelledError",
    "RunFailedError",
    "Store",
    "UnavailableError",
    "UnknownAPIError",
    "__version__",
    "adapters",
    "anormalize",
    "araise_for_error",
    "converter",
    "credential_fingerprint",
    "detect",
    "error_class",
    "from_dict",
    "from_json",
    "get_adapter",
    "json_schema",
    "kind_for_status",
    "normalize",
    "normalize_parts",
    "normalize_view",
    "raise_for_error",
    "register_adapter",
    "register_host",
    "status_for_kind",
    "store_scope",
    "to_dict",
    "to_json",
]
