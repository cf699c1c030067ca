//! Authorize now, capture later: a MANUAL session's payment is held, then captured (all or
//! part) or voided, once, also when requests race; the rest is released; refunds reach only
//! what was captured; an unclaimed hold is voided at its deadline; each end is an event of
//! its session in the same log and stream.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::payments::create_and_pay;
use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

const CAPTURE: &str = "mutation($input: CapturePaymentInput!) { capturePayment(input: $input) {
    payment { id status amount { amount } amountCaptured { amount } amountCapturable { amount } captureBefore }
    userErrors { field code message } } }";
const VOID: &str = "mutation($input: VoidPaymentInput!) { voidPayment(input: $input) {
    payment { id status amountCaptured { amount } amountCapturable { amount } captureBefore }
    userErrors { field code message } } }";
const PAYMENT: &str = "query($id: ID!) { node(id: $id) { ... on Payment { status amountCaptured { amount }
    amountCapturable { amount } captureBefore amountRefunded { amount }
    paymentSession { version status captureMethod order { status }
        events(first: 50) { nodes { version kind status payment { id } } } } } } }";

pub async fn capture(app: &TestApp, input: Value) -> Value {
    app.gql(CAPTURE, json!({ "input": input })).await["data"]["capturePayment"].clone()
}

pub async fn void(app: &TestApp, input: Value) -> Value {
    app.gql(VOID, json!({ "input": input })).await["data"]["voidPayment"].clone()
}

async fn payment(app: &TestApp, id: &str) -> Value {
    node_of(app, PAYMENT, id).await
}

