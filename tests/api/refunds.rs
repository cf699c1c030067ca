//! Refunds: partial and full, never more than was captured (also when they race), bad input
//! refused with nothing changed, idempotent, a card whose refunds fail later, and each
//! refund an event of its session in the same log and stream as status changes.

use serde_json::{Value, json};

use crate::support::payments::{create_and_pay, pay};
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const REFUND: &str = "mutation($input: RefundPaymentInput!) { refundPayment(input: $input) {
    refund { id status amount { amount currency } reason failureCode }
    payment { id amountRefunded { amount } }
    userErrors { field code message } } }";

const PAYMENT: &str = "query($id: ID!) { node(id: $id) { ... on Payment { status amountRefunded { amount }
    refunds(first: 20) { totalCount nodes { status amount { amount } } }
    paymentSession { version events(first: 50) { nodes { version kind status refund { id status } } } } } } }";

/// The client secret of payment `id`'s own session (the last segment of its hosted URL).
pub async fn own_client_secret(app: &TestApp, id: &str) -> String {
    let query = "query($id: ID!) { node(id: $id) { ... on Payment { paymentSession { hostedUrl } } } }";
    let body = app.gql(query, json!({ "id": id })).await;
    let url = body["data"]["node"]["paymentSession"]["hostedUrl"].as_str().unwrap_or_else(|| panic!("{body}"));
    url.rsplit('/').next().unwrap().to_owned()
}

pub async fn refund(app: &TestApp, input: Value) -> Value {
    app.gql(REFUND, json!({ "input": input })).await["data"]["refundPayment"].clone()
}

/// A session of 25.00 EUR paid with `card`; its payment's id.
async fn paid(app: &TestApp, card: &str) -> String {
    let (_, payload) = pay(app, card).await;
    assert_eq!(payload["payment"]["status"], "SUCCEEDED", "{payload}");
    payload["payment"]["id"].as_str().unwrap().to_owned()
}

async fn payment(app: &TestApp, id: &str) -> Value {
    node_of(app, PAYMENT, id).await
}

#[tokio::test]
async fn partial_refunds_add_up_to_what_was_captured_and_no_more() {
    let app = spawn_app().await;
    let id = paid(&app, "4242424242424242").await;
    let first = refund(&app, json!({ "paymentId": id, "amount": 1000, "reason": "DUPLICATE" })).await;
    assert_eq!(first["refund"]["status"], "SUCCEEDED", "{first}");
    assert_eq!(first["refund"]["amount"], json!({ "amount": 1000, "currency": "EUR" }));
    assert_eq!(first["refund"]["reason"], "DUPLICATE");
    assert_eq!(first["payment"]["amountRefunded"]["amount"], 1000);

    let rest = refund(&app, json!({ "paymentId": id })).await;
    assert_eq!(rest["refund"]["amount"]["amount"], 1500, "the default is all that is left: {rest}");
    assert_eq!(rest["refund"]["reason"], "REQUESTED_BY_CUSTOMER");
    assert_eq!(rest["payment"]["amountRefunded"]["amount"], 2500);

    // The customer sees it on the session's hosted page.
    let page = app.hosted_page_of_payment(&id).await;
    assert!(page.contains("€10.00 refunded") && page.contains("€15.00 refunded"), "{page}");

    let more = refund(&app, json!({ "paymentId": id, "amount": 1 })).await;
    assert_eq!(payload_code(&more), "ALREADY_REFUNDED", "{more}");
    let now = payment(&app, &id).await;
    assert_eq!(now["refunds"]["totalCount"], 2);
    assert_eq!(now["status"], "SUCCEEDED", "a refunded payment keeps its status; amountRefunded says the rest");
    // A refund is a node.
    let node = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Refund { amount { amount } payment { id } } } }",
            json!({ "id": first["refund"]["id"] }),
        )
        .await;
    assert_eq!(node["data"]["node"]["payment"]["id"], id.as_str(), "{node}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refunds_never_give_back_more_than_was_captured() {
    let app = spawn_app().await;
    let id = paid(&app, "4242424242424242").await;
    let racing = vec![(REFUND, json!({ "input": { "paymentId": id, "amount": 400 } })); 10];
    let results: Vec<Value> =
        app.race(&app.key, racing).await.into_iter().map(|body| body["data"]["refundPayment"].clone()).collect();
    // Where the money moves: six refunds reached the processor, 2400 in all; the four
    // refused were refused before it.
    let refunds = app.ledger().refunds;
    assert_eq!(refunds.len(), 6, "{refunds:?}");
    assert_eq!(refunds.iter().map(|(_, amount)| amount).sum::<i64>(), 2400);
    let succeeded = results.iter().filter(|r| r["refund"]["status"] == "SUCCEEDED").count();
    let refused: Vec<&str> = results.iter().filter(|r| r["refund"].is_null()).map(payload_code).collect();
    assert_eq!(succeeded, 6, "2500 holds six refunds of 400: {results:?}");
    assert!(refused.iter().all(|c| *c == "AMOUNT_TOO_LARGE"), "{refused:?}");
    let now = payment(&app, &id).await;
    assert_eq!(now["amountRefunded"]["amount"], 2400);
    let sum: i64 =
        now["refunds"]["nodes"].as_array().unwrap().iter().map(|r| r["amount"]["amount"].as_i64().unwrap()).sum();
    assert_eq!(sum, 2400);
    // Every change raised the version by exactly one: as many events as the version says.
    let session = &now["paymentSession"];
    let events = session["events"]["nodes"].as_array().unwrap();
    assert_eq!(events.len() as i64, session["version"].as_i64().unwrap());
    let versions: Vec<i64> = events.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    assert_eq!(events.iter().filter(|e| e["kind"] == "REFUND_SUCCEEDED").count(), 6);
}

