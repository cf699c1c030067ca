//! Logs and metrics.
//!
//! Metrics are plain atomics rendered in Prometheus' text format at `/metrics`: few enough
//! that a metrics crate would cost more build time than it saves. Each app instance has its
//! own set, so tests running several instances in one process read their own figures.

use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::EnvFilter;

/// Starts logging to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init() {
    init_with_default("info");
}

/// Starts logging with `default` as the filter when `RUST_LOG` is unset.
pub fn init_with_default(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A second init (tests start many apps) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Counters of one app instance.
#[derive(Debug, Default)]
pub struct Metrics {
    db_statements: AtomicU64,
    graphql_requests: AtomicU64,
    events_published: AtomicU64,
    events_publish_failed: AtomicU64,
}

impl Metrics {
    pub fn count_statement(&self) {
        self.db_statements.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_graphql_request(&self) {
        self.graphql_requests.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_event_published(&self) {
        self.events_published.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_event_publish_failed(&self) {
        self.events_publish_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let counters = [
            ("paygraph_db_statements_total", "SQL statements sent to the database", &self.db_statements),
            ("paygraph_graphql_requests_total", "GraphQL operations executed over HTTP", &self.graphql_requests),
            ("paygraph_events_published_total", "session events handed to the bus", &self.events_published),
            (
                "paygraph_events_publish_failed_total",
                "session events the bus refused (left to the outbox relay)",
                &self.events_publish_failed,
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
