//! The statement count of a nested query depends on its depth, never on its page size.

use serde_json::json;

use crate::helpers::*;

const NESTED: &str = r#"
query($first: Int) {
  customers(first: $first) {
    edges { node {
      email
      balances { amount currency }
      usd: balance(currency: "USD") { amount }
      paymentSessions(first: 10) { totalCount edges { node {
        status amount { formatted } customer { email } order { id lineItems { name } }
        payments { totalCount edges { node { id } } }
        events { edges { node { version status } } }
      } } }
    } }
  }
}"#;

async fn statements_for(app: &TestApp, first: i64) -> u64 {
    let before = app.statement_count().await;
    let body = app.gql(NESTED, json!({ "first": first })).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["customers"]["edges"].as_array().unwrap().len() as i64, first);
    app.statement_count().await - before
}

#[tokio::test]
async fn nested_queries_cost_the_same_statements_for_any_page_size() {
    let app = spawn_quiet_app().await;
    for i in 0..12 {
        let customer = app.create_customer(&format!("c{i}@example.com")).await;
        for _ in 0..2 {
            app.create_session(
                json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 100, "currency": "USD" } }),
            )
            .await;
        }
    }
    let small = statements_for(&app, 2).await;
    let large = statements_for(&app, 12).await;
    assert_eq!(small, large, "statements grew with the page size");
    assert!(large <= 12, "one statement per relation and depth, got {large}");
}

const LINKS: &str = "query($first: Int) { paymentLinks(first: $first) { nodes {
    completedPayments lineItems { name } paymentSessions { totalCount } } } }";

#[tokio::test]
async fn payment_link_counts_cost_the_same_statements_for_any_page_size() {
    let app = spawn_quiet_app().await;
    for _ in 0..8 {
        let body = app
            .gql(
                "mutation { createPaymentLink(input: {currency: \"EUR\", amount: 500}) { paymentLink { url } } }",
                json!({}),
            )
            .await;
        let url = body["data"]["createPaymentLink"]["paymentLink"]["url"].as_str().unwrap().to_owned();
        app.client.get(url).send().await.unwrap();
    }
    let mut counts = Vec::new();
    for first in [2, 8] {
        let before = app.statement_count().await;
        let body = app.gql(LINKS, json!({ "first": first })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["paymentLinks"]["nodes"][0]["paymentSessions"]["totalCount"], 1);
        counts.push(app.statement_count().await - before);
    }
    assert_eq!(counts[0], counts[1], "statements grew with the page size");
}
