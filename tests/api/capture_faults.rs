//! A fault between a capture's mark and the processor's answer loses nothing and ends the
//! hold once: the payment stays AUTHORIZED with its capture under way (no other capture or
//! void may start), and the background pass asks the processor again under the same key.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::captures::{authorized, capture, void};
use crate::support::faulty::{Fault, FaultyProcessor};
use crate::support::*;

const PAYMENT: &str = "query($id: ID!) { node(id: $id) { ... on Payment { status amountCaptured { amount }
    paymentSession { version events(first: 50) { nodes { kind } } } } } }";

async fn payment(app: &TestApp, id: &str) -> Value {
    node_of(app, PAYMENT, id).await
}

fn captured_events(payment: &Value) -> usize {
    let events = payment["paymentSession"]["events"]["nodes"].as_array().unwrap();
    events.iter().filter(|e| e["kind"] == "PAYMENT_CAPTURED").count()
}

#[tokio::test]
async fn a_capture_whose_answer_was_lost_is_recorded_once_by_the_background_pass() {
    let processor = Arc::new(FaultyProcessor::default());
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_with_processor(clock.clone(), processor.clone(), quiet).await;
    let id = authorized(&app).await;
    processor.set(Fault::LoseAnswer);
    let lost = capture(&app, json!({ "paymentId": id, "amount": 1200 })).await;
    assert_eq!(lost["payment"]["status"], "AUTHORIZED", "unknown until the processor tells: {lost}");
    processor.set(Fault::None);
    // While it is under way, nothing else may end the hold.
    let second = void(&app, json!({ "paymentId": id })).await;
    assert_eq!(second["userErrors"][0]["code"], "PAYMENT_NOT_VOIDABLE", "{second}");
    assert_eq!(app.services.captures.resume_stalled().await.unwrap(), 0, "too young to be stalled");
    clock.advance(chrono::Duration::minutes(1));
    assert_eq!(app.services.captures.resume_stalled().await.unwrap(), 1);
    assert_eq!(app.services.captures.resume_stalled().await.unwrap(), 0, "recorded once");
    let now = payment(&app, &id).await;
    assert_eq!(now["status"], "SUCCEEDED", "{now}");
    assert_eq!(now["amountCaptured"]["amount"], 1200, "the amount the capture asked for");
    assert_eq!(captured_events(&now), 1);
    // At the processor: one capture of 1200, nothing voided; the lost answer and the
    // settling pass asked for the hold twice, and it ended once.
    let ledger = processor.ledger();
    assert_eq!((ledger.captures.len(), ledger.captures[0].1, ledger.voids.len()), (1, 1200, 0), "{ledger:?}");
    assert_eq!(processor.hold_calls.load(std::sync::atomic::Ordering::SeqCst), 2, "asked again, not twice more");
}

#[tokio::test]
async fn a_capture_the_processor_never_got_is_sent_again_and_not_voided_meanwhile() {
    let processor = Arc::new(FaultyProcessor::default());
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_with_processor(clock.clone(), processor.clone(), |config| {
        quiet(config);
        config.capture_window_hours = 1;
    })
    .await;
    let id = authorized(&app).await;
    processor.set(Fault::FailBefore);
    capture(&app, json!({ "paymentId": id })).await;
    assert_eq!(processor.hold_calls.load(Ordering::SeqCst), 0);
    clock.advance(chrono::Duration::hours(2));
    // Past its deadline, but its capture is under way: the deadline pass leaves it alone.
    assert_eq!(app.services.captures.void_expired().await.unwrap(), 0);
    assert_eq!(app.services.captures.resume_stalled().await.unwrap(), 1, "asked again, still down");
    assert_eq!(payment(&app, &id).await["status"], "AUTHORIZED", "nothing lost while it is down");
    processor.set(Fault::None);
    app.services.captures.resume_stalled().await.unwrap();
    let now = payment(&app, &id).await;
    assert_eq!(now["status"], "SUCCEEDED", "{now}");
    assert_eq!(now["amountCaptured"]["amount"], 2500);
    assert_eq!(captured_events(&now), 1);
    assert_eq!(processor.hold_calls.load(Ordering::SeqCst), 1, "it reached the processor once");
}
