//! Traces: one span per HTTP request, continued from the caller's `traceparent` when it
//! sends one (W3C Trace Context), exported over OTLP/HTTP when configured.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Whether spans go to a collector (set once, at start).
static EXPORTING: AtomicBool = AtomicBool::new(false);

type Layer = tracing_opentelemetry::OpenTelemetryLayer<tracing_subscriber::Registry, opentelemetry_sdk::trace::Tracer>;

/// The OpenTelemetry layer and its provider, when an OTLP endpoint is configured.
pub(super) fn exporter() -> anyhow::Result<Option<(Layer, SdkTracerProvider)>> {
    let configured = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    if !configured {
        return Ok(None);
    }
    // The endpoint, headers, timeout and batch sizes come from the standard OTEL_* variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name("paygraph").build();
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("paygraph"));
    EXPORTING.store(true, Ordering::Relaxed);
    Ok(Some((layer, provider)))
}

/// The span of one HTTP request. Its `trace_id` field (on every log line inside it) is the
/// exported trace's id, or a random one when nothing is exported. Only the path's first
/// segment is kept: the rest may be a secret (`/pay/<client secret>`).
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let path = request.uri().path();
    let route = path.get(..path[1..].find('/').map_or(path.len(), |end| end + 1)).unwrap_or(path);
    let span = tracing::info_span!("request", method = %request.method(), route, trace_id = tracing::field::Empty);
    if span.is_disabled() {
        return span;
    }
    if EXPORTING.load(Ordering::Relaxed) {
        let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
        let _ = span.set_parent(parent);
        let trace_id = span.context().span().span_context().trace_id();
        span.record("trace_id", tracing::field::display(trace_id));
    } else {
        span.record("trace_id", tracing::field::display(crate::domain::hex(&rand::random::<[u8; 16]>())));
    }
    span
}

/// The current span's place in its trace as a W3C `traceparent`, when traces are exported.
pub fn current_trace_parent() -> Option<String> {
    if !EXPORTING.load(Ordering::Relaxed) {
        return None;
    }
    let context = tracing::Span::current().context();
    let span = context.span();
    let at = span.span_context();
    at.is_valid().then(|| format!("00-{}-{}-{:02x}", at.trace_id(), at.span_id(), at.trace_flags().to_u8()))
}

/// The span of one webhook delivery attempt, in the trace of the change that made its event
/// (`trace_parent`, kept with the event) when there is one.
pub fn delivery_span(trace_parent: Option<&str>, event: &str) -> tracing::Span {
    let span = tracing::info_span!("webhook delivery", event);
    if let Some(parent) = trace_parent.filter(|_| EXPORTING.load(Ordering::Relaxed) && !span.is_disabled()) {
        let mut carrier = std::collections::HashMap::new();
        carrier.insert("traceparent".to_owned(), parent.to_owned());
        let _ = span.set_parent(TraceContextPropagator::new().extract(&carrier));
    }
    span
}

/// A request's headers, as the propagator reads them.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}
