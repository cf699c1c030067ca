//! The statement count of a nested query depends on its depth, never on its page size.

use serde_json::json;

use crate::helpers::*;

const NESTED: &str = r#"
query($first: Int) {
  customers(first: $first) {
    edges { node {
      email
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
    let app = spawn_app().await;
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
