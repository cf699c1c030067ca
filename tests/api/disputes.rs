//! Disputes: the test processor disputes a charge of Stripe's dispute card; the merchant
//! drafts evidence, submits it or concedes; the money and the order follow; every change is
//! an event of the payment's session.

use std::sync::Arc;
use std::time::Duration;

use paygraph::domain::TypedId;
use paygraph::domain::dispute::{DisputeReason, DisputeStatus};
use paygraph::processor::DisputeReport;
use paygraph::service::disputes::Recorded;
use serde_json::{Value, json};

use crate::support::payments::{create_and_pay, pay};
use crate::support::*;

const DISPUTE_CARD: &str = "4000000000000259";

const DISPUTES: &str = "query($status: [DisputeStatus!]) { disputes(first: 10, filter: { status: $status }) {
    nodes { id status reason evidenceDueBy submittedAt closedAt amount { amount currency }
            evidence { customerName explanation } payment { id amountDisputed { amount } } } } }";
const UPDATE: &str = "mutation($id: ID!, $evidence: DisputeEvidenceInput!) {
    updateDisputeEvidence(input: { disputeId: $id, evidence: $evidence }) {
      dispute { status evidence { customerName explanation refundPolicy } } userErrors { field code } } }";
const SUBMIT: &str = "mutation($id: ID!) { submitDisputeEvidence(input: { disputeId: $id }) {
    dispute { status submittedAt } userErrors { field code } } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptDispute(input: { disputeId: $id }) {
    dispute { status closedAt } userErrors { field code } } }";
const REFUND: &str = "mutation($id: ID!) { refundPayment(input: { paymentId: $id }) {
    refund { status } userErrors { field code } } }";
const EVENTS: &str = "query($id: ID!) { paymentSession(id: $id) { events(first: 20) { nodes {
    version kind dispute { id status } } } } }";

fn fast(config: &mut paygraph::config::Config) {
    config.live.background_interval_ms = 50;
}

/// The disputes of `status` once there are `count` of them (the background pass opens
/// and decides them), newest first.
async fn disputes_when(app: &TestApp, status: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let body = app.gql(DISPUTES, json!({ "status": [status] })).await;
        let nodes = body["data"]["disputes"]["nodes"].as_array().cloned().unwrap_or_default();
        if nodes.len() >= count {
            return nodes;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = app.gql(DISPUTES, json!({ "status": null })).await;
    panic!("no {count} {status} disputes within 5 s: {all}");
}

fn kinds(body: &Value) -> Vec<(i64, String)> {
    let nodes = body["data"]["paymentSession"]["events"]["nodes"].as_array().unwrap();
    nodes.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap().to_owned())).collect()
}