fn kinds(payment: &Value) -> Vec<String> {
    let events = payment["paymentSession"]["events"]["nodes"].as_array().unwrap();
    events.iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

/// A MANUAL PAYMENT session of 25.00 EUR paid with 4242…: its authorized payment's id.
pub async fn authorized(app: &TestApp) -> String {
    let input =
        json!({ "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" }, "captureMethod": "MANUAL" });
    let (_, paid) = create_and_pay(app, input, "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "the customer's part is done: {paid}");
    assert_eq!(paid["payment"]["status"], "AUTHORIZED", "{paid}");
    paid["payment"]["id"].as_str().unwrap().to_owned()
}

/// An order of 40.00 USD in a MANUAL CHECKOUT session, paid: (order id, payment id).
async fn authorized_order(app: &TestApp) -> (String, String) {
    let order = app
        .gql(
            "mutation { createOrder(input: { currency: \"USD\", lineItems: [{ name: \"Room\", quantity: 2, unitAmount: 2000 }] }) { order { id } userErrors { code } } }",
            json!({}),
        )
        .await;
    let order = order["data"]["createOrder"]["order"]["id"].as_str().unwrap().to_owned();
    let input = json!({ "purpose": "CHECKOUT", "orderId": order, "captureMethod": "MANUAL" });
    let (_, paid) = create_and_pay(app, input, "4242424242424242").await;
    assert_eq!(paid["payment"]["status"], "AUTHORIZED", "{paid}");
    (order, paid["payment"]["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_partial_capture_takes_part_releases_the_rest_and_bounds_refunds() {
    let app = spawn_app().await;
    let id = authorized(&app).await;
    let held = payment(&app, &id).await;
    assert_eq!(held["amountCapturable"]["amount"], 2500);
    assert_eq!(held["amountCaptured"]["amount"], 0);
    assert_eq!(held["paymentSession"]["captureMethod"], "MANUAL");
    let deadline: chrono::DateTime<chrono::Utc> = held["captureBefore"].as_str().unwrap().parse().unwrap();
    let in_seven_days = chrono::Utc::now() + chrono::Duration::days(7);
    assert!((deadline - in_seven_days).num_seconds().abs() < 60, "7 days by default: {deadline}");

    let page = app.hosted_page_of_payment(&id).await;
    assert!(page.contains("€25.00 is held on your card until"), "the customer sees the hold: {page}");

    // Held money cannot be refunded: nothing was taken.
    let early = app
        .gql(
            "mutation($id: ID!) { refundPayment(input: { paymentId: $id }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(early["data"]["refundPayment"]["userErrors"][0]["code"], "PAYMENT_NOT_REFUNDABLE", "{early}");

    let captured = capture(&app, json!({ "paymentId": id, "amount": 1500 })).await;
    assert_eq!(captured["payment"]["status"], "SUCCEEDED", "{captured}");
    assert_eq!(captured["payment"]["amountCaptured"]["amount"], 1500);
    assert_eq!(captured["payment"]["amountCapturable"]["amount"], 0, "the rest is released");
    assert_eq!(captured["payment"]["amount"]["amount"], 2500, "the authorized amount stays on record");
    assert!(captured["payment"]["captureBefore"].is_null());

    let page = app.hosted_page_of_payment(&id).await;
    assert!(page.contains("€15.00 charged; €10.00 of the hold released"), "{page}");

    let again = capture(&app, json!({ "paymentId": id, "amount": 500 })).await;
    assert_eq!(payload_code(&again), "PAYMENT_NOT_CAPTURABLE", "an authorization is captured once: {again}");
    let too_much = app
        .gql(
            "mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: 1501 }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(too_much["data"]["refundPayment"]["userErrors"][0]["code"], "AMOUNT_TOO_LARGE", "{too_much}");
    let all = app
        .gql(
            "mutation($id: ID!) { refundPayment(input: { paymentId: $id }) { refund { amount { amount } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(all["data"]["refundPayment"]["refund"]["amount"]["amount"], 1500, "all that was captured: {all}");

    let now = payment(&app, &id).await;
    let session = &now["paymentSession"];
    assert_eq!(session["status"], "COMPLETED");
    let events = kinds(&now);
    assert_eq!(events.len() as i64, session["version"].as_i64().unwrap(), "one event per version: {events:?}");
    assert_eq!(events.iter().filter(|k| *k == "PAYMENT_CAPTURED").count(), 1, "{events:?}");
    let captured_event =
        session["events"]["nodes"].as_array().unwrap().iter().find(|e| e["kind"] == "PAYMENT_CAPTURED");
    assert_eq!(captured_event.unwrap()["payment"]["id"], id.as_str());
}

#[tokio::test]
async fn a_void_releases_the_hold_once_and_the_order_follows_its_payment() {
    let app = spawn_app().await;
    let (order, id) = authorized_order(&app).await;
    assert_eq!(payment(&app, &id).await["paymentSession"]["order"]["status"], "AUTHORIZED");
    let voided = void(&app, json!({ "paymentId": id })).await;
    assert_eq!(voided["payment"]["status"], "VOIDED", "{voided}");
    assert_eq!(voided["payment"]["amountCapturable"]["amount"], 0);
    assert_eq!(voided["payment"]["amountCaptured"]["amount"], 0);
    let now = payment(&app, &id).await;
    assert_eq!(now["paymentSession"]["order"]["status"], "VOIDED");
    assert_eq!(kinds(&now).last().unwrap(), "PAYMENT_VOIDED");
    let version = now["paymentSession"]["version"].clone();

    let twice = void(&app, json!({ "paymentId": id })).await;
    assert_eq!(payload_code(&twice), "PAYMENT_NOT_VOIDABLE", "{twice}");
    let late = capture(&app, json!({ "paymentId": id })).await;
    assert_eq!(payload_code(&late), "PAYMENT_NOT_CAPTURABLE", "{late}");
    assert_eq!(payment(&app, &id).await["paymentSession"]["version"], version, "nothing changed");
    // A voided order is not paid again by a new session: it is over.
    let retry = app.create_session(json!({ "purpose": "CHECKOUT", "orderId": order })).await;
    let refused = &retry["data"]["createPaymentSession"];
    assert!(refused["paymentSession"].is_null() && refused["userErrors"][0]["code"].is_string(), "{retry}");

    // Captured in full, the order is PAID.
    let (_, captured_id) = authorized_order(&app).await;
    let captured = capture(&app, json!({ "paymentId": captured_id })).await;
    assert_eq!(captured["payment"]["amountCaptured"]["amount"], 4000, "{captured}");
    assert_eq!(payment(&app, &captured_id).await["paymentSession"]["order"]["status"], "PAID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_captures_and_voids_end_the_hold_exactly_once() {
    let app = spawn_app().await;
    let id = authorized(&app).await;
    let captures = (0..6).map(|i| (CAPTURE, json!({ "input": { "paymentId": id, "amount": 100 * (i + 1) } })));
    let voids = (0..6).map(|_| (VOID, json!({ "input": { "paymentId": id } })));
    let mut answers = app.race(&app.key, captures.chain(voids).collect()).await;
    let voided: Vec<Value> = answers.split_off(6).into_iter().map(|b| b["data"]["voidPayment"].clone()).collect();
    let captured: Vec<Value> = answers.into_iter().map(|b| b["data"]["capturePayment"].clone()).collect();
    // Where the money moves: the processor ended the hold once.
    let ledger = app.ledger();
    assert_eq!(ledger.captures.len() + ledger.voids.len(), 1, "{ledger:?}");
    let wins = captured.iter().chain(&voided).filter(|r| r["userErrors"].as_array().unwrap().is_empty()).count();
    assert_eq!(wins, 1, "one request ends the hold: {captured:?} {voided:?}");
    let losers: Vec<&str> = captured.iter().chain(&voided).map(payload_code).filter(|c| *c != "none").collect();
    assert!(losers.iter().all(|c| *c == "PAYMENT_NOT_CAPTURABLE" || *c == "PAYMENT_NOT_VOIDABLE"), "{losers:?}");
    let now = payment(&app, &id).await;
    let ends = kinds(&now).into_iter().filter(|k| k == "PAYMENT_CAPTURED" || k == "PAYMENT_VOIDED").count();
    assert_eq!(ends, 1, "{now}");
    assert_eq!(kinds(&now).len() as i64, now["paymentSession"]["version"].as_i64().unwrap());
    let winner = captured.iter().find(|r| r["payment"]["status"] == "SUCCEEDED");
    if let Some(winner) = winner {
        assert_eq!(now["amountCaptured"], winner["payment"]["amountCaptured"], "the winner's amount, no other");
    } else {
        assert_eq!(now["status"], "VOIDED");
    }
    assert_eq!(app.ledger().captures.len(), usize::from(winner.is_some()), "the winner's kind");
}

#[tokio::test]
async fn bad_captures_and_voids_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let id = authorized(&app).await;
    let before = payment(&app, &id).await;
    let automatic = {
        let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 900, "currency": "EUR" } });
        let (_, paid) = create_and_pay(&app, input, "4242424242424242").await;
        paid["payment"]["id"].as_str().unwrap().to_owned()
    };
    let cases = [
        (json!({ "paymentId": id, "amount": 0 }), "INVALID_AMOUNT", json!(["input", "amount"])),
        (json!({ "paymentId": id, "amount": -100 }), "INVALID_AMOUNT", json!(["input", "amount"])),
        (json!({ "paymentId": id, "amount": 2501 }), "AMOUNT_TOO_LARGE", json!(["input", "amount"])),
        (json!({ "paymentId": automatic }), "PAYMENT_NOT_CAPTURABLE", json!(["input", "paymentId"])),
        (json!({ "paymentId": "not-an-id" }), "INVALID_ID", json!(["input", "paymentId"])),
    ];
    for (input, expected, field) in cases {
        let payload = capture(&app, input.clone()).await;
        assert_eq!(payload_code(&payload), expected, "{input}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{input}");
        assert!(payload["payment"].is_null());
    }
    assert_eq!(payload_code(&void(&app, json!({ "paymentId": automatic })).await), "PAYMENT_NOT_VOIDABLE");
    // Another merchant's key finds no such payment; a client secret may not call either.
    let other = app.other_merchant_key().await;
    for query in [CAPTURE, VOID] {
        let foreign = app.gql_as(Some(&other), query, json!({ "input": { "paymentId": id } })).await;
        let payload = foreign["data"].as_object().unwrap().values().next().unwrap().clone();
        assert_eq!(payload_code(&payload), "NOT_FOUND", "{foreign}");
        let secret = crate::refunds::own_client_secret(&app, &id).await;
        let as_secret = app.gql_as(Some(&secret), query, json!({ "input": { "paymentId": id } })).await;
        assert_eq!(error_code(&as_secret), "FORBIDDEN", "the payment's own session's secret: {as_secret}");
    }
    assert_eq!(payment(&app, &id).await, before, "nothing changed");

    // Only an order or a free payment can be held, and never by bank transfer.
    let customer = app.create_customer("held@example.com").await;
    let refused = [
        json!({ "purpose": "BALANCE_TOP_UP", "customerId": customer, "amount": { "amount": 100, "currency": "EUR" }, "captureMethod": "MANUAL" }),
        json!({ "purpose": "SETUP", "customerId": customer, "captureMethod": "MANUAL" }),
        json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "EUR" }, "captureMethod": "MANUAL", "allowedPaymentMethods": ["BANK_TRANSFER"] }),
    ];
    for input in refused {
        let created = app.create_session(input.clone()).await;
        let payload = &created["data"]["createPaymentSession"];
        assert_eq!(payload["userErrors"][0]["code"], "NOT_ALLOWED", "{input}: {created}");
    }
}

