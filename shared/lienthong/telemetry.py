"""OpenTelemetry: one trace follows a dossier across HTTP and Kafka hops.

The trace context travels inside the event envelope (`traceparent` extension). Publishing
records the current context; a consumer opens a "process" span from the event's context
around each handler, so whatever the handler publishes continues the same trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
_configured = False


def configure_tracing(service_name: str) -> None:
    """Install the SDK tracer provider once per process (idempotent).

    Without an exporter configured, spans are still created (ids propagate and appear in
    logs); an exporter can be added through the standard OTEL_* environment in deployment.
    """
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    trace.set_tracer_provider(provider)
    _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("lienthong")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def trace_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span in hex, if there is one."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


@contextmanager
def continued_span(name: str, traceparent: str | None, **attributes: str) -> Iterator[None]:
    """A span that continues the trace named by `traceparent` (or starts one)."""
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    token = otel_context.attach(parent) if parent is not None else None
    try:
        with tracer().start_as_current_span(
            name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield
    finally:
        if token is not None:
            otel_context.detach(token)
