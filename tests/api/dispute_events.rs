//! Dispute events everywhere: the DISPUTE_* events of a payment's session reach a merchant
//! subscription and a webhook receiver, with the dispute, in version order.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::payments::pay;
use crate::support::receiver::Receiver;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;
use crate::webhook_deliveries::endpoint;

const DISPUTE_CARD: &str = "4000000000000259";
const EVENTS: &str = "subscription($after: String) { paymentSessionEvents(after: $after) {
    version kind status paymentSession { id } dispute { id status } } }";
const SESSION_EVENTS: &str = "subscription($id: ID!) { paymentSessionUpdated(id: $id, afterVersion: 0) {
    version kind dispute { id } } }";
const SUBMIT: &str = "mutation($id: ID!) { submitDisputeEvidence(input: { disputeId: $id }) {
    dispute { status } userErrors { code } } }";
const UPDATE: &str = "mutation($id: ID!) { updateDisputeEvidence(input: { disputeId: $id,
    evidence: { explanation: \"signed for: winning_evidence\" } }) { userErrors { code } } }";
const OPEN: &str = "{ disputes(first: 1) { nodes { id status } } }";

#[tokio::test]
async fn dispute_events_reach_subscribers_and_webhooks_in_version_order() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(|c| c.live.background_interval_ms = 50).await;
    endpoint(&app, &receiver.url).await;
    let after = app.event_cursor_now().await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("events", EVENTS, json!({ "after": after })).await;

    let (session, paid) = pay(&app, DISPUTE_CARD).await;
    assert_eq!(paid["payment"]["status"], "SUCCEEDED", "{paid}");
    // The session's own stream too, from its first event.
    let mut one = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    one.subscribe("session", SESSION_EVENTS, json!({ "id": session })).await;
    let mut dispute = Value::Null;
    for _ in 0..100 {
        dispute = app.gql(OPEN, json!({})).await["data"]["disputes"]["nodes"][0].clone();
        if dispute["status"] == "NEEDS_RESPONSE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = dispute["id"].as_str().unwrap_or_else(|| panic!("no dispute opened: {dispute}")).to_owned();
    app.gql(UPDATE, json!({ "id": id })).await;
    let submitted = app.gql(SUBMIT, json!({ "id": id })).await;
    // The background pass may decide it before the answer is written: then the answer says so.
    let status = &submitted["data"]["submitDisputeEvidence"]["dispute"]["status"];
    assert!(status == "UNDER_REVIEW" || status == "WON", "{submitted}");

    // The subscriber: every event of the session, up to the decision, in version order.
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &Value| e["kind"] == "DISPUTE_CLOSED") {
        let event = ws.next_event().await["paymentSessionEvents"].clone();
        if event["paymentSession"]["id"] == session.as_str() {
            seen.push(event);
        }
    }
    let versions: Vec<i64> = seen.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert!(versions.windows(2).all(|w| w[1] == w[0] + 1), "one by one: {versions:?}");
    let disputed: Vec<&Value> = seen.iter().filter(|e| e["kind"].as_str().unwrap().starts_with("DISPUTE_")).collect();
    let kinds: Vec<&str> = disputed.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["DISPUTE_OPENED", "DISPUTE_UPDATED", "DISPUTE_CLOSED"], "{seen:#?}");
    assert!(disputed.iter().all(|e| e["dispute"]["id"] == id.as_str()), "{disputed:#?}");

    // The session's subscription: the same events, in the same order.
    let mut own = Vec::new();
    while own.last().is_none_or(|e: &Value| e["kind"] != "DISPUTE_CLOSED") {
        own.push(one.next_event().await["paymentSessionUpdated"].clone());
    }
    let own: Vec<(i64, &str)> =
        own.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap())).collect();
    let merchant: Vec<(i64, &str)> =
        seen.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap())).collect();
    assert_eq!(own, merchant, "both subscriptions agree");

    // The webhook receiver: the same events, with the dispute's id, in version order.
    let closed = |received: &[crate::support::receiver::Received]| {
        received.iter().any(|r| r.body["kind"] == "DISPUTE_CLOSED" && r.body["paymentSessionId"] == session.as_str())
    };
    assert!(receiver.wait_until(Duration::from_secs(15), closed).await, "the decision reaches the receiver");
    let bodies: Vec<Value> =
        receiver.accepted().into_iter().filter(|b| b["paymentSessionId"] == session.as_str()).collect();
    let hooked: Vec<(i64, &str)> =
        bodies.iter().map(|b| (b["version"].as_i64().unwrap(), b["kind"].as_str().unwrap())).collect();
    let expected: Vec<(i64, &str)> =
        seen.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap())).collect();
    assert_eq!(hooked, expected, "the same events, in the same order");
    for body in bodies.iter().filter(|b| b["kind"].as_str().unwrap().starts_with("DISPUTE_")) {
        assert_eq!(body["disputeId"], id.as_str(), "{body}");
    }
}
