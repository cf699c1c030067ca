//! Customer balances: a ledger of signed entries per currency, credited by top-ups, debited
//! by charges and settled by OUTSTANDING_BALANCE sessions whose amount is computed.

use serde_json::{Value, json};

use crate::support::payments::create_and_pay;
use crate::support::*;

const BALANCE: &str = "query($id: ID!) { node(id: $id) { ... on Customer {
    eur: balance(currency: \"EUR\") { amount currency }
    usd: balance(currency: \"USD\") { amount currency }
    balances { amount currency }
    ledgerEntries(first: 10) { totalCount edges { node { kind amount { amount currency } description
        paymentSession { id } } } }
    paymentSessions { totalCount } } } }";

const CHARGE: &str = "mutation($input: CreateBalanceChargeInput!) { createBalanceCharge(input: $input) {
    ledgerEntry { kind amount { amount currency } description } userErrors { field code message } } }";

async fn customer_state(app: &TestApp, customer: &str) -> Value {
    let body = app.gql(BALANCE, json!({ "id": customer })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

fn kinds(state: &Value) -> Vec<String> {
    let edges = state["ledgerEntries"]["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["kind"].as_str().unwrap().to_owned()).collect()
}

async fn charge(app: &TestApp, customer: &str, amount: i64, currency: &str, key: Option<&str>) -> Value {
    let input = json!({ "customerId": customer, "amount": { "amount": amount, "currency": currency },
                        "description": "late fee", "idempotencyKey": key });
    app.gql(CHARGE, json!({ "input": input })).await["data"]["createBalanceCharge"].clone()
}

#[tokio::test]
async fn a_top_up_credits_the_balance_and_bad_top_ups_change_nothing() {
    let app = spawn_app().await;
    let customer = app.create_customer("wallet@example.com").await;
    let top_up = |amount: i64| json!({ "purpose": "BALANCE_TOP_UP", "customerId": customer, "amount": { "amount": amount, "currency": "USD" } });

    for (input, code) in [
        (top_up(0), "INVALID_AMOUNT"),
        (top_up(-500), "INVALID_AMOUNT"),
        (json!({ "purpose": "BALANCE_TOP_UP", "amount": { "amount": 500, "currency": "USD" } }), "REQUIRED"),
        (
            json!({ "purpose": "BALANCE_TOP_UP", "customerId": customer, "amount": { "amount": 500, "currency": "XXY" } }),
            "UNKNOWN_CURRENCY",
        ),
    ] {
        let body = app.create_session(input).await;
        assert_eq!(user_error_code(&body, "createPaymentSession"), code, "{body}");
    }
    let untouched = customer_state(&app, &customer).await;
    assert_eq!(untouched["paymentSessions"]["totalCount"], 0);
    assert_eq!(untouched["usd"], json!({ "amount": 0, "currency": "USD" }));
    assert_eq!(untouched["balances"], json!([]));
    let bad = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { balance(currency: \"EURO\") { amount } } } }",
            json!({ "id": customer }),
        )
        .await;
    assert_eq!(error_code(&bad), "UNKNOWN_CURRENCY", "{bad}");

    let (session, paid) = create_and_pay(&app, top_up(5000), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let state = customer_state(&app, &customer).await;
    assert_eq!(state["usd"], json!({ "amount": 5000, "currency": "USD" }));
    assert_eq!(state["balances"], json!([{ "amount": 5000, "currency": "USD" }]));
    let entry = &state["ledgerEntries"]["edges"][0]["node"];
    assert_eq!(entry["kind"], "TOP_UP");
    assert_eq!(entry["paymentSession"]["id"], session.as_str());

    // A declined top-up credits nothing.
    let (_, declined) = create_and_pay(&app, top_up(700), "4000000000000002").await;
    assert_eq!(declined["userErrors"][0]["code"], "CARD_DECLINED");
    assert_eq!(customer_state(&app, &customer).await["usd"]["amount"], 5000);
}

#[tokio::test]
async fn outstanding_charges_are_computed_into_a_session_and_settled_by_it() {
    let app = spawn_app().await;
    let customer = app.create_customer("owes@example.com").await;
    let outstanding = |currency: Option<&str>| json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer, "currency": currency });

    let nothing = app.create_session(outstanding(None)).await;
    assert_eq!(user_error_code(&nothing, "createPaymentSession"), "NOTHING_OUTSTANDING");

    // Charges: bad input changes nothing; a retried charge with its key posts once.
    assert_eq!(charge(&app, &customer, 0, "EUR", None).await["userErrors"][0]["code"], "INVALID_AMOUNT");
    assert_eq!(charge(&app, &customer, 100, "EURO", None).await["userErrors"][0]["code"], "UNKNOWN_CURRENCY");
    let foreign = app.other_merchant_key().await;
    let input = json!({ "customerId": customer, "amount": { "amount": 100, "currency": "EUR" } });
    let refused = app.gql_as(Some(&foreign), CHARGE, json!({ "input": input })).await;
    assert_eq!(user_error_code(&refused, "createBalanceCharge"), "NOT_FOUND");
    assert_eq!(customer_state(&app, &customer).await["ledgerEntries"]["totalCount"], 0);

    let posted = charge(&app, &customer, 1200, "EUR", Some("fee-1")).await;
    assert_eq!(
        posted["ledgerEntry"],
        json!({ "kind": "CHARGE", "amount": { "amount": -1200, "currency": "EUR" },
                                              "description": "late fee" })
    );
    let replayed = charge(&app, &customer, 1200, "EUR", Some("fee-1")).await;
    assert_eq!(replayed["ledgerEntry"], posted["ledgerEntry"]);
    charge(&app, &customer, 300, "EUR", None).await;
    let state = customer_state(&app, &customer).await;
    assert_eq!(state["eur"]["amount"], -1500, "{state}");
    assert_eq!(kinds(&state), ["CHARGE", "CHARGE"]);

    // The amount is computed, never typed; a currency the customer owes nothing in is refused.
    let typed = app
        .create_session(json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer,
                                 "amount": { "amount": 1, "currency": "EUR" } }))
        .await;
    assert_eq!(user_error_code(&typed, "createPaymentSession"), "NOT_ALLOWED");
    let mismatch = app.create_session(outstanding(Some("USD"))).await;
    assert_eq!(user_error_code(&mismatch, "createPaymentSession"), "NOTHING_OUTSTANDING");
    assert_eq!(customer_state(&app, &customer).await["paymentSessions"]["totalCount"], 0);

    let body = app.create_session(outstanding(None)).await;
    let session = &body["data"]["createPaymentSession"]["paymentSession"];
    assert_eq!(session["amount"], json!({ "amount": 1500, "currency": "EUR", "formatted": "€15.00" }));
    let (session, paid) = create_and_pay(&app, outstanding(Some("EUR")), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let state = customer_state(&app, &customer).await;
    assert_eq!(state["eur"]["amount"], 0, "{state}");
    assert_eq!(kinds(&state), ["SETTLEMENT", "CHARGE", "CHARGE"]);
    assert_eq!(state["ledgerEntries"]["edges"][0]["node"]["paymentSession"]["id"], session.as_str());
    let settled = app.create_session(outstanding(None)).await;
    assert_eq!(user_error_code(&settled, "createPaymentSession"), "NOTHING_OUTSTANDING");
}

#[tokio::test]
async fn owing_in_two_currencies_needs_the_currency_named() {
    let app = spawn_app().await;
    let customer = app.create_customer("two@example.com").await;
    charge(&app, &customer, 100, "EUR", None).await;
    charge(&app, &customer, 250, "USD", None).await;
    let body = app.create_session(json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer })).await;
    assert_eq!(user_error_code(&body, "createPaymentSession"), "REQUIRED");
    assert_eq!(body["data"]["createPaymentSession"]["userErrors"][0]["field"], json!(["input", "currency"]));
    let usd = app
        .create_session(json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer, "currency": "USD" }))
        .await;
    assert_eq!(usd["data"]["createPaymentSession"]["paymentSession"]["amount"]["amount"], 250, "{usd}");
}
