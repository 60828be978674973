"""OpenTelemetry instrumentation: span events and metrics for errors and retry decisions.

Active when `opentelemetry-api` is installed (the `otel` extra); without it every function here
is a no-op costing one attribute check. Nothing here configures OpenTelemetry: events go to the
span current when the error is seen (if it records), metrics to the global `MeterProvider`
(a no-op until the application installs the SDK), as the OpenTelemetry library guidelines ask.

Span events:

- `agent_errors.error`: every error a transport or the middleware normalizes, with the
  attributes of `otel_attributes`.
- `agent_errors.retry_decision`: every retry decision, with `agent_errors.retry`,
  `agent_errors.reason`, `agent_errors.attempt`, `agent_errors.delay` and `error.type`.

Metrics (counters, unit `{error}`, `{decision}`, …):

- `agent_errors.errors`: errors, by `error.type`, `agent_errors.provider` and the status.
  A provider that is neither a registered adapter nor a retry profile (an upstream can name
  any provider in a canonical error document) is counted as `other`: metric attributes stay
  few, and a body cannot put its own strings (or secrets) into them.
- `agent_errors.retry.decisions`: decisions, by `agent_errors.retry` and `agent_errors.reason`
  (retries by reason; `budget_exhausted` counts budget refusals).
- `agent_errors.cooldowns`: cooldowns set (`agent_errors.cooldown.action` = `set`) and requests
  refused during one (`refused`), by `agent_errors.provider`.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any, Final

from agent_errors._retrying._retry import PROFILE_NAMES

from ._otel import ERROR_TYPE, HTTP_STATUS, PROVIDER, otel_attributes

if TYPE_CHECKING:
    from agent_errors._core._model import CanonicalError
    from agent_errors._retrying._retry import Decision

try:  # the `otel` extra
    from opentelemetry import metrics as _metrics
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - exercised by the no-extra test run
    _metrics = None  # type: ignore[assignment]
    _trace = None  # type: ignore[assignment]

__all__ = ["ENABLED", "record_cooldown", "record_decision", "record_error"]

ENABLED: Final = _trace is not None
"""Whether `opentelemetry-api` is importable (else every function here does nothing)."""

EVENT_ERROR: Final = "agent_errors.error"
EVENT_DECISION: Final = "agent_errors.retry_decision"
RETRY: Final = "agent_errors.retry"
REASON: Final = "agent_errors.reason"
ATTEMPT: Final = "agent_errors.attempt"
DELAY: Final = "agent_errors.delay"
COOLDOWN_ACTION: Final = "agent_errors.cooldown.action"


class _Instruments:
    """The counters, made on first use from the global meter provider (it may be set late)."""

    def __init__(self) -> None:
        meter = _metrics.get_meter("agent_errors", metadata.version("agent-errors"))
        self.errors = meter.create_counter(
            "agent_errors.errors", unit="{error}", description="Errors normalized, by kind."
        )
        self.decisions = meter.create_counter(
            "agent_errors.retry.decisions",
            unit="{decision}",
            description="Retry decisions, by verdict and reason.",
        )
        self.cooldowns = meter.create_counter(
            "agent_errors.cooldowns",
            unit="{cooldown}",
            description="Shared cooldowns set, and requests refused during one.",
        )


_instruments: _Instruments | None = None


def _counters() -> _Instruments:
    global _instruments  # noqa: PLW0603 - made once, on first use
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


def _span() -> Any:
    span = _trace.get_current_span()
    return span if span.is_recording() else None


def record_error(error: CanonicalError) -> None:
    """Add an `agent_errors.error` event to the current span and count the error."""
    if not ENABLED:
        return
    span = _span()
    if span is not None:  # the attributes (redacted) only for a span that records them
        span.add_event(EVENT_ERROR, otel_attributes(error))
    counted: dict[str, str | int] = {
        ERROR_TYPE: error.kind.value,
        PROVIDER: _metric_provider(error.provider),
    }
    if error.status is not None:
        counted[HTTP_STATUS] = error.status
    _counters().errors.add(1, counted)


def record_decision(decision: Decision) -> None:
    """Add an `agent_errors.retry_decision` event to the current span and count it."""
    if not ENABLED:
        return
    span = _span()
    if span is not None:
        span.add_event(
            EVENT_DECISION,
            {
                RETRY: decision.retry,
                REASON: decision.reason,
                ATTEMPT: decision.attempt,
                DELAY: decision.delay,
                ERROR_TYPE: decision.kind.value,
            },
        )
    _counters().decisions.add(1, {RETRY: decision.retry, REASON: decision.reason})


def record_cooldown(action: str, provider: str | None) -> None:
    """Count a cooldown `set` by an error, or a request `refused` during one."""
    if not ENABLED:
        return
    _counters().cooldowns.add(
        1, {COOLDOWN_ACTION: action, PROVIDER: _metric_provider(provider or "generic")}
    )


def _metric_provider(name: str) -> str:
    """`name` when it is a registered adapter or a retry profile, else `other`."""
    if name in PROFILE_NAMES:
        return name
    try:
        _registry().get_adapter(name)
    except (ValueError, TypeError):
        return "other"
    return name


def _registry() -> Any:
    """The registry module, imported on first use (telemetry stays light to import)."""
    global _REGISTRY_MODULE  # noqa: PLW0603 - imported once
    if _REGISTRY_MODULE is None:
        from agent_errors._parsing import _registry as module  # noqa: PLC0415

        _REGISTRY_MODULE = module
    return _REGISTRY_MODULE


_REGISTRY_MODULE: Any = None
