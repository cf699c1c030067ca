//! Logs, traces and metrics.
//!
//! Logs go to stderr. Traces go to an OpenTelemetry collector over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and
//! nowhere otherwise: every request is a span whose trace id is on each of its log lines,
//! and its processor calls are spans within it.

mod metrics;
mod traces;

pub use self::metrics::{CallOutcome, Metrics};
pub use self::traces::{current_trace_parent, delivery_span, request_span};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What must be flushed before the process exits: the spans not yet exported.
#[must_use = "dropping it flushes and stops the trace exporter"]
pub struct Telemetry {
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("could not flush the last traces: {error}");
        }
    }
}

/// Starts logging to stderr, filtered by `RUST_LOG` (default `info`), and traces when an
/// OTLP endpoint is set. Call it before the async runtime starts: the trace exporter runs
/// on a thread of its own with a blocking HTTP client.
pub fn init() -> Telemetry {
    init_with_default("info")
}

/// Starts logging with `default` as the filter when `RUST_LOG` is unset.
pub fn init_with_default(default: &str) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log file or a collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let (layer, traces) = match traces::exporter() {
        Ok(Some((layer, provider))) => (Some(layer), Some(provider)),
        Ok(None) => (None, None),
        Err(error) => {
            eprintln!("traces are off: {error:#}");
            (None, None)
        }
    };
    // A second init (tests start many apps) is harmless: keep the first subscriber.
    // The filter is global: it holds for the trace layer too, below it.
    let _ = tracing_subscriber::registry().with(layer).with(filter).with(logs).try_init();
    Telemetry { traces }
}