#[tokio::test]
async fn the_same_capture_key_replays_and_other_input_under_it_is_refused() {
    let app = spawn_app().await;
    let id = authorized(&app).await;
    let input = json!({ "paymentId": id, "amount": 2000, "idempotencyKey": "capture-1" });
    let first = capture(&app, input.clone()).await;
    let again = capture(&app, input).await;
    assert_eq!(first, again, "replayed");
    let other = capture(&app, json!({ "paymentId": id, "amount": 1000, "idempotencyKey": "capture-1" })).await;
    assert_eq!(payload_code(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    let events = kinds(&payment(&app, &id).await);
    assert_eq!(events.iter().filter(|k| *k == "PAYMENT_CAPTURED").count(), 1, "{events:?}");
}

#[tokio::test]
async fn a_hold_not_captured_in_time_is_voided_by_the_background_pass() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), |config| {
        config.capture_window_hours = 24;
        config.live.background_interval_ms = 50;
    })
    .await;
    let id = authorized(&app).await;
    let deadline: chrono::DateTime<chrono::Utc> =
        payment(&app, &id).await["captureBefore"].as_str().unwrap().parse().unwrap();
    assert!((deadline - chrono::Utc::now() - chrono::Duration::hours(24)).num_seconds().abs() < 60, "{deadline}");
    assert_eq!(app.services.captures.void_expired().await.unwrap(), 0, "not yet");
    clock.advance(chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    // The pass runs every 50 ms: waited for, not raced (a pass by hand here could lose to it).
    let mut now = payment(&app, &id).await;
    for _ in 0..100 {
        if now["status"] == "VOIDED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        now = payment(&app, &id).await;
    }
    assert_eq!(now["status"], "VOIDED", "{now}");
    assert_eq!(app.services.captures.void_expired().await.unwrap(), 0, "voided once");
    let events = kinds(&payment(&app, &id).await);
    assert_eq!(events.iter().filter(|k| *k == "PAYMENT_VOIDED").count(), 1, "{events:?}");
    assert_eq!(events.last().unwrap(), "PAYMENT_VOIDED");
    assert_eq!(payload_code(&capture(&app, json!({ "paymentId": id })).await), "PAYMENT_NOT_CAPTURABLE");
}

