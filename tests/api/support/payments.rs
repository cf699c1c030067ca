//! Paying as the hosted page or an app would: tokenize a card with the session's client
//! secret at `/vault/cards`, then confirm through GraphQL.

use serde_json::{Value, json};

use super::*;

/// What the hosted page or an app may read with a client secret.
pub const CONFIRM: &str = "mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
    paymentSession { id status version attemptCount }
    payment { id status declineCode methodType methodSummary { ...Summary } amount { amount currency } }
    nextAction { type paymentId }
    userErrors { field message code } } }
    fragment Summary on PaymentMethodSummary { __typename
      ... on CardSummary { brand last4 expMonth expYear savedProfile }
      ... on WalletSummary { wallet brand last4 expMonth expYear savedProfile }
      ... on BankTransferSummary { country last4 } }";

/// What the merchant sees of a payment besides: the fraud rules' verdict.
const FRAUD_FIELDS: &str = "query($id: ID!) { payment(id: $id) { riskScore fraudRule fraudDecision } }";

/// Confirms with `auth` (a client secret or the key), then adds the merchant's view of the
/// fraud fields to the payment, as a merchant's backend would read them.
pub async fn confirm_with(app: &TestApp, auth: &str, input: Value) -> Value {
    let body = app.gql_as(Some(auth), CONFIRM, json!({ "input": input })).await;
    let mut payload = body["data"]["confirmPaymentSession"].clone();
    if let Some(id) = payload["payment"]["id"].as_str() {
        let fraud = app.gql(FRAUD_FIELDS, json!({ "id": id })).await;
        for field in ["riskScore", "fraudRule", "fraudDecision"] {
            payload["payment"][field] = fraud["data"]["payment"][field].clone();
        }
    }
    payload
}

pub async fn tokenize(app: &TestApp, auth: &str, number: &str) -> String {
    let cvc = if number.starts_with("37") { "1234" } else { "123" };
    let body = json!({ "number": number, "expMonth": 12, "expYear": 2040, "cvc": cvc });
    let response =
        app.client.post(format!("{}/vault/cards", app.address)).bearer_auth(auth).json(&body).send().await.unwrap();
    let answer: Value = response.json().await.unwrap();
    answer["token"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}

pub async fn confirm(app: &TestApp, auth: &str, session: &str, token: &str, key: Option<&str>) -> Value {
    let input = json!({ "id": session, "paymentMethod": { "cardToken": token }, "idempotencyKey": key });
    confirm_with(app, auth, input).await
}

/// Tokenizes `number` with the session's client secret and confirms with it.
pub async fn pay(app: &TestApp, number: &str) -> (String, Value) {
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let token = tokenize(app, &secret, number).await;
    let payload = confirm(app, &secret, &id, &token, None).await;
    (id, payload)
}

/// Creates a session from `input` and pays it with `number`, as its hosted page would.
pub async fn create_and_pay(app: &TestApp, input: Value, number: &str) -> (String, Value) {
    let (id, secret) = created(app.create_session(input).await);
    let token = tokenize(app, &secret, number).await;
    let payload = confirm(app, &secret, &id, &token, None).await;
    (id, payload)
}

/// A new INCOMPLETE subscription of `customer`: EUR 9.99 a month.
pub async fn create_subscription(app: &TestApp, customer: &str) -> String {
    let body = app
        .gql(
            "mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) {
                subscription { id status } userErrors { code } } }",
            json!({ "input": { "customerId": customer, "price": { "amount": 999, "currency": "EUR" }, "interval": "MONTH" } }),
        )
        .await;
    let created = &body["data"]["createSubscription"]["subscription"];
    assert_eq!(created["status"], "INCOMPLETE", "{body}");
    created["id"].as_str().unwrap().to_owned()
}

/// A customer with an ACTIVE subscription, its first period paid with `card`.
pub async fn active_subscription(app: &TestApp, email: &str, card: &str) -> (String, String) {
    let customer = app.create_customer(email).await;
    let id = create_subscription(app, &customer).await;
    let (_, paid) = create_and_pay(app, json!({ "purpose": "SUBSCRIPTION", "subscriptionId": id }), card).await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    (customer, id)
}