#[tokio::test]
async fn a_disputed_payment_is_won_with_evidence_and_refundable_again() {
    let app = spawn_app_with(fast).await;
    let (session, paid) = pay(&app, DISPUTE_CARD).await;
    assert_eq!(paid["payment"]["status"], "SUCCEEDED", "the dispute card pays: {paid}");
    let payment = paid["payment"]["id"].as_str().unwrap().to_owned();

    let dispute = disputes_when(&app, "NEEDS_RESPONSE", 1).await.remove(0);
    assert_eq!(dispute["reason"], "FRAUDULENT");
    assert_eq!(dispute["amount"], json!({ "amount": 2500, "currency": "EUR" }));
    assert_eq!(dispute["payment"]["id"], payment);
    assert_eq!(dispute["payment"]["amountDisputed"]["amount"], 2500, "the bank holds it");
    let due = chrono::DateTime::parse_from_rfc3339(dispute["evidenceDueBy"].as_str().unwrap()).unwrap();
    let days = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "due in 7 days: {days} hours");
    let id = dispute["id"].as_str().unwrap().to_owned();

    let refused = app.gql(REFUND, json!({ "id": payment })).await;
    assert_eq!(user_error_code(&refused, "refundPayment"), "PAYMENT_DISPUTED");

    let draft = json!({ "customerName": "Ada Lovelace", "explanation": "delivered, signed: winning_evidence" });
    let saved = app.gql(UPDATE, json!({ "id": id, "evidence": draft })).await;
    assert_eq!(saved["data"]["updateDisputeEvidence"]["userErrors"], json!([]), "{saved}");
    let more = app.gql(UPDATE, json!({ "id": id, "evidence": { "refundPolicy": "30 days" } })).await;
    let evidence = &more["data"]["updateDisputeEvidence"]["dispute"]["evidence"];
    assert_eq!(evidence["customerName"], "Ada Lovelace", "a draft changes field by field: {more}");
    assert_eq!(evidence["refundPolicy"], "30 days");

    let submitted = app.gql(SUBMIT, json!({ "id": id })).await;
    // Under review, or already won: the background pass (every 50 ms here) may decide it
    // between the submission and the answer, which then says so (seen once in CI).
    let status = &submitted["data"]["submitDisputeEvidence"]["dispute"]["status"];
    assert!(status == "UNDER_REVIEW" || status == "WON", "{submitted}");
    assert!(submitted["data"]["submitDisputeEvidence"]["dispute"]["submittedAt"].is_string());
    let late = app.gql(UPDATE, json!({ "id": id, "evidence": { "explanation": "more" } })).await;
    assert_eq!(user_error_code(&late, "updateDisputeEvidence"), "DISPUTE_NOT_EDITABLE");
    assert_eq!(
        user_error_code(&app.gql(SUBMIT, json!({ "id": id })).await, "submitDisputeEvidence"),
        "DISPUTE_NOT_EDITABLE"
    );

    let won = disputes_when(&app, "WON", 1).await.remove(0);
    assert!(won["closedAt"].is_string());
    assert_eq!(won["payment"]["amountDisputed"]["amount"], 0, "the money came back");
    let refunded = app.gql(REFUND, json!({ "id": payment })).await;
    assert_eq!(refunded["data"]["refundPayment"]["userErrors"], json!([]), "refundable again: {refunded}");

    let events = app.gql(EVENTS, json!({ "id": session })).await;
    let kinds = kinds(&events);
    let disputes: Vec<&str> = kinds.iter().map(|(_, k)| k.as_str()).filter(|k| k.starts_with("DISPUTE_")).collect();
    assert_eq!(disputes, ["DISPUTE_OPENED", "DISPUTE_UPDATED", "DISPUTE_CLOSED"], "{events}");
    let versions: Vec<i64> = kinds.iter().map(|(v, _)| *v).collect();
    assert!(versions.windows(2).all(|w| w[1] == w[0] + 1), "one version per change: {versions:?}");
    let nodes = events["data"]["paymentSession"]["events"]["nodes"].as_array().unwrap();
    let opened = nodes.iter().find(|e| e["kind"] == "DISPUTE_OPENED").unwrap();
    assert_eq!(opened["dispute"]["id"], id.as_str());
}

#[tokio::test]
async fn a_dispute_lost_or_conceded_leaves_the_money_with_the_customer_and_the_order_disputed() {
    let app = spawn_app_with(fast).await;
    let order = app
        .gql(
            "mutation { createOrder(input: { currency: \"USD\", lineItems: [{ name: \"Lamp\", quantity: 1, unitAmount: 4000 }] }) { order { id } } }",
            json!({}),
        )
        .await;
    let order = order["data"]["createOrder"]["order"]["id"].as_str().unwrap().to_owned();
    create_and_pay(&app, json!({ "purpose": "CHECKOUT", "orderId": order }), DISPUTE_CARD).await;
    let order_status = || async {
        let body = app.gql("query($id: ID!) { order(id: $id) { status } }", json!({ "id": order })).await;
        body["data"]["order"]["status"].as_str().unwrap().to_owned()
    };
    let conceded = disputes_when(&app, "NEEDS_RESPONSE", 1).await.remove(0);
    assert_eq!(order_status().await, "DISPUTED");
    let id = conceded["id"].as_str().unwrap();
    let accepted = app.gql(ACCEPT, json!({ "id": id })).await;
    assert_eq!(accepted["data"]["acceptDispute"]["dispute"]["status"], "LOST", "{accepted}");
    assert_eq!(user_error_code(&app.gql(ACCEPT, json!({ "id": id })).await, "acceptDispute"), "DISPUTE_NOT_EDITABLE");
    assert_eq!(order_status().await, "DISPUTED", "a lost dispute keeps the order disputed");

    // Submitted without the winning evidence: the bank decides for the customer.
    pay(&app, DISPUTE_CARD).await;
    let open = disputes_when(&app, "NEEDS_RESPONSE", 1).await.remove(0);
    app.gql(SUBMIT, json!({ "id": open["id"] })).await;
    let lost = disputes_when(&app, "LOST", 2).await;
    for dispute in lost {
        assert!(dispute["closedAt"].is_string());
        assert_eq!(dispute["payment"]["amountDisputed"]["amount"], dispute["amount"]["amount"], "the bank kept it");
        let refused = app.gql(REFUND, json!({ "id": dispute["payment"]["id"] })).await;
        assert_eq!(user_error_code(&refused, "refundPayment"), "PAYMENT_DISPUTED", "not given back twice");
    }
    // The dashboard's counts take what lost disputes took back as given back.
    let stats = "query($since: DateTime!) { paymentSessionStats(since: $since, interval: DAY) { buckets {
        statuses { status disputedAmounts { amount currency } } } } }";
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let body = app.gql(stats, json!({ "since": since })).await;
    let mut disputed: Vec<Value> = body["data"]["paymentSessionStats"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["statuses"].as_array().unwrap().iter())
        .flat_map(|s| s["disputedAmounts"].as_array().unwrap().iter().cloned())
        .collect();
    disputed.sort_by_key(|m| m["currency"].as_str().unwrap().to_owned());
    assert_eq!(disputed, [json!({ "amount": 2500, "currency": "EUR" }), json!({ "amount": 4000, "currency": "USD" })]);
}

