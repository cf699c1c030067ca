//! No session stays in PROCESSING: when the processor's answer is lost (after it charged,
//! or before it could), the reconciliation pass asks it by the attempt's idempotency key and
//! applies what it says. Time moves by a test clock; the pass is run by hand, except where
//! the background loop is the point.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::faulty::{Fault, FaultyProcessor};
use crate::support::payments::{confirm, tokenize};
use crate::support::*;

const STATE: &str = "query($id: ID!) { paymentSession(id: $id) { status version attemptCount
    order { status } payments { edges { node { status declineCode } } }
    events { edges { node { version status } } } } }";

async fn state(app: &TestApp, id: &str) -> Value {
    app.gql(STATE, json!({ "id": id })).await["data"]["paymentSession"].clone()
}

async fn app_with(processor: Arc<FaultyProcessor>, clock: Arc<TestClock>) -> TestApp {
    spawn_app_with_processor(clock, processor, quiet).await
}

/// A CHECKOUT session of a new order: (id, client secret).
async fn checkout(app: &TestApp) -> (String, String) {
    let order = app
        .gql(
            "mutation { createOrder(input: {currency: \"EUR\", lineItems: [{name: \"Kettle\", unitAmount: 3900}]}) { order { id } } }",
            json!({}),
        )
        .await;
    let order = order["data"]["createOrder"]["order"]["id"].clone();
    created(app.create_session(json!({ "purpose": "CHECKOUT", "orderId": order })).await)
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_completes_once_reconciled() {
    let (processor, clock) = (Arc::new(FaultyProcessor::default()), Arc::new(TestClock::default()));
    let app = app_with(processor.clone(), clock.clone()).await;
    let (id, secret) = checkout(&app).await;
    processor.set(Fault::LoseAnswer);
    let token = tokenize(&app, &secret, "4242424242424242").await;
    let payload = confirm(&app, &secret, &id, &token, None).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["paymentSession"]["status"], "PROCESSING", "{payload}");
    assert_eq!(payload["payment"]["status"], "PROCESSING", "{payload}");

    // Not before the bound: the answer may still be on its way.
    assert_eq!(app.services.payments.reconcile_once().await.unwrap(), 0);
    clock.advance(Duration::minutes(3));
    assert_eq!(app.services.payments.reconcile_once().await.unwrap(), 1);
    assert_eq!(app.services.payments.reconcile_once().await.unwrap(), 0, "settled once");

    let after = state(&app, &id).await;
    assert_eq!(after["status"], "COMPLETED", "{after}");
    assert_eq!(after["version"], 3, "OPEN, PROCESSING, COMPLETED: {after}");
    assert_eq!(after["order"]["status"], "PAID");
    assert_eq!(after["payments"]["edges"][0]["node"]["status"], "SUCCEEDED");
    assert_eq!(processor.charged.load(Ordering::SeqCst), 1, "one charge, never repeated");
}

