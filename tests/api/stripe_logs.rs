//! A processor key, its webhook signing secret and a card's number never reach a log: the
//! server binary runs at trace level against the Stripe fake while a merchant connects its
//! account, a customer pays, and the merchant refunds; then every line it wrote is searched.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::payments::CONFIRM;
use crate::support::*;

const CONNECT: &str = "mutation($input: ConnectProcessorAccountInput!) { connectProcessorAccount(input: $input) {
    userErrors { code } } }";

#[test]
fn neither_a_processor_key_nor_a_card_reaches_the_logs() {
    let Some(stripe) = test_stripe_url("neither_a_processor_key_nor_a_card_reaches_the_logs") else { return };
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("logs.db").display());
    let merchant = merchant_by_cli(&database, "Logged");
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["serve"])
        .env("DATABASE_URL", &database)
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYGRAPH_STRIPE_API_BASE", &stripe)
        .env("PAYGRAPH_BACKGROUND_INTERVAL_MS", "200")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let key = format!("sk_test_{}", uuid::Uuid::new_v4().simple());
    let signing = format!("whsec_{}", uuid::Uuid::new_v4().simple());
    let number = "4000002500003155";
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&client, &base).await;
        let gql = |token: &str, query: &'static str, variables: serde_json::Value| {
            let request = client.post(format!("{base}/graphql")).bearer_auth(token);
            let body = json!({ "query": query, "variables": variables });
            async move { request.json(&body).send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
        };
        let input = json!({ "kind": "STRIPE", "secretKey": key, "webhookSigningSecret": signing });
        let connected = gql(&merchant, CONNECT, json!({ "input": input })).await;
        assert_eq!(connected["data"]["connectProcessorAccount"]["userErrors"], json!([]), "{connected}");
        let made = gql(
            &merchant,
            CREATE_SESSION,
            json!({ "input": { "purpose": "PAYMENT",
            "amount": { "amount": 1800, "currency": "EUR" } } }),
        )
        .await;
        let (session, secret) = created(made);
        let card = json!({ "number": number, "expMonth": 12, "expYear": 2040, "cvc": "123" });
        let vault = client.post(format!("{base}/vault/cards")).bearer_auth(&secret).json(&card).send().await.unwrap();
        let token = vault.json::<serde_json::Value>().await.unwrap()["token"].clone();
        let input = json!({ "id": session, "paymentMethod": { "cardToken": token } });
        let paid = gql(&secret, CONFIRM, json!({ "input": input })).await;
        // A 3-D Secure card at Stripe: the customer is sent there (and comes back).
        assert_eq!(paid["data"]["confirmPaymentSession"]["paymentSession"]["status"], "REQUIRES_ACTION", "{paid}");
        let back = client.get(format!("{base}/pay/{secret}/return")).send().await.unwrap();
        assert!(back.status().is_success());
    });
    let _ = server.kill();
    let output = server.wait_with_output().unwrap();
    let logs = [output.stdout, output.stderr].concat();
    let logs = String::from_utf8_lossy(&logs);
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "the server logged at trace level");
    for (what, secret) in [
        ("the key", key.as_str()),
        ("its tail", &key[8..]),
        ("the signing secret", signing.as_str()),
        ("the card", number),
    ] {
        assert!(!logs.contains(secret), "{what} is in the logs");
    }
    assert!(
        !logs.contains("card%5Bnumber%5D") && !logs.contains("card[number]"),
        "the form sent to Stripe is not logged"
    );
}
