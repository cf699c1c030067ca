//! A session, an order and a subscription's period are paid at most once: of confirmations
//! racing on one session one charges; a card token is spent once; whichever of several
//! sessions of one order reaches the processor first claims it (OPEN → PROCESSING), the
//! others are refused before any charge, and a declined attempt hands the claim back.

use serde_json::{Value, json};

use crate::support::payments::{CONFIRM, confirm, tokenize};
use crate::support::*;

const PAID: &str = "query($id: ID!) { node(id: $id) { ... on Order { status paymentSessions { edges { node {
    status version payments { edges { node { status } } } } } } } } }";

async fn create_order(app: &TestApp) -> String {
    let body = app
        .gql(
            "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code } } }",
            json!({ "input": { "currency": "EUR", "lineItems": [{ "name": "Lamp", "unitAmount": 4900 }] } }),
        )
        .await;
    body["data"]["createOrder"]["order"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

async fn create_subscription(app: &TestApp) -> String {
    let customer = app.create_customer("sub@example.com").await;
    let body = app
        .gql(
            "mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }",
            json!({ "input": { "customerId": customer, "price": { "amount": 999, "currency": "EUR" }, "interval": "MONTH" } }),
        )
        .await;
    body["data"]["createSubscription"]["subscription"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

/// `n` sessions of `input`, each with a card token of `number` ready: (id, secret, token).
async fn ready_sessions(app: &TestApp, input: Value, n: usize, number: &str) -> Vec<(String, String, String)> {
    let mut ready = Vec::new();
    for _ in 0..n {
        let (id, secret) = created(app.create_session(input.clone()).await);
        let token = tokenize(app, &secret, number).await;
        ready.push((id, secret, token));
    }
    ready
}

/// Every session's payments, by status: how many charges went through.
fn succeeded_payments(order: &Value) -> usize {
    order["paymentSessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["node"]["payments"]["edges"].as_array().unwrap().clone())
        .filter(|p| p["node"]["status"] == "SUCCEEDED")
        .count()
}

/// Confirms every session at the same instant, each on its own task and connection.
async fn confirm_all_at_once(app: &TestApp, ready: &[(String, String, String)]) -> Vec<Value> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ready.len()));
    let tasks: Vec<_> = ready
        .iter()
        .map(|(id, secret, token)| {
            let (client, address, barrier) = (reqwest::Client::new(), app.address.clone(), barrier.clone());
            let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
            let body = json!({ "query": CONFIRM, "variables": { "input": input } });
            let secret = secret.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response =
                    client.post(format!("{address}/graphql")).bearer_auth(secret).json(&body).send().await.unwrap();
                response.json::<Value>().await.unwrap()["data"]["confirmPaymentSession"].clone()
            })
        })
        .collect();
    let mut payloads = Vec::new();
    for task in tasks {
        payloads.push(task.await.unwrap());
    }
    payloads
}

