//! Large answers kept as reviewed snapshots (`insta`, in `tests/api/snapshots/`): a change
//! to their shape shows as a diff to accept (`cargo insta review`, or `INSTA_UPDATE=always`),
//! never as an edited assertion. What differs between runs (ids, times, secrets) is redacted.

use serde_json::json;

use crate::support::payments::confirm;
use crate::support::payments::tokenize;
use crate::support::*;

/// A checkout's whole graph as a merchant's frontend reads it: the session with its order
/// and lines, customer, payment (method, captured and refunded amounts, its refund) and the
/// event log.
const GRAPH: &str = "query($id: ID!) { paymentSession(id: $id) {
    id status version purpose captureMethod allowedPaymentMethods attemptCount locale
    amount { amount currency formatted }
    order { id status total { amount currency } lineItems { name quantity unitPrice { amount } total { formatted } } }
    customer { id email preferredLocale }
    payments(first: 5) { totalCount edges { node {
        id status methodType amount { amount currency } amountCaptured { amount } amountRefunded { amount }
        methodSummary { __typename ... on CardSummary { brand last4 expMonth expYear savedProfile } }
        refunds(first: 5) { edges { node { id status reason amount { amount currency } } } } } } }
    events(first: 20) { edges { node { version kind previousStatus status } } } } }";

#[tokio::test]
async fn a_checkout_session_graph() {
    let app = spawn_app().await;
    let customer = app.create_customer("graph@example.com").await;
    let order = app
        .gql(
            "mutation($c: ID!) { createOrder(input: { customerId: $c, currency: \"EUR\", lineItems: [
                { name: \"Tea\", quantity: 2, unitAmount: 450 }, { name: \"Cup\", quantity: 1, unitAmount: 1200 }] }) {
                order { id } userErrors { code } } }",
            json!({ "c": customer }),
        )
        .await;
    let order = order["data"]["createOrder"]["order"]["id"].as_str().unwrap_or_else(|| panic!("{order}")).to_owned();
    let (session, secret) = created(app.create_session(json!({ "purpose": "CHECKOUT", "orderId": order })).await);
    let token = tokenize(&app, &secret, "4242424242424242").await;
    confirm(&app, &secret, &session, &token, None).await;
    let payment =
        app.gql(GRAPH, json!({ "id": session })).await["data"]["paymentSession"]["payments"]["edges"][0]["node"]["id"]
            .clone();
    let refund = "mutation($p: ID!) { refundPayment(input: { paymentId: $p, amount: 900,
        reason: REQUESTED_BY_CUSTOMER }) { userErrors { code } } }";
    let refunded = app.gql(refund, json!({ "p": payment })).await;
    assert_eq!(refunded["data"]["refundPayment"]["userErrors"], json!([]), "{refunded}");

    let graph = app.gql(GRAPH, json!({ "id": session })).await;
    insta::assert_json_snapshot!(graph["data"], { ".**.id" => "[id]" });
}
