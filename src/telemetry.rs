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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log file or a collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Counters of one app instance.
#[derive(Debug, Default)]
pub struct Metrics {
    db_statements: AtomicU64,
    graphql_requests: AtomicU64,
    events_published: AtomicU64,
    events_publish_failed: AtomicU64,
    events_relayed: AtomicU64,
    attempts_reconciled: AtomicU64,
    events_delivered: AtomicU64,
    sessions_expired: AtomicU64,
    subscriptions_prepared: AtomicU64,
    throttled: AtomicU64,
    cost_throttled: AtomicU64,
    throttle_shared_unavailable: AtomicU64,
    auth_failures: AtomicU64,
    /// Gauges: rise and fall.
    sockets_connected: AtomicU64,
    subscriptions_active: AtomicU64,
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

    pub fn count_event_relayed(&self) {
        self.events_relayed.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_attempt_reconciled(&self) {
        self.attempts_reconciled.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_event_delivered(&self) {
        self.events_delivered.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_session_expired(&self) {
        self.sessions_expired.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_subscription_prepared(&self) {
        self.subscriptions_prepared.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_cost_throttled(&self) {
        self.cost_throttled.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_throttle_shared_unavailable(&self) {
        self.throttle_shared_unavailable.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }
    pub fn socket_opened(&self) {
        self.sockets_connected.fetch_add(1, Ordering::Relaxed);
    }
    pub fn socket_closed(&self) {
        self.sockets_connected.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn subscription_opened(&self) {
        self.subscriptions_active.fetch_add(1, Ordering::Relaxed);
    }
    pub fn subscription_closed(&self) {
        self.subscriptions_active.fetch_sub(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter and gauge.
    pub fn render(&self) -> String {
        let series = [
            ("paygraph_db_statements_total", "counter", "SQL statements sent to the database", &self.db_statements),
            (
                "paygraph_graphql_requests_total",
                "counter",
                "GraphQL operations executed over HTTP",
                &self.graphql_requests,
            ),
            ("paygraph_events_published_total", "counter", "session events handed to the bus", &self.events_published),
            (
                "paygraph_events_publish_failed_total",
                "counter",
                "session events the bus refused (left to the outbox relay)",
                &self.events_publish_failed,
            ),
            (
                "paygraph_events_relayed_total",
                "counter",
                "session events published by the outbox relay",
                &self.events_relayed,
            ),
            ("paygraph_events_delivered_total", "counter", "event frames sent to subscribers", &self.events_delivered),
            (
                "paygraph_subscriptions_prepared_total",
                "counter",
                "subscription documents validated and parsed for shared execution",
                &self.subscriptions_prepared,
            ),
            (
                "paygraph_attempts_reconciled_total",
                "counter",
                "attempts whose lost outcome was settled by asking the processor",
                &self.attempts_reconciled,
            ),
            (
                "paygraph_sessions_expired_total",
                "counter",
                "sessions the expiry sweeper expired",
                &self.sessions_expired,
            ),
            ("paygraph_throttled_total", "counter", "requests refused by a rate limit", &self.throttled),
            (
                "paygraph_cost_throttled_total",
                "counter",
                "operations refused because their cost was more than the credential's bucket held",
                &self.cost_throttled,
            ),
            (
                "paygraph_throttle_shared_unavailable_total",
                "counter",
                "checks of a shared limit Redis did not answer in time (the local limit stood)",
                &self.throttle_shared_unavailable,
            ),
            (
                "paygraph_auth_failures_total",
                "counter",
                "credentials presented that open nothing (forged, revoked, expired); not stored one by one",
                &self.auth_failures,
            ),
            ("paygraph_websockets_connected", "gauge", "open GraphQL WebSocket connections", &self.sockets_connected),
            (
                "paygraph_subscriptions_active",
                "gauge",
                "live subscriptions on this instance",
                &self.subscriptions_active,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in series {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
