//! A fault between the refund's record and the processor's answer loses nothing and
//! refunds nothing twice: the refund waits PENDING and the background pass settles it, by
//! asking the processor under the refund's own key (and sending it only if it never arrived).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::support::faulty::{Fault, FaultyProcessor};
use crate::support::payments::pay;
use crate::support::*;

const REFUND: &str = "mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: 900 }) {
    refund { status } payment { amountRefunded { amount } } userErrors { code } } }";
const REFUNDS: &str = "query($id: ID!) { node(id: $id) { ... on Payment { amountRefunded { amount }
    refunds { nodes { status } } } } }";

async fn paid_payment(app: &TestApp) -> String {
    let (_, payload) = pay(app, "4242424242424242").await;
    payload["payment"]["id"].as_str().unwrap().to_owned()
}

async fn refunds(app: &TestApp, id: &str) -> Value {
    app.gql(REFUNDS, json!({ "id": id })).await["data"]["node"].clone()
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_settled_once_without_refunding_twice() {
    let processor = Arc::new(FaultyProcessor::default());
    let app = spawn_app_with_processor(Arc::new(TestClock::default()), processor.clone(), quiet).await;
    let id = paid_payment(&app).await;
    processor.set(Fault::LoseAnswer);
    let body = app.gql(REFUND, json!({ "id": id })).await["data"]["refundPayment"].clone();
    assert_eq!(body["refund"]["status"], "PENDING", "{body}");
    assert_eq!(body["payment"]["amountRefunded"]["amount"], 900, "held while it is unknown");
    processor.set(Fault::None);
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 1);
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 0, "settled once");
    let now = refunds(&app, &id).await;
    assert_eq!(now["refunds"]["nodes"][0]["status"], "SUCCEEDED", "{now}");
    assert_eq!(processor.refunded.load(Ordering::SeqCst), 1, "the processor refunded once");
}

#[tokio::test]
async fn a_refund_the_processor_never_got_is_sent_again_by_the_background_pass() {
    let processor = Arc::new(FaultyProcessor::default());
    let app = spawn_app_with_processor(Arc::new(TestClock::default()), processor.clone(), quiet).await;
    let id = paid_payment(&app).await;
    processor.set(Fault::FailBefore);
    let body = app.gql(REFUND, json!({ "id": id })).await["data"]["refundPayment"].clone();
    assert_eq!(body["refund"]["status"], "PENDING", "{body}");
    assert_eq!(processor.refunded.load(Ordering::SeqCst), 0);
    // Still down: the refund waits, nothing lost.
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 0);
    processor.set(Fault::None);
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 1);
    let now = refunds(&app, &id).await;
    assert_eq!(now["refunds"]["nodes"][0]["status"], "SUCCEEDED", "{now}");
    assert_eq!(now["amountRefunded"]["amount"], 900);
    assert_eq!(processor.refunded.load(Ordering::SeqCst), 1);
}