#[tokio::test]
async fn an_attempt_the_processor_never_charged_reopens_the_session_and_frees_the_order() {
    let (processor, clock) = (Arc::new(FaultyProcessor::default()), Arc::new(TestClock::default()));
    let app = app_with(processor.clone(), clock.clone()).await;
    let (id, secret) = checkout(&app).await;
    processor.set(Fault::FailBefore);
    let token = tokenize(&app, &secret, "4242424242424242").await;
    assert_eq!(confirm(&app, &secret, &id, &token, None).await["paymentSession"]["status"], "PROCESSING");
    // While it waits, nobody can end it: money may be in flight.
    let cancel = app
        .gql(
            "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancel["data"]["cancelPaymentSession"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION", "{cancel}");

    clock.advance(Duration::minutes(3));
    assert_eq!(app.services.payments.reconcile_once().await.unwrap(), 1);
    let after = state(&app, &id).await;
    assert_eq!(after["status"], "OPEN", "{after}");
    assert_eq!(after["attemptCount"], 1);
    assert_eq!(after["order"]["status"], "OPEN");
    assert_eq!(after["payments"]["edges"][0]["node"]["status"], "FAILED");
    assert_eq!(after["payments"]["edges"][0]["node"]["declineCode"], "processing_error");
    assert_eq!(processor.charged.load(Ordering::SeqCst), 0);

    // The order was handed back: the customer pays it now, once.
    processor.set(Fault::None);
    let token = tokenize(&app, &secret, "4242424242424242").await;
    let paid = confirm(&app, &secret, &id, &token, None).await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    assert_eq!(processor.charged.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_reconciling_at_once_settle_each_attempt_once() {
    let (processor, clock) = (Arc::new(FaultyProcessor::default()), Arc::new(TestClock::default()));
    let app = spawn_app_with_processor(clock.clone(), processor.clone(), |config| {
        quiet(config);
        config.fraud.card_velocity = 100;
    })
    .await;
    processor.set(Fault::LoseAnswer);
    let mut ids = Vec::new();
    for _ in 0..8 {
        let (id, secret) = app.create_payment_session(700, "EUR").await;
        let token = tokenize(&app, &secret, "4242424242424242").await;
        confirm(&app, &secret, &id, &token, None).await;
        ids.push(id);
    }
    clock.advance(Duration::minutes(3));
    let passes: Vec<_> = (0..4)
        .map(|_| {
            let services = app.services.clone();
            tokio::spawn(async move { services.payments.reconcile_once().await.unwrap() })
        })
        .collect();
    let mut settled = 0;
    for pass in passes {
        settled += pass.await.unwrap();
    }
    assert_eq!(settled, 8, "each session settled by exactly one pass");
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("paygraph_attempts_reconciled_total 8\n"), "counted once each:\n{metrics}");
    for id in ids {
        let after = state(&app, &id).await;
        assert_eq!((after["status"].as_str(), after["version"].as_i64()), (Some("COMPLETED"), Some(3)), "{after}");
    }
}

#[tokio::test]
async fn the_background_loop_reconciles_by_itself() {
    let (processor, clock) = (Arc::new(FaultyProcessor::default()), Arc::new(TestClock::default()));
    let app = spawn_app_with_processor(clock.clone(), processor.clone(), |config| {
        config.live.background_interval_ms = 50;
    })
    .await;
    processor.set(Fault::LoseAnswer);
    let (id, secret) = app.create_payment_session(900, "EUR").await;
    let token = tokenize(&app, &secret, "4242424242424242").await;
    confirm(&app, &secret, &id, &token, None).await;
    clock.advance(Duration::minutes(3));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = state(&app, &id).await["status"].clone();
        if status == "COMPLETED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "COMPLETED");
}

#[tokio::test]
async fn a_charge_lost_before_a_restart_is_found_by_the_next_process() {
    let (url, _db) = test_database().await;
    let clock = Arc::new(TestClock::default());
    // The first process charges through a processor whose books are in the database, loses
    // the answer, and is never heard of again.
    let processor = Arc::new(FaultyProcessor::default());
    let metrics = Arc::new(paygraph::telemetry::Metrics::default());
    let mut config = paygraph::config::Config::for_database(url.clone());
    quiet(&mut config);
    let mut first = start_with(
        config.clone(),
        clock.clone(),
        (processor.clone() as Arc<dyn paygraph::processor::Processor>).into(),
    )
    .await;
    processor.keep_in(paygraph::storage::connect(&url, metrics).await.unwrap());
    first.key = first.services.auth.create_merchant("Restarted").await.unwrap().secret_key;
    let (id, secret) = checkout(&first).await;
    processor.set(Fault::LoseAnswer);
    let token = tokenize(&first, &secret, "4242424242424242").await;
    let payload = confirm(&first, &secret, &id, &token, None).await;
    assert_eq!(payload["paymentSession"]["status"], "PROCESSING", "{payload}");
    assert_eq!(processor.ledger().charges.len(), 1, "the money moved");

    // The next process, with a test processor of its own on the same database, reconciles.
    let mut next = start(config, clock.clone()).await;
    next.key = first.key.clone();
    clock.advance(Duration::minutes(3));
    assert_eq!(next.services.payments.reconcile_once().await.unwrap(), 1);
    let after = state(&next, &id).await;
    assert_eq!(after["status"], "COMPLETED", "the charge made before the restart is found: {after}");
    assert_eq!(after["order"]["status"], "PAID");
    assert_eq!(next.ledger().charges, [], "and not made again");
}