#[tokio::test]
async fn a_second_session_for_a_paid_order_cannot_charge() {
    let app = spawn_app().await;
    let order = create_order(&app).await;
    let ready = ready_sessions(&app, json!({ "purpose": "CHECKOUT", "orderId": order }), 2, "4242424242424242").await;

    let (id, secret, token) = &ready[0];
    let first = confirm(&app, secret, id, token, None).await;
    assert_eq!(first["paymentSession"]["status"], "COMPLETED", "{first}");
    let (id, secret, token) = &ready[1];
    let second = confirm(&app, secret, id, token, None).await;
    assert_eq!(second["userErrors"][0]["code"], "ORDER_NOT_PAYABLE", "{second}");
    assert_eq!(second["paymentSession"], Value::Null, "{second}");
    assert_eq!(app.ledger().charges.len(), 1, "the second was refused before any charge");

    let state = app.gql(PAID, json!({ "id": order })).await["data"]["node"].clone();
    assert_eq!(state["status"], "PAID");
    assert_eq!(succeeded_payments(&state), 1, "{state}");
    let refused = state["paymentSessions"]["edges"].as_array().unwrap().iter().find(|s| s["node"]["version"] == 1);
    assert_eq!(refused.expect("the refused session is untouched")["node"]["status"], "OPEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_confirming_one_order_at_the_same_instant_charge_it_once() {
    let app = spawn_app().await;
    let order = create_order(&app).await;
    let ready = ready_sessions(&app, json!({ "purpose": "CHECKOUT", "orderId": order }), 6, "4242424242424242").await;
    let payloads = confirm_all_at_once(&app, &ready).await;

    let completed = payloads.iter().filter(|p| p["paymentSession"]["status"] == "COMPLETED").count();
    assert_eq!(completed, 1, "{payloads:#?}");
    for refused in payloads.iter().filter(|p| p["paymentSession"]["status"] != "COMPLETED") {
        let code = refused["userErrors"][0]["code"].as_str().unwrap_or_default();
        assert!(code == "ORDER_NOT_PAYABLE", "{refused}");
    }
    let state = app.gql(PAID, json!({ "id": order })).await["data"]["node"].clone();
    assert_eq!(succeeded_payments(&state), 1, "{state}");
    assert_eq!(app.ledger().charges.len(), 1, "the processor charged once: {:?}", app.ledger());
}

#[tokio::test]
async fn a_declined_attempt_hands_the_order_to_the_next_session() {
    let app = spawn_app().await;
    let order = create_order(&app).await;
    let input = json!({ "purpose": "CHECKOUT", "orderId": order });
    let declined = ready_sessions(&app, input.clone(), 1, "4000000000000002").await;
    let (id, secret, token) = &declined[0];
    let payload = confirm(&app, secret, id, token, None).await;
    assert_eq!(payload["userErrors"][0]["code"], "CARD_DECLINED", "{payload}");

    // A 3-D Secure challenge left pending, then canceled, hands it back too.
    let challenged = ready_sessions(&app, input.clone(), 1, "4000002500003155").await;
    let (id, secret, token) = &challenged[0];
    assert_eq!(confirm(&app, secret, id, token, None).await["paymentSession"]["status"], "REQUIRES_ACTION");
    let canceled = app
        .gql(
            "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { paymentSession { status } userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(canceled["data"]["cancelPaymentSession"]["paymentSession"]["status"], "CANCELED", "{canceled}");

    let paying = ready_sessions(&app, input, 1, "4242424242424242").await;
    let (id, secret, token) = &paying[0];
    let paid = confirm(&app, secret, id, token, None).await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    // The declined session, still open, can no longer pay the order.
    let (id, secret, _) = &declined[0];
    let retry = tokenize(&app, secret, "4242424242424242").await;
    let late = confirm(&app, secret, id, &retry, None).await;
    assert_eq!(late["userErrors"][0]["code"], "ORDER_NOT_PAYABLE", "{late}");
    // A decline and a challenge never passed took nothing; the late one was refused first.
    assert_eq!(app.ledger().charges.len(), 1, "one charge took money: {:?}", app.ledger());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriptions_first_period_is_paid_once_even_at_the_same_instant() {
    let app = spawn_app().await;
    let subscription = create_subscription(&app).await;
    let input = json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription });
    let mut ready = ready_sessions(&app, input.clone(), 6, "4242424242424242").await;
    let (late_id, late_secret, late_token) = ready.pop().unwrap();
    let payloads = confirm_all_at_once(&app, &ready).await;

    let completed = payloads.iter().filter(|p| p["paymentSession"]["status"] == "COMPLETED").count();
    assert_eq!(completed, 1, "{payloads:#?}");
    for refused in payloads.iter().filter(|p| p["paymentSession"]["status"] != "COMPLETED") {
        assert_eq!(refused["userErrors"][0]["code"], "SUBSCRIPTION_NOT_PAYABLE", "{refused}");
    }
    // A session made before the period was paid, confirmed after: no second charge.
    let late = confirm(&app, &late_secret, &late_id, &late_token, None).await;
    assert_eq!(late["userErrors"][0]["code"], "SUBSCRIPTION_NOT_PAYABLE", "{late}");
    let body = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Subscription { status payments { totalCount } } } }",
            json!({ "id": subscription }),
        )
        .await;
    assert_eq!(body["data"]["node"]["status"], "ACTIVE", "{body}");
    assert_eq!(body["data"]["node"]["payments"]["totalCount"], 1, "one charge: {body}");
    assert_eq!(app.ledger().charges.len(), 1, "the processor charged once: {:?}", app.ledger());
    // A session made afterwards is refused at creation.
    let late = app.create_session(input).await;
    assert_eq!(user_error_code(&late, "createPaymentSession"), "SUBSCRIPTION_NOT_PAYABLE");
}

