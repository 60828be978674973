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
from ._registry import detect, get_adapter, register_adapter, register_host, registered_adapters
from ._serialize import converter, from_dict, from_json, json_schema, to_dict, to_json
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
    "NetworkError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ResponseView",
    "RunCancelledError",
    "RunFailedError",
    "UnavailableError",
    "UnknownAPIError",
    "__version__",
    "anormalize",
    "araise_for_error",
    "converter",
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
    "registered_adapters",
    "status_for_kind",
    "to_dict",
    "to_json",
]
