//! The money paths that had no race test: a bank transfer settled twice at once, two
//! sessions paying one debt at the same instant, one idempotency key used by racing balance
//! charges. Each races for real (the server on several threads, the requests released by a
//! barrier) and checks the invariant in paygraph's answers, its rows and at the processor.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::bank_and_wallet::transfer;
use crate::support::payments::tokenize;
use crate::support::*;

const SETTLE: &str = "mutation($input: SettleTestBankTransferInput!) { settleTestBankTransfer(input: $input) {
    paymentSession { status version } payment { status } userErrors { code } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bank_transfer_settled_twice_at_once_completes_once() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(5000, "EUR").await;
    let waiting = transfer(&app, &secret, &id, "DE89370400440532013000").await;
    let payment = waiting["payment"]["id"].clone();
    let settle = json!({ "input": { "paymentId": payment, "settled": true } });
    let answers = app.race(&app.key, vec![(SETTLE, settle); 8]).await;
    let payloads: Vec<&Value> = answers.iter().map(|a| &a["data"]["settleTestBankTransfer"]).collect();
    let settled = payloads.iter().filter(|p| p["userErrors"] == json!([])).count();
    assert_eq!(settled, 1, "{answers:#?}");
    for refused in payloads.iter().filter(|p| p["userErrors"] != json!([])) {
        let code = refused["userErrors"][0]["code"].as_str().unwrap_or_default();
        assert!(code == "ILLEGAL_TRANSITION" || code == "VERSION_CONFLICT", "{refused}");
    }
    let query = "query($id: ID!) { paymentSession(id: $id) { status version events { nodes { status } } } }";
    let session = app.gql(query, json!({ "id": id })).await["data"]["paymentSession"].clone();
    assert_eq!((&session["status"], &session["version"]), (&json!("COMPLETED"), &json!(3)), "{session}");
    let completions = session["events"]["nodes"].as_array().unwrap().iter().filter(|e| e["status"] == "COMPLETED");
    assert_eq!(completions.count(), 1, "{session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sessions_paying_one_debt_at_the_same_instant_take_it_once() {
    let app = spawn_app().await;
    let customer = app.create_customer("owes@example.com").await;
    let charge =
        "mutation($input: CreateBalanceChargeInput!) { createBalanceCharge(input: $input) { userErrors { code } } }";
    let input = json!({ "customerId": customer, "amount": { "amount": 1500, "currency": "EUR" } });
    assert_eq!(
        app.gql(charge, json!({ "input": input })).await["data"]["createBalanceCharge"]["userErrors"],
        json!([])
    );
    let outstanding = json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer });
    let mut ready = Vec::new();
    for _ in 0..2 {
        let (id, secret) = created(app.create_session(outstanding.clone()).await);
        let token = tokenize(&app, &secret, "4242424242424242").await;
        ready.push((id, secret, token));
    }
    let ready_again = ready.clone();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = ready
        .into_iter()
        .map(|(id, secret, token)| {
            let (barrier, client, address) = (barrier.clone(), reqwest::Client::new(), app.address.clone());
            let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
            let body = json!({ "query": crate::support::payments::CONFIRM, "variables": { "input": input } });
            tokio::spawn(async move {
                barrier.wait().await;
                let sent = client.post(format!("{address}/graphql")).bearer_auth(secret).json(&body).send().await;
                sent.unwrap().json::<Value>().await.unwrap()["data"]["confirmPaymentSession"].clone()
            })
        })
        .collect();
    let mut payloads = Vec::new();
    for task in tasks {
        payloads.push(task.await.unwrap());
    }
    let paid = payloads.iter().filter(|p| p["paymentSession"]["status"] == "COMPLETED").count();
    assert_eq!(paid, 1, "one session pays the debt: {payloads:#?}");
    let refused = payloads.iter().find(|p| p["paymentSession"]["status"] != "COMPLETED").unwrap();
    assert_eq!(refused["userErrors"][0]["code"], "NOTHING_OUTSTANDING", "{refused}");
    // Tried again once the other has paid, the refused session still takes nothing.
    let (late, late_secret, _) = ready_again.iter().find(|(id, ..)| *id != paid_id(&payloads)).unwrap();
    let token = tokenize(&app, late_secret, "4242424242424242").await;
    let again = crate::support::payments::confirm(&app, late_secret, late, &token, None).await;
    assert_eq!(again["userErrors"][0]["code"], "NOTHING_OUTSTANDING", "{again}");
    assert_eq!(app.ledger().charges.len(), 1, "the processor charged once: {:?}", app.ledger());
    let balance = "query($id: ID!) { node(id: $id) { ... on Customer { balance(currency: \"EUR\") { amount } } } }";
    let state = app.gql(balance, json!({ "id": customer })).await;
    assert_eq!(state["data"]["node"]["balance"]["amount"], 0, "the debt is settled once, not twice: {state}");
}

/// The id of the session that completed among racing confirmations.
fn paid_id(payloads: &[Value]) -> String {
    let paid = payloads.iter().find(|p| p["paymentSession"]["status"] == "COMPLETED").unwrap();
    paid["paymentSession"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_balance_charges_under_one_idempotency_key_post_one_entry() {
    let app = spawn_app().await;
    let customer = app.create_customer("fee@example.com").await;
    let charge = "mutation($input: CreateBalanceChargeInput!) { createBalanceCharge(input: $input) {
        ledgerEntry { amount { amount } } userErrors { code } } }";
    let input =
        json!({ "customerId": customer, "amount": { "amount": 700, "currency": "EUR" }, "idempotencyKey": "fee-1" });
    let answers = app.race(&app.key, vec![(charge, json!({ "input": input })); 8]).await;
    for answer in &answers {
        let payload = &answer["data"]["createBalanceCharge"];
        let posted = payload["userErrors"] == json!([]) && payload["ledgerEntry"]["amount"]["amount"] == -700;
        let in_use = payload["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_IN_USE";
        assert!(posted || in_use, "a replay of the one entry, or told the key is in use: {answer}");
    }
    let entries = "query($id: ID!) { node(id: $id) { ... on Customer { balance(currency: \"EUR\") { amount }
        ledgerEntries { totalCount } } } }";
    let state = app.gql(entries, json!({ "id": customer })).await["data"]["node"].clone();
    assert_eq!(state, json!({ "balance": { "amount": -700 }, "ledgerEntries": { "totalCount": 1 } }));
}