#[tokio::test]
async fn only_a_checkout_names_an_order_and_only_a_subscription_session_a_subscription() {
    let app = spawn_app().await;
    let order = create_order(&app).await;
    let subscription = create_subscription(&app).await;
    let amount = json!({ "amount": 100, "currency": "EUR" });
    let body = app.create_session(json!({ "purpose": "PAYMENT", "amount": amount, "orderId": order })).await;
    assert_eq!(body["data"]["createPaymentSession"]["userErrors"][0]["field"], json!(["input", "orderId"]), "{body}");
    assert_eq!(user_error_code(&body, "createPaymentSession"), "NOT_ALLOWED");
    let body =
        app.create_session(json!({ "purpose": "PAYMENT", "amount": amount, "subscriptionId": subscription })).await;
    assert_eq!(user_error_code(&body, "createPaymentSession"), "NOT_ALLOWED");
    let count = app.gql("{ paymentSessions { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["paymentSessions"]["totalCount"], 0, "nothing was created");
}

#[tokio::test]
async fn a_subscription_a_session_is_paying_is_not_canceled_under_it() {
    use paygraph::domain::{SubscriptionId, TypedId};
    use paygraph::service::auth::Caller;
    let app = spawn_app().await;
    let subscription = create_subscription(&app).await;
    let (session, secret) =
        created(app.create_session(json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription })).await);
    // A bank transfer holds the subscription's period while it waits to settle.
    let waiting = crate::bank_and_wallet::transfer(&app, &secret, &session, "DE89370400440532013000").await;
    assert_eq!(waiting["paymentSession"]["status"], "PROCESSING", "{waiting}");

    let cancel = app
        .gql(
            "mutation($id: ID!) { cancelSubscription(input: {id: $id}) { subscription { status } userErrors { code } } }",
            json!({ "id": subscription }),
        )
        .await;
    assert_eq!(cancel["data"]["cancelSubscription"]["userErrors"][0]["code"], "PAYMENT_IN_PROGRESS", "{cancel}");
    // Whatever a racing reader saw of its sessions, the cancel's own guarded write refuses
    // while a session holds the period: its completion would revive a canceled subscription.
    let Some(Caller::Merchant { merchant, .. }) = app.services.auth.authenticate(&app.key).await.unwrap() else {
        panic!("the key is a merchant's")
    };
    let id = SubscriptionId::from_global(&subscription).unwrap();
    let row = app.services.subscriptions.get(merchant, id).await.unwrap().unwrap();
    let canceled = paygraph::storage::subscriptions::cancel_now(&app.services.core.db, &row, chrono::Utc::now());
    assert!(!canceled.await.unwrap(), "canceled under a paying session");
}

/// How many of the racing confirmations succeeded; each other one must have been refused
/// with one of `refused`.
async fn succeeded(tasks: Vec<tokio::task::JoinHandle<Value>>, refused: &[&str]) -> usize {
    let mut succeeded = 0;
    for task in tasks {
        let body = task.await.unwrap();
        let payload = &body["data"]["confirmPaymentSession"];
        if payload["payment"]["status"] == "SUCCEEDED" {
            succeeded += 1;
        } else {
            let code = payload["userErrors"][0]["code"].as_str().unwrap_or_default();
            assert!(refused.contains(&code), "{body}");
        }
    }
    succeeded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_racing_confirmations_charge_once() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut tokens = Vec::new();
    for _ in 0..10 {
        tokens.push(tokenize(&app, &app.key, "4242424242424242").await);
    }
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| app.spawn_gql(CONFIRM, json!({ "input": { "id": id, "paymentMethod": { "cardToken": token } } })))
        .collect();
    assert_eq!(succeeded(tasks, &["VERSION_CONFLICT", "ILLEGAL_TRANSITION"]).await, 1);
    let session = app
        .gql(
            "query($id: ID!) { paymentSession(id: $id) { status version payments { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        session["data"]["paymentSession"],
        json!({ "status": "COMPLETED", "version": 3, "payments": { "totalCount": 1 } })
    );
    assert_eq!(app.ledger().charges.len(), 1, "the processor charged once: {:?}", app.ledger());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_card_token_racing_on_six_sessions_is_spent_once() {
    let app = spawn_app().await;
    let token = tokenize(&app, &app.key, "4242424242424242").await;
    let mut sessions = Vec::new();
    for _ in 0..6 {
        sessions.push(app.create_payment_session(100, "USD").await.0);
    }
    let tasks: Vec<_> = sessions
        .iter()
        .map(|id| app.spawn_gql(CONFIRM, json!({ "input": { "id": id, "paymentMethod": { "cardToken": token } } })))
        .collect();
    assert_eq!(succeeded(tasks, &["TOKEN_USED"]).await, 1, "one token, one charge");
    let paid = app.gql("{ payments { totalCount } }", json!({})).await;
    assert_eq!(paid["data"]["payments"]["totalCount"], 1, "{paid}");
    assert_eq!(app.ledger().charges.len(), 1, "the processor charged once: {:?}", app.ledger());
}
