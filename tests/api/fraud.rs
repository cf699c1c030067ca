//! Fraud rules beyond the card: velocity per IP and per customer, the blocklist (card, IP,
//! email), and where the client's IP comes from.

use serde_json::{Value, json};

use crate::support::payments::{CONFIRM, confirm, pay, tokenize};
use crate::support::*;

const ADD: &str = "mutation($input: AddBlocklistEntryInput!) { addBlocklistEntry(input: $input) {
    blocklistEntry { id kind value note } userErrors { field message code } } }";
const REMOVE: &str = "mutation($input: RemoveBlocklistEntryInput!) { removeBlocklistEntry(input: $input) {
    removedId userErrors { field code } } }";
const PAYMENT_OF: &str = "query($id: ID!) { paymentSession(id: $id) {
    payments(first: 1) { edges { node { cardFingerprint clientIp fraudRule fraudDecision riskScore } } } } }";

async fn add(app: &TestApp, kind: &str, value: &str) -> Value {
    let body = app.gql(ADD, json!({ "input": { "kind": kind, "value": value, "note": "chargebacks" } })).await;
    body["data"]["addBlocklistEntry"].clone()
}

async fn last_payment(app: &TestApp, session: &str) -> Value {
    let body = app.gql(PAYMENT_OF, json!({ "id": session })).await;
    body["data"]["paymentSession"]["payments"]["edges"][0]["node"].clone()
}

/// A session of `customer` paid with `number`; returns the confirmation's payload.
async fn pay_as_customer(app: &TestApp, customer: &str, number: &str) -> Value {
    let body = app
        .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 1200, "currency": "EUR" },
                                "customerId": customer }))
        .await;
    let payload = &body["data"]["createPaymentSession"];
    let (id, secret) = (payload["paymentSession"]["id"].as_str().unwrap(), payload["clientSecret"].as_str().unwrap());
    let token = tokenize(app, secret, number).await;
    confirm(app, secret, id, &token, None).await
}

#[tokio::test]
async fn a_blocklisted_card_is_refused_until_it_is_removed() {
    let app = spawn_app().await;
    let (first, _) = pay(&app, "4000000000000002").await;
    let payment = last_payment(&app, &first).await;
    let fingerprint = payment["cardFingerprint"].as_str().unwrap().to_owned();
    assert_eq!(fingerprint.len(), 32, "{payment}");

    let added = add(&app, "CARD_FINGERPRINT", &fingerprint.to_uppercase()).await;
    assert_eq!(added["userErrors"], json!([]), "{added}");
    assert_eq!(added["blocklistEntry"]["value"], fingerprint.as_str(), "stored in canonical form");
    let (_, blocked) = pay(&app, "4000000000000002").await;
    assert_eq!(blocked["userErrors"][0]["code"], "BLOCKED_BY_FRAUD_RULE", "{blocked}");
    assert_eq!(blocked["payment"]["fraudRule"], "blocklist_card_fingerprint");
    assert_eq!(blocked["payment"]["fraudDecision"], "BLOCK");
    assert_eq!(blocked["payment"]["riskScore"], 100);
    assert_eq!(blocked["paymentSession"]["status"], "OPEN", "a blocked attempt is a failed attempt");
    // Another card is not affected.
    let (_, other) = pay(&app, "4242424242424242").await;
    assert_eq!(other["paymentSession"]["status"], "COMPLETED", "{other}");

    let again = add(&app, "CARD_FINGERPRINT", &fingerprint).await;
    assert_eq!(again["userErrors"][0]["code"], "DUPLICATE", "{again}");
    let list = app.gql("{ blocklistEntries { totalCount edges { node { kind value note } } } }", json!({})).await;
    assert_eq!(
        list["data"]["blocklistEntries"],
        json!({ "totalCount": 1, "edges": [{ "node": { "kind": "CARD_FINGERPRINT", "value": fingerprint, "note": "chargebacks" } }] })
    );

    let id = added["blocklistEntry"]["id"].clone();
    let removed = app.gql(REMOVE, json!({ "input": { "id": id } })).await;
    assert_eq!(removed["data"]["removeBlocklistEntry"], json!({ "removedId": id, "userErrors": [] }));
    let (_, allowed) = pay(&app, "4000000000000002").await;
    assert_eq!(allowed["userErrors"][0]["code"], "CARD_DECLINED", "the issuer decides again: {allowed}");
    let gone = app.gql(REMOVE, json!({ "input": { "id": id } })).await;
    assert_eq!(user_error_code(&gone, "removeBlocklistEntry"), "NOT_FOUND");
}

