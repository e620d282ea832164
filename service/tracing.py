"""Optional OpenTelemetry tracing (--otel): a server span per HTTP request.

Off by default and imported only when enabled: the server does not depend on OpenTelemetry.
With --otel it needs opentelemetry-sdk (`pip install 'gradserve[otel]'`); the exporter follows
the standard variable OTEL_TRACES_EXPORTER: "otlp" (default; needs
opentelemetry-exporter-otlp-proto-http, endpoint from OTEL_EXPORTER_OTLP_*) or "console"
(JSON spans on stdout). A W3C `traceparent` header continues the caller's trace.
"""
from __future__ import annotations

import os

from .settings import ConfigError

_provider = None


def _exporter():
    kind = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ConfigError("--otel with OTEL_TRACES_EXPORTER=otlp needs opentelemetry-exporter-otlp-proto-http "
                              "(or set OTEL_TRACES_EXPORTER=console)") from None
        return OTLPSpanExporter()
    raise ConfigError(f"OTEL_TRACES_EXPORTER={kind!r} is not supported here (otlp or console)")


def setup() -> None:
    """The tracer provider (ConfigError when OpenTelemetry is missing: the server does not start)."""
    global _provider
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError("--otel needs opentelemetry-sdk: pip install 'gradserve[otel]'") from None
    name = os.environ.get("OTEL_SERVICE_NAME", "gradserve")
    _provider = TracerProvider(resource=Resource.create({"service.name": name}))
    _provider.add_span_processor(BatchSpanProcessor(_exporter()))
    trace.set_tracer_provider(_provider)


def shutdown() -> None:
    """Flush the spans still buffered (at exit)."""
    if _provider is not None:
        _provider.shutdown()


class TracingMiddleware:
    """ASGI: one SERVER span per HTTP request, named "METHOD path", with the status and request id."""

    def __init__(self, app):
        from opentelemetry import propagate, trace

        self.app = app
        self.tracer = trace.get_tracer("gradserve")
        self.propagate = propagate
        self.trace = trace

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        ctx = self.propagate.extract(headers)
        name = f"{scope['method']} {scope['path']}"
        with self.tracer.start_as_current_span(name, context=ctx, kind=self.trace.SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope["method"])
            span.set_attribute("url.path", scope["path"])
            if "x-request-id" in headers:
                span.set_attribute("gradserve.request_id", headers["x-request-id"])

            async def send_wrapper(message):
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(self.trace.Status(self.trace.StatusCode.ERROR))
                await send(message)
            await self.app(scope, receive, send_wrapper)