#[tokio::test]
async fn bad_refunds_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let id = paid(&app, "4242424242424242").await;
    let before = payment(&app, &id).await;
    let (_, declined) = pay(&app, "4000000000000002").await;
    let failed = declined["payment"]["id"].as_str().unwrap().to_owned();
    let other = app.other_merchant_key().await;
    let cases = [
        (json!({ "paymentId": id, "amount": -5 }), "INVALID_AMOUNT", json!(["input", "amount"])),
        (json!({ "paymentId": id, "amount": 0 }), "INVALID_AMOUNT", json!(["input", "amount"])),
        (json!({ "paymentId": id, "amount": 2501 }), "AMOUNT_TOO_LARGE", json!(["input", "amount"])),
        (json!({ "paymentId": failed }), "PAYMENT_NOT_REFUNDABLE", json!(["input", "paymentId"])),
        (json!({ "paymentId": "not-an-id" }), "INVALID_ID", json!(["input", "paymentId"])),
    ];
    for (input, expected, field) in cases {
        let payload = refund(&app, input.clone()).await;
        assert_eq!(payload_code(&payload), expected, "{input}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{input}");
        assert!(payload["refund"].is_null());
    }
    // Another merchant's key cannot see the payment, let alone refund it.
    let foreign = app.gql_as(Some(&other), REFUND, json!({ "input": { "paymentId": id } })).await;
    assert_eq!(foreign["data"]["refundPayment"]["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
    // Nor can the payment's own session's client secret.
    let secret = own_client_secret(&app, &id).await;
    let secret_payload = app.gql_as(Some(&secret), REFUND, json!({ "input": { "paymentId": id } })).await;
    assert!(secret_payload["data"]["refundPayment"].is_null(), "{secret_payload}");
    assert_eq!(error_code(&secret_payload), "FORBIDDEN", "{secret_payload}");
    assert_eq!(payment(&app, &id).await, before, "nothing changed");
}

#[tokio::test]
async fn the_same_key_replays_and_other_input_under_it_is_refused() {
    let app = spawn_app().await;
    let id = paid(&app, "4242424242424242").await;
    let input = json!({ "paymentId": id, "amount": 700, "idempotencyKey": "refund-1" });
    let first = refund(&app, input.clone()).await;
    let again = refund(&app, input).await;
    assert_eq!(first["refund"]["id"], again["refund"]["id"], "{again}");
    assert_eq!(again["payment"]["amountRefunded"]["amount"], 700);
    let other = refund(&app, json!({ "paymentId": id, "amount": 800, "idempotencyKey": "refund-1" })).await;
    assert_eq!(payload_code(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    assert_eq!(payment(&app, &id).await["refunds"]["totalCount"], 1);
}

#[tokio::test]
async fn a_refund_the_processor_fails_later_gives_its_amount_back() {
    let app = spawn_quiet_app().await;
    let id = paid(&app, "4000000000005126").await;
    let pending = refund(&app, json!({ "paymentId": id })).await;
    assert_eq!(pending["refund"]["status"], "PENDING", "{pending}");
    assert_eq!(pending["payment"]["amountRefunded"]["amount"], 2500, "a pending refund holds its amount");
    assert_eq!(payload_code(&refund(&app, json!({ "paymentId": id, "amount": 1 })).await), "ALREADY_REFUNDED");

    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 1);
    let now = payment(&app, &id).await;
    assert_eq!(now["refunds"]["nodes"][0]["status"], "FAILED");
    assert_eq!(now["amountRefunded"]["amount"], 0, "the failed amount is refundable again");
    let kinds: Vec<&str> = now["paymentSession"]["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[kinds.len() - 2..], ["REFUND_CREATED", "REFUND_FAILED"]);
    let failed = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Refund { failureCode } } }",
            json!({ "id": pending["refund"]["id"] }),
        )
        .await;
    assert_eq!(failed["data"]["node"]["failureCode"], "expired_or_canceled_card");
    let again = refund(&app, json!({ "paymentId": id, "amount": 500 })).await;
    assert_eq!(again["refund"]["status"], "PENDING", "{again}");
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 1, "settled once, then nothing is left");
    assert_eq!(app.services.refunds.settle_pending().await.unwrap(), 0);
}

