"""One in-memory OpenTelemetry SDK for these tests: a tracer provider and a metric reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

sdk_metrics = pytest.importorskip("opentelemetry.sdk.metrics")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")

from opentelemetry import metrics  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

_READER = InMemoryMetricReader()
# The global meter provider can be set once per process; agent-errors' meter is a proxy that
# follows it, whenever it is set.
metrics.set_meter_provider(sdk_metrics.MeterProvider(metric_readers=[_READER]))


@pytest.fixture
def spans() -> Iterator[tuple[object, InMemorySpanExporter]]:
    """A tracer (of a provider of its own) and the exporter that keeps its finished spans."""
    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("tests"), exporter
    provider.shutdown()


def counts(name: str) -> dict[tuple[tuple[str, object], ...], int]:
    """The current value of counter `name`, per attribute set (cumulative since start)."""
    data = _READER.get_metrics_data()
    found: dict[tuple[tuple[str, object], ...], int] = {}
    if data is None:
        return found
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    found[tuple(sorted(point.attributes.items()))] = int(point.value)
    return found
