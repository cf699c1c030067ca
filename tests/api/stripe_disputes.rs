//! Disputes at Stripe: `charge.dispute.created`, `.updated` and `.closed`, posted signed with
//! the account's secret as Stripe would (the fake has no disputes), open, move and close the
//! dispute of the account's own payment; the same event twice is one change, a forged one
//! none.

use serde_json::{Value, json};

use crate::stripe_webhooks::{SIGNING_SECRET, app, post_event, signed};
use crate::support::payments::create_and_pay;
use crate::support::stripe_fake::{payment, payment_input};
use crate::support::*;

const DISPUTES: &str = "{ disputes(first: 5) { nodes { id status reason evidenceDueBy amount { amount }
    payment { id amountDisputed { amount } } } } }";
const EVENTS: &str = "query($id: ID!) { paymentSession(id: $id) { events(first: 20) { nodes { kind } } } }";

fn event(id: &str, kind: &str, intent: &str, status: &str, due_by: i64) -> String {
    json!({ "id": id, "object": "event", "type": kind, "data": { "object": {
        "id": "dp_1Test", "object": "dispute", "amount": 4200, "currency": "eur", "payment_intent": intent,
        "reason": "product_not_received", "status": status, "evidence_details": { "due_by": due_by } } } })
    .to_string()
}

async fn disputes(app: &TestApp) -> Vec<Value> {
    app.gql(DISPUTES, json!({})).await["data"]["disputes"]["nodes"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn stripes_dispute_events_open_move_and_close_the_dispute_once() {
    let Some((app, _fake, webhook_url)) = app("stripes_dispute_events_open_move_and_close_the_dispute_once").await
    else {
        return;
    };
    let (session, paid) = create_and_pay(&app, payment_input(4200), "4242424242424242").await;
    let payment_id = paid["payment"]["id"].as_str().unwrap().to_owned();
    let intent = payment(&app, &payment_id).await["processorReference"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    let due = now + 5 * 86_400;
    let post = |body: String, secret: &str| {
        let signature = signed(secret, chrono::Utc::now().timestamp(), &body);
        let (app, url) = (&app, webhook_url.clone());
        async move { post_event(app, &url, &body, signature).await }
    };

    let forged = event("evt_forged", "charge.dispute.created", &intent, "needs_response", due);
    assert_eq!(post(forged, "whsec_someone_else").await, 400);
    assert!(disputes(&app).await.is_empty(), "a forged event opens nothing");

    let created = event("evt_d1", "charge.dispute.created", &intent, "needs_response", due);
    assert_eq!(post(created.clone(), SIGNING_SECRET).await, 200);
    assert_eq!(post(created, SIGNING_SECRET).await, 200, "taken twice: acknowledged");
    let opened = disputes(&app).await;
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0]["status"], "NEEDS_RESPONSE");
    assert_eq!(opened[0]["reason"], "PRODUCT_NOT_RECEIVED");
    assert_eq!(opened[0]["payment"]["id"], payment_id.as_str());
    assert_eq!(opened[0]["payment"]["amountDisputed"]["amount"], 4200);
    let shown = chrono::DateTime::parse_from_rfc3339(opened[0]["evidenceDueBy"].as_str().unwrap()).unwrap();
    assert_eq!(shown.timestamp(), due, "Stripe's deadline");

    // The same dispute in another event (Stripe may send both): nothing new.
    let again = event("evt_d1b", "charge.dispute.updated", &intent, "needs_response", due);
    assert_eq!(post(again, SIGNING_SECRET).await, 200);
    let review = event("evt_d2", "charge.dispute.updated", &intent, "under_review", due);
    assert_eq!(post(review, SIGNING_SECRET).await, 200);
    assert_eq!(disputes(&app).await[0]["status"], "UNDER_REVIEW");
    // An older event arriving late moves nothing back.
    let stale = event("evt_d1c", "charge.dispute.updated", &intent, "needs_response", due);
    assert_eq!(post(stale, SIGNING_SECRET).await, 200);
    assert_eq!(disputes(&app).await[0]["status"], "UNDER_REVIEW", "a stale event does not reopen it");
    let won = event("evt_d3", "charge.dispute.closed", &intent, "won", due);
    assert_eq!(post(won, SIGNING_SECRET).await, 200);
    let closed = disputes(&app).await;
    assert_eq!(closed[0]["status"], "WON");
    assert_eq!(closed[0]["payment"]["amountDisputed"]["amount"], 0);

    let events = app.gql(EVENTS, json!({ "id": session })).await;
    let kinds: Vec<&str> = events["data"]["paymentSession"]["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("DISPUTE_"))
        .collect();
    assert_eq!(kinds, ["DISPUTE_OPENED", "DISPUTE_UPDATED", "DISPUTE_CLOSED"], "{events}");
}