#[tokio::test]
async fn a_subscriber_sees_refund_events_in_version_order_after_completion() {
    let app = spawn_app().await;
    let (session, payload) = pay(&app, "4242424242424242").await;
    let payment_id = payload["payment"]["id"].as_str().unwrap().to_owned();
    let completed_at = payload["paymentSession"]["version"].as_i64().unwrap();
    let mut socket = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    let updated = "subscription($id: ID!, $after: Int) { paymentSessionUpdated(id: $id, afterVersion: $after) {
        version kind status refund { amount { amount } status } payment { id } } }";
    socket.subscribe("s", updated, json!({ "id": session, "after": completed_at })).await;
    let merchant = "subscription { paymentSessionEvents { version kind paymentSession { id } } }";
    socket.subscribe("m", merchant, json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    refund(&app, json!({ "paymentId": payment_id, "amount": 300 })).await;
    refund(&app, json!({ "paymentId": payment_id, "amount": 200 })).await;
    let mut on_session = Vec::new();
    let mut on_merchant = Vec::new();
    while on_session.len() < 4 || on_merchant.len() < 4 {
        match socket.next_frame().await {
            (id, crate::support::ws::Frame::Next(data)) if id == "s" => {
                on_session.push(data["paymentSessionUpdated"].clone())
            }
            (id, crate::support::ws::Frame::Next(data)) if id == "m" => {
                on_merchant.push(data["paymentSessionEvents"].clone())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let kinds: Vec<(i64, &str)> =
        on_session.iter().map(|e| (e["version"].as_i64().unwrap(), e["kind"].as_str().unwrap())).collect();
    let v = completed_at;
    assert_eq!(
        kinds,
        [
            (v + 1, "REFUND_CREATED"),
            (v + 2, "REFUND_SUCCEEDED"),
            (v + 3, "REFUND_CREATED"),
            (v + 4, "REFUND_SUCCEEDED")
        ]
    );
    assert_eq!(on_session[1]["refund"]["amount"]["amount"], 300);
    assert_eq!(on_session[1]["status"], "COMPLETED", "a refund leaves the status as it is");
    assert_eq!(on_session[0]["payment"]["id"], payment_id.as_str());
    let merchant_versions: Vec<i64> = on_merchant.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(merchant_versions, [v + 1, v + 2, v + 3, v + 4]);
}

#[tokio::test]
async fn refunds_reverse_balances_mark_orders_and_leave_subscriptions_alone() {
    let app = spawn_app().await;
    // A top-up: refunding it takes the credit back.
    let customer = app.create_customer("refund@example.com").await;
    let top_up =
        json!({ "purpose": "BALANCE_TOP_UP", "customerId": customer, "amount": { "amount": 5000, "currency": "USD" } });
    let (_, paid) = create_and_pay(&app, top_up, "4242424242424242").await;
    refund(&app, json!({ "paymentId": paid["payment"]["id"], "amount": 2000 })).await;
    let balance = app
        .gql("query($id: ID!) { node(id: $id) { ... on Customer { balances { amount currency } ledgerEntries(first: 10) { nodes { kind amount { amount } } } } } }", json!({ "id": customer }))
        .await;
    let customer_now = &balance["data"]["node"];
    assert_eq!(customer_now["balances"], json!([{ "amount": 3000, "currency": "USD" }]), "{balance}");
    let kinds: Vec<&str> = customer_now["ledgerEntries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"REFUND"), "{kinds:?}");

    // An order: REFUNDED once all of it is back, not before.
    let order = app
        .gql(
            "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } } }",
            json!({ "input": { "currency": "EUR", "lineItems": [{ "name": "Lamp", "unitAmount": 4900 }] } }),
        )
        .await["data"]["createOrder"]["order"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, paid) = create_and_pay(&app, json!({ "purpose": "CHECKOUT", "orderId": order }), "4242424242424242").await;
    let payment_id = paid["payment"]["id"].clone();
    let order_status = || async {
        app.gql("query($id: ID!) { node(id: $id) { ... on Order { status } } }", json!({ "id": order })).await["data"]["node"]["status"].clone()
    };
    refund(&app, json!({ "paymentId": payment_id, "amount": 900 })).await;
    assert_eq!(order_status().await, "PAID");
    refund(&app, json!({ "paymentId": payment_id })).await;
    assert_eq!(order_status().await, "REFUNDED");

    // A subscription's first payment: refunded, the subscription stays as it is.
    let subscriber = app.create_customer("sub-refund@example.com").await;
    let subscription = app
        .gql("mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }",
            json!({ "input": { "customerId": subscriber, "price": { "amount": 999, "currency": "EUR" }, "interval": "MONTH" } }))
        .await["data"]["createSubscription"]["subscription"]["id"].as_str().unwrap().to_owned();
    let (_, paid) =
        create_and_pay(&app, json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription }), "4242424242424242")
            .await;
    let refunded = refund(&app, json!({ "paymentId": paid["payment"]["id"] })).await;
    assert_eq!(refunded["refund"]["status"], "SUCCEEDED", "{refunded}");
    let status = app
        .gql("query($id: ID!) { node(id: $id) { ... on Subscription { status } } }", json!({ "id": subscription }))
        .await;
    assert_eq!(status["data"]["node"]["status"], "ACTIVE");
}
