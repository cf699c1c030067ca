//! Counters, gauges and latency histograms of one app instance, through the `metrics`
//! facade into a Prometheus recorder of the instance's own (not the process-wide one: tests
//! run many instances in one process, and each reads its own figures at `/metrics`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, Label, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Upper bounds of every latency histogram, in seconds: a statement or a cached read at the
/// low end, a processor that keeps a payment waiting its 30 s at the high end.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Distinct operation names one instance keeps a histogram of; later ones count as `other`
/// (a client names its operations, and must not grow the server's memory without end).
const OPERATION_NAMES: usize = 200;

const STATEMENT_SECONDS: &str = "paygraph_db_statement_duration_seconds";
const OPERATION_SECONDS: &str = "paygraph_graphql_operation_duration_seconds";
const PROCESSOR_SECONDS: &str = "paygraph_processor_call_duration_seconds";
const DELIVERY_SECONDS: &str = "paygraph_webhook_delivery_duration_seconds";
const FRAME_SECONDS: &str = "paygraph_event_to_frame_seconds";

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    db_statements: Counter,
    graphql_requests: Counter,
    events_published: Counter,
    events_publish_failed: Counter,
    events_relayed: Counter,
    attempts_reconciled: Counter,
    events_delivered: Counter,
    sessions_expired: Counter,
    subscriptions_prepared: Counter,
    throttled: Counter,
    cost_throttled: Counter,
    throttle_shared_unavailable: Counter,
    auth_failures: Counter,
    sockets_connected: Gauge,
    subscriptions_active: Gauge,
    statement_seconds: Histogram,
    frame_seconds: Histogram,
    /// Operation histograms by kind (query, mutation, subscription) and name, made on first
    /// use; looked up by `&str`, so a known name costs no allocation.
    operations: Mutex<[HashMap<String, Histogram>; 3]>,
    /// Histograms whose labels are all static (processor calls, deliveries), by those labels.
    fixed: Mutex<HashMap<[&'static str; 4], Histogram>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What a processor call came to, for its histogram's `outcome` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    Declined,
    Error,
}

impl CallOutcome {
    fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Declined => "declined",
            CallOutcome::Error => "error",
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        // Buckets are always valid (finite, ascending), so the builder cannot refuse them.
        let builder = PrometheusBuilder::new();
        let builder = builder.set_buckets(BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let counter = |name: &'static str, help: &'static str| {
            recorder.describe_counter(name.into(), None, help.into());
            recorder.register_counter(&Key::from_static_name(name), &metadata())
        };
        let gauge = |name: &'static str, help: &'static str| {
            recorder.describe_gauge(name.into(), None, help.into());
            recorder.register_gauge(&Key::from_static_name(name), &metadata())
        };
        let histograms = [
            (STATEMENT_SECONDS, "time of one SQL statement, as the driver saw it"),
            (OPERATION_SECONDS, "time to execute one GraphQL operation, by kind and operation name"),
            (PROCESSOR_SECONDS, "time of one call to a processor, by processor, call and outcome"),
            (DELIVERY_SECONDS, "time of one webhook delivery attempt, by outcome"),
            (FRAME_SECONDS, "time from a session event's commit to its frame on a subscriber's socket"),
        ];
        for (name, help) in histograms {
            recorder.describe_histogram(name.into(), Some(Unit::Seconds), help.into());
        }
        Metrics {
            db_statements: counter("paygraph_db_statements_total", "SQL statements sent to the database"),
            graphql_requests: counter("paygraph_graphql_requests_total", "GraphQL operations executed over HTTP"),
            events_published: counter("paygraph_events_published_total", "session events handed to the bus"),
            events_publish_failed: counter(
                "paygraph_events_publish_failed_total",
                "session events the bus refused (left to the outbox relay)",
            ),
            events_relayed: counter("paygraph_events_relayed_total", "session events published by the outbox relay"),
            events_delivered: counter("paygraph_events_delivered_total", "event frames sent to subscribers"),
            subscriptions_prepared: counter(
                "paygraph_subscriptions_prepared_total",
                "subscription documents validated and parsed for shared execution",
            ),
            attempts_reconciled: counter(
                "paygraph_attempts_reconciled_total",
                "attempts whose lost outcome was settled by asking the processor",
            ),
            sessions_expired: counter("paygraph_sessions_expired_total", "sessions the expiry sweeper expired"),
            throttled: counter("paygraph_throttled_total", "requests refused by a rate limit"),
            cost_throttled: counter(
                "paygraph_cost_throttled_total",
                "operations refused because their cost was more than the credential's bucket held",
            ),
            throttle_shared_unavailable: counter(
                "paygraph_throttle_shared_unavailable_total",
                "checks of a shared limit Redis did not answer in time (the local limit stood)",
            ),
            auth_failures: counter(
                "paygraph_auth_failures_total",
                "credentials presented that open nothing (forged, revoked, expired); not stored one by one",
            ),
            sockets_connected: gauge("paygraph_websockets_connected", "open GraphQL WebSocket connections"),
            subscriptions_active: gauge("paygraph_subscriptions_active", "live subscriptions on this instance"),
            statement_seconds: recorder.register_histogram(&Key::from_static_name(STATEMENT_SECONDS), &metadata()),
            frame_seconds: recorder.register_histogram(&Key::from_static_name(FRAME_SECONDS), &metadata()),
            operations: Mutex::default(),
            fixed: Mutex::default(),
            handle,
            recorder,
        }
    }

