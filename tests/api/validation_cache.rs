//! A document that passed validation is not validated again, but only for the same operation
//! name and equal variables: what validation decides (the values of variables, the
//! operation's complexity and so its cost) is decided again whenever either differs, and a
//! failure is reported every time.

use serde_json::{Value, json};

use crate::support::*;

const PAGE: &str = "query($n: Int!) { paymentSessions(first: $n) { nodes { id status } } }";

async fn send(app: &TestApp, query: &str, operation: Option<&str>, variables: Value) -> Value {
    let body = json!({ "query": query, "operationName": operation, "variables": variables });
    app.post_graphql(Some(&app.key), &body).await.json().await.unwrap()
}

fn requested_cost(body: &Value) -> u64 {
    body["extensions"]["cost"]["requestedQueryCost"].as_u64().unwrap_or_else(|| panic!("no cost: {body}"))
}

/// A validation error: no data, no path, nothing ran.
fn refused_by_validation(body: &Value) -> bool {
    body.get("data").is_none_or(Value::is_null)
        && body["errors"].as_array().is_some_and(|errors| errors.iter().all(|e| e.get("path").is_none()))
}

#[tokio::test]
async fn other_variables_are_validated_and_costed_again() {
    let app = spawn_app().await;
    let small = send(&app, PAGE, None, json!({ "n": 1 })).await;
    assert!(small["errors"].is_null(), "{small}");
    let again = send(&app, PAGE, None, json!({ "n": 1 })).await;
    assert_eq!(requested_cost(&again), requested_cost(&small), "the same request costs the same");

    let large = send(&app, PAGE, None, json!({ "n": 50 })).await;
    assert!(
        requested_cost(&large) > requested_cost(&small),
        "a page of 50 costs more than a page of 1: {small} {large}"
    );

    let wrong = send(&app, PAGE, None, json!({ "n": "all of them" })).await;
    assert!(refused_by_validation(&wrong), "a string is not an Int: {wrong}");
    let wrong_again = send(&app, PAGE, None, json!({ "n": "all of them" })).await;
    assert_eq!(wrong_again, wrong, "a failure is reported every time");
}

#[tokio::test]
async fn another_operation_of_the_same_document_is_validated_again() {
    let app = spawn_app().await;
    let document = "query Name { __typename } \
        query Filtered($f: PaymentSessionFilter) { paymentSessions(first: 1, filter: $f) { nodes { id } } }";
    let variables = json!({ "f": { "status": ["NOT_A_STATUS"] } });
    // The variables of an operation not selected are not checked: `Name` passes...
    let name = send(&app, document, Some("Name"), variables.clone()).await;
    assert_eq!(name["data"]["__typename"], "QueryRoot", "{name}");
    // ...and `Filtered`, with the same document and variables, does not.
    let filtered = send(&app, document, Some("Filtered"), variables).await;
    assert!(refused_by_validation(&filtered), "{filtered}");
}

#[tokio::test]
async fn a_document_that_fails_validation_fails_every_time() {
    let app = spawn_app().await;
    let unknown = "{ paymentSessions(first: 1) { nodes { id secretField } } }";
    for _ in 0..3 {
        let body = send(&app, unknown, None, json!({})).await;
        assert!(refused_by_validation(&body), "{body}");
    }
}