#[tokio::test]
async fn a_subscriber_sees_the_capture_and_its_refund_in_version_order() {
    let app = spawn_app().await;
    let id = authorized(&app).await;
    let held = payment(&app, &id).await;
    let session_id = app
        .gql("query($id: ID!) { node(id: $id) { ... on Payment { paymentSession { id } } } }", json!({ "id": id }))
        .await["data"]["node"]["paymentSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let completed_at = held["paymentSession"]["version"].as_i64().unwrap();
    let mut socket = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    let updated = "subscription($id: ID!, $after: Int) { paymentSessionUpdated(id: $id, afterVersion: $after) {
        version kind status payment { id status amountCaptured { amount } } } }";
    socket.subscribe("s", updated, json!({ "id": session_id, "after": completed_at })).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    capture(&app, json!({ "paymentId": id, "amount": 2000 })).await;
    app.gql(
        "mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: 500 }) { userErrors { code } } }",
        json!({ "id": id }),
    )
    .await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match socket.next_frame().await {
            (_, Frame::Next(data)) => seen.push(data["paymentSessionUpdated"].clone()),
            other => panic!("unexpected {other:?}"),
        }
    }
    let got: Vec<(i64, &str)> =
        seen.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap())).collect();
    let v = completed_at;
    assert_eq!(got, [(v + 1, "PAYMENT_CAPTURED"), (v + 2, "REFUND_CREATED"), (v + 3, "REFUND_SUCCEEDED")]);
    assert_eq!(seen[0]["payment"]["id"], id.as_str());
    assert_eq!(seen[0]["status"], "COMPLETED", "a capture leaves the session's status as it is");
}
