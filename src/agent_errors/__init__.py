"""agent-errors: one canonical error for every agent-platform API, and when to retry it.

```python
import agent_errors as ae

error = ae.normalize(response)          # httpx.Response -> CanonicalError | None
if error is not None:
    print(error.kind, error.message, error.retry_after, error.request_id)
```
"""

from __future__ import annotations

import importlib
import typing
import warnings

if typing.TYPE_CHECKING:  # the names below are imported on first use (see `__getattr__`)
    from ._core._exceptions import (
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
    from ._core._model import CanonicalError, Kind, kind_for_status, status_for_kind
    from ._core._serialize import from_dict, from_json, json_schema, to_dict, to_json
    from ._core._sse import SSEEvent
    from ._core._testing_mode import is_testing, set_testing
    from ._parsing._network import error_from_exception
    from ._parsing._normalize import (
        anormalize,
        error_from_event,
        normalize,
        normalize_parts,
        normalize_view,
    )
    from ._parsing._raising import araise_for_error, raise_for_error
    from ._parsing._registry import (
        detect,
        get_adapter,
        provider_for_host,
        register_adapter,
        register_host,
        registered_adapters,
    )
    from ._parsing._render import render, render_response_text
    from ._retrying._redis_store import RedisStore
    from ._retrying._retry import RETRY_REASONS, Decision, Jitter, RetryBudget, RetryPolicy
    from ._retrying._store import MemoryStore, Store, credential_fingerprint, store_scope
    from ._serving._middleware import ErrorMiddleware
    from ._serving._otel import otel_attributes
    from ._serving._streams import (
        aiter_sse_events,
        araise_for_error_events,
        iter_sse_events,
        raise_for_error_events,
    )
    from ._serving._transport import AsyncRetryTransport, RetryRecord, RetryTransport

if typing.TYPE_CHECKING:
    __version__: str

# Public name -> the private module that defines it. `import agent_errors` imports none of them:
# a name's module is imported the first time the name is used, so the plugins that pytest and
# hypothesis load through entry points (and `agent-errors --help`) stay light.
_EXPORTS: dict[str, str] = {
    "APITimeoutError": "_core._exceptions",
    "AgentAPIError": "_core._exceptions",
    "AsyncRetryTransport": "_serving._transport",
    "AuthenticationError": "_core._exceptions",
    "CanonicalError": "_core._model",
    "ConcurrencyLimitedError": "_core._exceptions",
    "ConflictError": "_core._exceptions",
    "Decision": "_retrying._retry",
    "ErrorMiddleware": "_serving._middleware",
    "FeatureNotAvailableError": "_core._exceptions",
    "InternalServerError": "_core._exceptions",
    "InvalidRequestError": "_core._exceptions",
    "Jitter": "_retrying._retry",
    "Kind": "_core._model",
    "MemoryStore": "_retrying._store",
    "NetworkError": "_core._exceptions",
    "NotFoundError": "_core._exceptions",
    "PaymentRequiredError": "_core._exceptions",
    "PermissionDeniedError": "_core._exceptions",
    "RETRY_REASONS": "_retrying._retry",
    "RateLimitedError": "_core._exceptions",
    "RedisStore": "_retrying._redis_store",
    "RetryBudget": "_retrying._retry",
    "RetryPolicy": "_retrying._retry",
    "RetryRecord": "_serving._transport",
    "RetryTransport": "_serving._transport",
    "RunCancelledError": "_core._exceptions",
    "RunFailedError": "_core._exceptions",
    "SSEEvent": "_core._sse",
    "Store": "_retrying._store",
    "UnavailableError": "_core._exceptions",
    "UnknownAPIError": "_core._exceptions",
    "aiter_sse_events": "_serving._streams",
    "anormalize": "_parsing._normalize",
    "araise_for_error": "_parsing._raising",
    "araise_for_error_events": "_serving._streams",
    "credential_fingerprint": "_retrying._store",
    "detect": "_parsing._registry",
    "error_class": "_core._exceptions",
    "error_from_event": "_parsing._normalize",
    "error_from_exception": "_parsing._network",
    "from_dict": "_core._serialize",
    "from_json": "_core._serialize",
    "get_adapter": "_parsing._registry",
    "is_testing": "_core._testing_mode",
    "iter_sse_events": "_serving._streams",
    "json_schema": "_core._serialize",
    "kind_for_status": "_core._model",
    "normalize": "_parsing._normalize",
    "normalize_parts": "_parsing._normalize",
    "normalize_view": "_parsing._normalize",
    "otel_attributes": "_serving._otel",
    "provider_for_host": "_parsing._registry",
    "raise_for_error": "_parsing._raising",
    "raise_for_error_events": "_serving._streams",
    "register_adapter": "_parsing._registry",
    "register_host": "_parsing._registry",
    "registered_adapters": "_parsing._registry",
    "render": "_parsing._render",
    "render_response_text": "_parsing._render",
    "set_testing": "_core._testing_mode",
    "status_for_kind": "_core._model",
    "store_scope": "_retrying._store",
    "to_dict": "_core._serialize",
    "to_json": "_core._serialize",
}


# Names for adapter authors that moved from the top level to a submodule: still reachable here
# for now, with a DeprecationWarning that names their new home.
_MOVED: dict[str, str] = {
    "DEFAULT_BODY_CAP": "adapter_kit",
    "Headers": "adapter_kit",
    "ResponseView": "adapter_kit",
    "SSEDecoder": "adapter_kit",
    "converter": "schema",
}


# Public submodules, reachable as attributes (`ae.testing`) like any imported submodule.
_SUBMODULES = frozenset(
    {"adapter_kit", "adapters", "schema", "stamina", "strategies", "tenacity", "testing"}
)


def __getattr__(name: str) -> typing.Any:
    if name == "__version__":  # pyproject.toml is the one place that says it
        from importlib.metadata import version  # noqa: PLC0415 - only when asked

        globals()[name] = found = version("agent-errors")
        return found
    moved = _MOVED.get(name)
    if moved is not None:
        warnings.warn(
            f"agent_errors.{name} is deprecated: import it from agent_errors.{moved}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(f"{__name__}.{moved}"), name)
    module = _EXPORTS.get(name)
    if module is None:
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        msg = f"module 'agent_errors' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
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
    "RetryBudget",
    "RetryPolicy",
    "RetryRecord",
    "RetryTransport",
    "RunCancelledError",
    "RunFailedError",
    "SSEEvent",
    "Store",
    "UnavailableError",
    "UnknownAPIError",
    "__version__",
    "aiter_sse_events",
    "anormalize",
    "araise_for_error",
    "araise_for_error_events",
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