    /// The histogram `name` with the static `labels` (pairs of name and value), made once.
    fn fixed(&self, name: &'static str, labels: [(&'static str, &'static str); 3]) -> Histogram {
        let key = [name, labels[0].1, labels[1].1, labels[2].1];
        let mut made = self.fixed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        made.entry(key)
            .or_insert_with(|| {
                let labels: Vec<Label> =
                    labels.iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| Label::from_static_parts(k, v)).collect();
                self.recorder.register_histogram(&Key::from_parts(name, labels), &metadata())
            })
            .clone()
    }

    pub fn count_statement(&self, took: Duration) {
        self.db_statements.increment(1);
        self.statement_seconds.record(took.as_secs_f64());
    }
    pub fn count_graphql_request(&self) {
        self.graphql_requests.increment(1);
    }
    pub fn count_event_published(&self) {
        self.events_published.increment(1);
    }
    pub fn count_event_publish_failed(&self) {
        self.events_publish_failed.increment(1);
    }
    pub fn count_event_relayed(&self) {
        self.events_relayed.increment(1);
    }
    pub fn count_attempt_reconciled(&self) {
        self.attempts_reconciled.increment(1);
    }
    pub fn count_event_delivered(&self) {
        self.events_delivered.increment(1);
    }
    pub fn count_session_expired(&self) {
        self.sessions_expired.increment(1);
    }
    pub fn count_subscription_prepared(&self) {
        self.subscriptions_prepared.increment(1);
    }
    pub fn count_throttled(&self) {
        self.throttled.increment(1);
    }
    pub fn count_cost_throttled(&self) {
        self.cost_throttled.increment(1);
    }
    pub fn count_throttle_shared_unavailable(&self) {
        self.throttle_shared_unavailable.increment(1);
    }
    pub fn count_auth_failure(&self) {
        self.auth_failures.increment(1);
    }
    pub fn socket_opened(&self) {
        self.sockets_connected.increment(1.0);
    }
    pub fn socket_closed(&self) {
        self.sockets_connected.decrement(1.0);
    }
    pub fn subscription_opened(&self) {
        self.subscriptions_active.increment(1.0);
    }
    pub fn subscription_closed(&self) {
        self.subscriptions_active.decrement(1.0);
    }

    /// One GraphQL operation of `kind` (`query`, `mutation`, `subscription`) named `name`.
    /// Past [`OPERATION_NAMES`] names of an instance, new ones count as `other`.
    pub fn time_operation(&self, kind: &'static str, name: Option<&str>, took: Duration) {
        let slot = match kind {
            "mutation" => 1,
            "subscription" => 2,
            _ => 0,
        };
        let name = name.unwrap_or("anonymous");
        let histogram = {
            let mut operations = self.operations.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let known: usize = operations.iter().map(HashMap::len).sum();
            let by_name = &mut operations[slot];
            match by_name.get(name) {
                Some(histogram) => histogram.clone(),
                None => {
                    let name = if known < OPERATION_NAMES { name } else { "other" };
                    let labels = vec![Label::new("kind", kind), Label::new("operation", name.to_owned())];
                    let made =
                        self.recorder.register_histogram(&Key::from_parts(OPERATION_SECONDS, labels), &metadata());
                    by_name.entry(name.to_owned()).or_insert(made).clone()
                }
            }
        };
        histogram.record(took.as_secs_f64());
    }

    /// One call to `processor` (`test`, `stripe`) of kind `call` (`charge`, `refund`, …).
    pub fn time_processor_call(
        &self,
        processor: &'static str,
        call: &'static str,
        outcome: CallOutcome,
        took: Duration,
    ) {
        let labels = [("processor", processor), ("call", call), ("outcome", outcome.as_str())];
        self.fixed(PROCESSOR_SECONDS, labels).record(took.as_secs_f64());
    }

    /// One webhook delivery attempt that ended as `outcome` (`delivered`, `refused`, `failed`).
    pub fn time_delivery(&self, outcome: &'static str, took: Duration) {
        self.fixed(DELIVERY_SECONDS, [("outcome", outcome), ("", ""), ("", "")]).record(took.as_secs_f64());
    }

    /// An event's frame left for a subscriber `after` its commit.
    pub fn time_event_to_frame(&self, after: Duration) {
        self.frame_seconds.record(after.as_secs_f64());
    }

    /// Drains recorded samples into the histograms every few seconds, so they never pile up
    /// when nothing scrapes, for as long as `metrics` lives.
    pub fn keep_up(metrics: &std::sync::Arc<Metrics>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let metrics = std::sync::Arc::downgrade(metrics);
        runtime.spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(5));
            loop {
                ticker.tick().await;
                let Some(metrics) = metrics.upgrade() else { return };
                metrics.handle.run_upkeep();
            }
        });
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

fn metadata() -> metrics::Metadata<'static> {
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, None)
}
