//! Paying without a card: a bank transfer waits in PROCESSING until it settles or fails, a
//! digital wallet's test token pays as its card would; bad input changes nothing.

use serde_json::{Value, json};

use crate::support::payments::{CONFIRM, confirm_with};
use crate::support::*;

const SETTLE: &str = "mutation($input: SettleTestBankTransferInput!) { settleTestBankTransfer(input: $input) {
    paymentSession { status version attemptCount } payment { status declineCode methodType methodSummary { ... on BankTransferSummary { country last4 } } }
    userErrors { field code } } }";

pub async fn transfer(app: &TestApp, auth: &str, session: &str, iban: &str) -> Value {
    let input = json!({ "id": session, "paymentMethod": { "bankTransfer": { "iban": iban } } });
    confirm_with(app, auth, input).await
}

#[tokio::test]
async fn a_bank_transfer_waits_in_processing_until_it_settles_or_fails() {
    let app = spawn_app().await;
    for (settled, session_status, payment_status) in [(true, "COMPLETED", "SUCCEEDED"), (false, "OPEN", "FAILED")] {
        let (id, secret) = app.create_payment_session(5000, "EUR").await;
        let waiting = transfer(&app, &secret, &id, "de89 3704 0044 0532 0130 00").await;
        assert_eq!(waiting["userErrors"], json!([]), "{waiting}");
        assert_eq!(waiting["paymentSession"]["status"], "PROCESSING");
        assert_eq!(waiting["payment"]["status"], "PROCESSING");
        let summary = json!({ "__typename": "BankTransferSummary", "country": "DE", "last4": "3000" });
        assert_eq!(waiting["payment"]["methodSummary"], summary);
        assert_eq!(waiting["nextAction"]["type"], "AWAIT_BANK_TRANSFER");
        let payment = waiting["nextAction"]["paymentId"].clone();

        // Only the merchant's sandbox settles it: a client secret may not.
        let by_customer =
            app.gql_as(Some(&secret), SETTLE, json!({ "input": { "paymentId": payment, "settled": true } })).await;
        assert_eq!(by_customer["errors"][0]["extensions"]["code"], "FORBIDDEN");

        let body = app.gql(SETTLE, json!({ "input": { "paymentId": payment, "settled": settled } })).await;
        let done = &body["data"]["settleTestBankTransfer"];
        assert_eq!(done["paymentSession"]["status"], session_status, "{body}");
        assert_eq!(done["payment"]["status"], payment_status);
        assert_eq!(done["paymentSession"]["version"], 3);
        if !settled {
            assert_eq!(done["userErrors"][0]["code"], "BANK_TRANSFER_FAILED");
            assert_eq!(done["payment"]["declineCode"], "bank_transfer_failed");
        }
        let twice = app.gql(SETTLE, json!({ "input": { "paymentId": payment, "settled": true } })).await;
        assert_eq!(twice["data"]["settleTestBankTransfer"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    }
}

#[tokio::test]
async fn bad_ibans_and_disallowed_transfers_change_nothing() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(5000, "EUR").await;
    for iban in ["DE89370400440532013001", "DE8937040044053201300", "XX00", ""] {
        let refused = transfer(&app, &secret, &id, iban).await;
        assert_eq!(refused["userErrors"][0]["code"], "INVALID_IBAN", "{iban}: {refused}");
        assert_eq!(refused["userErrors"][0]["field"], json!(["input", "paymentMethod", "bankTransfer", "iban"]));
    }
    let cards_only = app
        .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 1, "currency": "EUR" }, "allowedPaymentMethods": ["CARD"] }))
        .await;
    let cards_id = cards_only["data"]["createPaymentSession"]["paymentSession"]["id"].as_str().unwrap().to_owned();
    let refused = transfer(&app, &app.key, &cards_id, "DE89370400440532013000").await;
    assert_eq!(refused["userErrors"][0]["code"], "PAYMENT_METHOD_NOT_ALLOWED");
    for session in [&id, &cards_id] {
        let state = app
            .gql(
                "query($id: ID!) { paymentSession(id: $id) { status version payments { totalCount } } }",
                json!({ "id": session }),
            )
            .await;
        assert_eq!(
            state["data"]["paymentSession"],
            json!({ "status": "OPEN", "version": 1, "payments": { "totalCount": 0 } })
        );
    }
    let both = app
        .gql(CONFIRM, json!({ "input": { "id": id, "paymentMethod": { "cardToken": "tok_x", "bankTransfer": { "iban": "DE89370400440532013000" } } } }))
        .await;
    assert!(both["errors"].is_array(), "exactly one payment method: {both}");
}

async fn pay_with_wallet(app: &TestApp, session: &str, secret: &str, wallet: &str, token: &str) -> Value {
    let input = json!({ "id": session, "paymentMethod": { "wallet": { "type": wallet, "token": token } } });
    confirm_with(app, secret, input).await
}

#[tokio::test]
async fn wallet_test_tokens_pay_like_their_cards_without_3ds() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let paid = pay_with_wallet(&app, &id, &secret, "APPLE_PAY", "applepay_test_visa").await;
    assert_eq!(paid["userErrors"], json!([]), "{paid}");
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED");
    assert_eq!(paid["payment"]["methodType"], "WALLET");
    assert_eq!(
        paid["payment"]["methodSummary"],
        json!({ "__typename": "WalletSummary", "wallet": "APPLE_PAY", "brand": "visa", "last4": "4242",
                "expMonth": 12, "expYear": 2040, "savedProfile": false })
    );

    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let declined = pay_with_wallet(&app, &id, &secret, "GOOGLE_PAY", "googlepay_test_insufficient_funds").await;
    assert_eq!(declined["userErrors"][0]["code"], "INSUFFICIENT_FUNDS", "{declined}");
    assert_eq!(declined["paymentSession"]["status"], "OPEN");
    assert_eq!(declined["payment"]["declineCode"], "insufficient_funds");
}

#[tokio::test]
async fn a_bad_wallet_token_or_a_disallowed_wallet_changes_nothing() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    for (wallet, token) in [("GOOGLE_PAY", "applepay_test_visa"), ("APPLE_PAY", "not-a-token"), ("APPLE_PAY", "")] {
        let payload = pay_with_wallet(&app, &id, &secret, wallet, token).await;
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_WALLET_TOKEN", "{payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["input", "paymentMethod", "wallet", "token"]));
        assert_eq!(payload["paymentSession"], Value::Null);
    }
    let body = app
        .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 900, "currency": "EUR" },
                                "allowedPaymentMethods": ["CARD"] }))
        .await;
    let card_only = body["data"]["createPaymentSession"]["paymentSession"]["id"].as_str().unwrap().to_owned();
    let payload = pay_with_wallet(&app, &card_only, &app.key, "APPLE_PAY", "applepay_test_visa").await;
    assert_eq!(payload["userErrors"][0]["code"], "PAYMENT_METHOD_NOT_ALLOWED", "{payload}");

    let query = "query($id: ID!) { paymentSession(id: $id) { status version payments { totalCount } } }";
    for session in [&id, &card_only] {
        let body = app.gql(query, json!({ "id": session })).await;
        assert_eq!(
            body["data"]["paymentSession"],
            json!({ "status": "OPEN", "version": 1, "payments": { "totalCount": 0 } }),
            "{body}"
        );
    }
}
