"""OpenTelemetry span attributes for an error, without depending on OpenTelemetry.

`error.type` and `http.response.status_code` are the semantic-convention names; the provider's
own code, the provider and the retry hints have no convention of their own, so they live under
the `agent_errors.` namespace, as the conventions ask of library-specific attributes.
"""

from __future__ import annotations

from typing import Final

from agent_errors._core._model import CanonicalError
from agent_errors._core._redact import redact

__all__ = ["otel_attributes"]

ERROR_TYPE: Final = "error.type"
HTTP_STATUS: Final = "http.response.status_code"
CODE: Final = "agent_errors.code"
PROVIDER: Final = "agent_errors.provider"
RETRYABLE: Final = "agent_errors.retryable"
RETRY_AFTER: Final = "agent_errors.retry_after"
REQUEST_ID: Final = "agent_errors.request_id"


def otel_attributes(error: CanonicalError) -> dict[str, str | int | float | bool]:
    """Return span attributes for `error`, ready for `span.set_attributes(...)`.

    Always: `error.type` (the kind, e.g. `rate_limited`), `agent_errors.provider` and
    `agent_errors.retryable`. When known: `http.response.status_code`, `agent_errors.code` (the
    provider's code, verbatim), `agent_errors.retry_after` (seconds) and
    `agent_errors.request_id`. Attribute values are never None, as OpenTelemetry requires.
    String values are redacted (`[REDACTED]` for a credential), also for an error built by hand.
    """
    attributes: dict[str, str | int | float | bool] = {
        ERROR_TYPE: error.kind.value,
        PROVIDER: redact(error.provider),
        RETRYABLE: error.retryable,
    }
    if error.status is not None:
        attributes[HTTP_STATUS] = error.status
    if error.code is not None:
        attributes[CODE] = redact(error.code)
    if error.retry_after is not None:
        attributes[RETRY_AFTER] = error.retry_after
    if error.request_id is not None:
        attributes[REQUEST_ID] = redact(error.request_id)
    return attributes