#[tokio::test]
async fn the_same_dispute_reported_twice_at_once_is_one_dispute_with_one_event() {
    let app = spawn_quiet_app().await;
    let (session, paid) = pay(&app, "4242424242424242").await;
    let payment = paygraph::domain::PaymentId::from_global(paid["payment"]["id"].as_str().unwrap()).unwrap();
    let report = DisputeReport {
        reference: "dp_twice".into(),
        charge_key: payment.0.to_string(),
        amount: 2500,
        reason: DisputeReason::ProductNotReceived,
        status: DisputeStatus::NeedsResponse,
        evidence_due_by: None,
    };
    let disputes = Arc::new(app.services.disputes.clone());
    let racing = (0..4).map(|_| {
        let (disputes, report) = (disputes.clone(), report.clone());
        tokio::spawn(async move { disputes.record(&report, None).await.unwrap() == Recorded::Now })
    });
    let recorded: Vec<bool> = futures_util::future::join_all(racing).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(recorded.iter().filter(|r| **r).count(), 1, "{recorded:?}");
    assert_eq!(app.services.disputes.record(&report, None).await.unwrap(), Recorded::Nothing, "and again later");
    let events = app.gql(EVENTS, json!({ "id": session })).await;
    let opened = kinds(&events).iter().filter(|(_, k)| k == "DISPUTE_OPENED").count();
    assert_eq!(opened, 1);
    let listed = app.gql(DISPUTES, json!({ "status": null })).await;
    assert_eq!(listed["data"]["disputes"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"]["disputes"]["nodes"][0]["payment"]["amountDisputed"]["amount"], 2500, "held once");

    // A report from an account that does not hold the payment records nothing.
    let foreign = DisputeReport { reference: "dp_foreign".into(), ..report };
    let foreign = app.services.disputes.record(&foreign, Some(uuid::Uuid::new_v4())).await.unwrap();
    assert_eq!(foreign, Recorded::Nothing);
}

#[tokio::test]
async fn only_the_merchants_secret_keys_see_and_answer_its_disputes() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), fast).await;
    pay(&app, DISPUTE_CARD).await;
    let dispute = disputes_when(&app, "NEEDS_RESPONSE", 1).await.remove(0);
    let id = dispute["id"].as_str().unwrap();

    let other = app.other_merchant_key().await;
    let seen = app.gql_as(Some(&other), "query($id: ID!) { dispute(id: $id) { id } }", json!({ "id": id })).await;
    assert!(seen["data"]["dispute"].is_null(), "{seen}");
    let foreign = app.gql_as(Some(&other), ACCEPT, json!({ "id": id })).await;
    assert_eq!(user_error_code(&foreign, "acceptDispute"), "NOT_FOUND");
    let listed = app.gql_as(Some(&other), DISPUTES, json!({ "status": null })).await;
    assert_eq!(listed["data"]["disputes"]["nodes"], json!([]));

    // A client secret (a customer's page) reads no disputes.
    let (_, client_secret) = app.create_payment_session(100, "EUR").await;
    let mine = app.gql_as(Some(&client_secret), DISPUTES, json!({ "status": null })).await;
    assert!(mine["errors"].is_array(), "{mine}");

    // Past its deadline nothing changes any more.
    clock.advance(chrono::Duration::days(8));
    let late = app.gql(UPDATE, json!({ "id": id, "evidence": { "explanation": "late" } })).await;
    assert_eq!(user_error_code(&late, "updateDisputeEvidence"), "DISPUTE_NOT_EDITABLE");
    assert_eq!(
        user_error_code(&app.gql(SUBMIT, json!({ "id": id })).await, "submitDisputeEvidence"),
        "DISPUTE_NOT_EDITABLE"
    );
}