#[tokio::test]
async fn the_clients_ip_and_a_customers_email_can_be_blocked() {
    let app = spawn_app().await;
    let (session, _) = pay(&app, "4242424242424242").await;
    assert_eq!(last_payment(&app, &session).await["clientIp"], "127.0.0.1");

    let mallory = app.create_customer("Mallory@Example.com").await;
    let added = add(&app, "EMAIL", " mallory@EXAMPLE.com ").await;
    assert_eq!(added["blocklistEntry"]["value"], "mallory@example.com", "{added}");
    let blocked = pay_as_customer(&app, &mallory, "4242424242424242").await;
    assert_eq!(blocked["payment"]["fraudRule"], "blocklist_email", "{blocked}");
    let alice = app.create_customer("alice@example.com").await;
    let allowed = pay_as_customer(&app, &alice, "4242424242424242").await;
    assert_eq!(allowed["paymentSession"]["status"], "COMPLETED", "{allowed}");

    let added = add(&app, "IP_ADDRESS", "::ffff:127.0.0.1").await;
    assert_eq!(added["blocklistEntry"]["value"], "127.0.0.1", "{added}");
    let (_, blocked) = pay(&app, "5555555555554444").await;
    assert_eq!(blocked["payment"]["fraudRule"], "blocklist_ip_address", "{blocked}");
}

#[tokio::test]
async fn bad_blocklist_input_is_a_user_error_and_merchants_only() {
    let app = spawn_app().await;
    for (kind, value) in [("IP_ADDRESS", "10.0.0"), ("EMAIL", "nobody"), ("CARD_FINGERPRINT", "4242424242424242")] {
        let payload = add(&app, kind, value).await;
        assert_eq!(payload["userErrors"][0]["code"], "INVALID", "{payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["input", "value"]));
        // Not even a fingerprint-shaped card number is echoed back.
        assert!(!payload["userErrors"][0]["message"].as_str().unwrap().contains(value), "{payload}");
    }
    let list = app.gql("{ blocklistEntries { totalCount } }", json!({})).await;
    assert_eq!(list["data"]["blocklistEntries"]["totalCount"], 0);

    let (_, secret) = app.create_payment_session(100, "EUR").await;
    let input = json!({ "input": { "kind": "IP_ADDRESS", "value": "10.0.0.1" } });
    let body = app.gql_as(Some(&secret), ADD, input).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // Another merchant neither sees nor removes this merchant's entries.
    let added = add(&app, "IP_ADDRESS", "10.0.0.1").await;
    let other = app.other_merchant_key().await;
    let id = added["blocklistEntry"]["id"].clone();
    let body = app.gql_as(Some(&other), REMOVE, json!({ "input": { "id": id } })).await;
    assert_eq!(user_error_code(&body, "removeBlocklistEntry"), "NOT_FOUND");
    let body = app.gql_as(Some(&other), "{ blocklistEntries { totalCount } }", json!({})).await;
    assert_eq!(body["data"]["blocklistEntries"]["totalCount"], 0);
}

#[tokio::test]
async fn attempts_from_one_ip_are_limited() {
    let app = spawn_app_with(|config| config.fraud.ip_velocity = 3).await;
    for number in ["4242424242424242", "5555555555554444", "4000000000000002"] {
        let (_, payload) = pay(&app, number).await;
        assert_eq!(payload["payment"]["fraudDecision"], "ALLOW", "{payload}");
    }
    let (_, blocked) = pay(&app, "6011111111111117").await;
    assert_eq!(blocked["userErrors"][0]["code"], "BLOCKED_BY_FRAUD_RULE", "{blocked}");
    assert_eq!(blocked["payment"]["fraudRule"], "ip_velocity");
}

#[tokio::test]
async fn attempts_by_one_customer_are_limited() {
    let app = spawn_app_with(|config| config.fraud.customer_velocity = 2).await;
    let carol = app.create_customer("carol@example.com").await;
    for number in ["4242424242424242", "5555555555554444"] {
        let payload = pay_as_customer(&app, &carol, number).await;
        assert_eq!(payload["payment"]["fraudDecision"], "ALLOW", "{payload}");
        assert!(payload["payment"]["riskScore"].as_i64().unwrap() < 100);
    }
    let blocked = pay_as_customer(&app, &carol, "6011111111111117").await;
    assert_eq!(blocked["payment"]["fraudRule"], "customer_velocity", "{blocked}");
    // Another customer on the same IP goes on paying.
    let dave = app.create_customer("dave@example.com").await;
    let allowed = pay_as_customer(&app, &dave, "6011111111111117").await;
    assert_eq!(allowed["paymentSession"]["status"], "COMPLETED", "{allowed}");
}

/// `X-Forwarded-For` is believed only behind a trusted proxy, and then only its last entry.
#[tokio::test]
async fn the_client_ip_comes_from_the_proxy_only_when_trusted() {
    for (trusted, expected) in [(false, "127.0.0.1"), (true, "198.51.100.7")] {
        let app = spawn_app_with(|config| config.trust_proxy = trusted).await;
        let (id, secret) = app.create_payment_session(2500, "EUR").await;
        let token = tokenize(&app, &secret, "4242424242424242").await;
        let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&secret)
            .header("x-forwarded-for", "203.0.113.9, 198.51.100.7")
            .json(&json!({ "query": CONFIRM, "variables": { "input": input } }))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["confirmPaymentSession"]["paymentSession"]["status"], "COMPLETED", "{body}");
        assert_eq!(last_payment(&app, &id).await["clientIp"], expected, "trusted: {trusted}");
    }
}

