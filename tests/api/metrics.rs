//! The operator's eyes: `/metrics` read by a Prometheus text parser, with a latency
//! histogram for each thing an operator waits on, that moves when that thing runs.

use std::time::Duration;

use prometheus_parse::{Scrape, Value as Series};
use serde_json::json;

use crate::support::payments::pay;
use crate::support::receiver::Receiver;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;
use crate::webhook_deliveries::endpoint;

async fn scrape(app: &TestApp) -> Scrape {
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the Prometheus text format")
}

/// How many observations the histogram `name` with `labels` holds (0: no such series).
fn observed(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Series::Histogram(buckets) => buckets.iter().find(|b| b.less_than.is_infinite()).map_or(0.0, |b| b.count),
            other => panic!("{name} is not a histogram: {other:?}"),
        })
        .sum()
}

fn counter(scrape: &Scrape, name: &str) -> f64 {
    let sample = scrape.samples.iter().find(|s| s.metric == name).unwrap_or_else(|| panic!("no {name}"));
    match sample.value {
        Series::Counter(v) | Series::Untyped(v) => v,
        ref other => panic!("{name} is not a counter: {other:?}"),
    }
}

#[tokio::test]
async fn each_latency_histogram_moves_when_its_operation_runs() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(|c| c.live.background_interval_ms = 50).await;
    endpoint(&app, &receiver.url).await;
    let before = scrape(&app).await;
    let statements = observed(&before, "paygraph_db_statement_duration_seconds", &[]);
    assert!(statements > 0.0, "the statements made so far are timed");
    assert_eq!(
        counter(&before, "paygraph_db_statements_total"),
        statements,
        "a statement counted is a statement timed"
    );
    for (name, labels) in [
        ("paygraph_graphql_operation_duration_seconds", vec![("operation", "StatusCheck")]),
        ("paygraph_processor_call_duration_seconds", vec![("call", "charge")]),
        ("paygraph_webhook_delivery_duration_seconds", vec![]),
        ("paygraph_event_to_frame_seconds", vec![]),
    ] {
        assert_eq!(observed(&before, name, &labels), 0.0, "{name} before anything ran");
    }

    let after = app.event_cursor_now().await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe(
        "events",
        "subscription($a: String) { paymentSessionEvents(after: $a) { version } }",
        json!({ "a": after }),
    )
    .await;
    let (session, paid) = pay(&app, "4242424242424242").await;
    assert_eq!(paid["payment"]["status"], "SUCCEEDED");
    pay(&app, "4000000000000002").await;
    let check = "query StatusCheck($id: ID!) { paymentSession(id: $id) { status } }";
    app.gql(check, json!({ "id": session })).await;
    ws.next_event().await;
    assert!(receiver.wait_until(Duration::from_secs(10), |r| r.iter().any(|d| d.accepted)).await, "a delivery");

    let now = scrape(&app).await;
    assert!(observed(&now, "paygraph_db_statement_duration_seconds", &[]) > statements);
    let operation = "paygraph_graphql_operation_duration_seconds";
    assert_eq!(observed(&now, operation, &[("kind", "query"), ("operation", "StatusCheck")]), 1.0);
    assert!(observed(&now, operation, &[("kind", "mutation"), ("operation", "anonymous")]) >= 2.0, "the confirmations");
    let calls = "paygraph_processor_call_duration_seconds";
    assert_eq!(observed(&now, calls, &[("processor", "test"), ("call", "charge"), ("outcome", "ok")]), 1.0);
    assert_eq!(observed(&now, calls, &[("processor", "test"), ("call", "charge"), ("outcome", "declined")]), 1.0);
    assert!(observed(&now, calls, &[("call", "tokenize")]) >= 2.0);
    assert!(observed(&now, "paygraph_webhook_delivery_duration_seconds", &[("outcome", "delivered")]) >= 1.0);
    assert!(observed(&now, "paygraph_event_to_frame_seconds", &[]) >= 1.0);
    let help = now.docs.get("paygraph_processor_call_duration_seconds").expect("described");
    assert!(help.contains("processor"), "{help}");
}

/// Operation names are the client's to choose: past 200 of them, the rest share `other`.
#[tokio::test]
async fn operation_names_cannot_grow_the_series_without_end() {
    let app = spawn_app_with(|c| {
        c.throttle.graphql = 10_000;
        c.throttle.graphql_ip = 10_000;
    })
    .await;
    for i in 0..230 {
        app.gql(&format!("query Named{i} {{ __typename }}"), json!({})).await;
    }
    let now = scrape(&app).await;
    let names: std::collections::HashSet<&str> = now
        .samples
        .iter()
        .filter(|s| s.metric == "paygraph_graphql_operation_duration_seconds")
        .filter_map(|s| s.labels.get("operation"))
        .collect();
    assert_eq!(names.len(), 201, "200 names and other");
    assert!(names.contains("other"));
    assert_eq!(observed(&now, "paygraph_graphql_operation_duration_seconds", &[("operation", "other")]), 30.0);
}