/// A SETUP session of a new customer, confirmed with `number`: (customer, payload).
async fn set_up_card(app: &TestApp, email: &str, number: &str) -> (String, Value) {
    let customer = app.create_customer(email).await;
    let (id, secret) = created(app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await);
    let token = tokenize(app, &secret, number).await;
    (customer, confirm(app, &secret, &id, &token, None).await)
}

async fn saved_profiles(app: &TestApp, customer: &str) -> i64 {
    let body = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { totalCount } } } }",
            json!({ "id": customer }),
        )
        .await;
    body["data"]["node"]["paymentProfiles"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn a_setup_session_cannot_save_a_blocklisted_card() {
    let app = spawn_app().await;
    let (first, _) = pay(&app, "4242424242424242").await;
    let fingerprint = last_payment(&app, &first).await["cardFingerprint"].as_str().unwrap().to_owned();
    assert_eq!(add(&app, "CARD_FINGERPRINT", &fingerprint).await["userErrors"], json!([]));

    let (customer, blocked) = set_up_card(&app, "setup@example.com", "4242424242424242").await;
    assert_eq!(blocked["userErrors"][0]["code"], "BLOCKED_BY_FRAUD_RULE", "{blocked}");
    assert_eq!(blocked["paymentSession"]["status"], "OPEN", "a blocked verification is a failed attempt");
    assert_eq!(blocked["paymentSession"]["attemptCount"], 1);
    assert_eq!(saved_profiles(&app, &customer).await, 0, "nothing was saved");
}

#[tokio::test]
async fn setup_verifications_count_toward_the_card_velocity() {
    let app = spawn_app_with(|config| config.fraud.card_velocity = 2).await;
    for email in ["a@example.com", "b@example.com"] {
        let (_, saved) = set_up_card(&app, email, "5555555555554444").await;
        assert_eq!(saved["paymentSession"]["status"], "COMPLETED", "{saved}");
    }
    // Card testing through SETUP sessions: the third try with the card, saving or paying, is refused.
    let (customer, blocked) = set_up_card(&app, "c@example.com", "5555555555554444").await;
    assert_eq!(blocked["userErrors"][0]["code"], "BLOCKED_BY_FRAUD_RULE", "{blocked}");
    assert_eq!(saved_profiles(&app, &customer).await, 0);
    let (_, payment) = pay(&app, "5555555555554444").await;
    assert_eq!(payment["payment"]["fraudRule"], "card_velocity", "{payment}");
}
