//! Introspection for every tool: the query GraphiQL, Apollo, codegen, Postman and Insomnia
//! send is answered, while data queries keep their depth limit and introspection has bounds
//! of its own (a `fields { type { fields ... } } }` bomb multiplies the schema per level).

use serde_json::{Value, json};

use crate::support::{error_code, spawn_app, spawn_quiet_app};

/// graphql-js `getIntrospectionQuery()` with every option, as the package prints it.
const STANDARD: &str = include_str!("fixtures/introspection.graphql");

#[tokio::test]
async fn the_standard_introspection_query_is_answered_for_a_key_and_a_client_secret() {
    let app = spawn_app().await;
    let (_, secret) = app.create_payment_session(1000, "EUR").await;
    for token in [app.key.as_str(), secret.as_str()] {
        let body = app.gql_as(Some(token), STANDARD, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let types = body["data"]["__schema"]["types"].as_array().unwrap();
        let session = types.iter().find(|t| t["name"] == "PaymentSession").expect("PaymentSession is listed");
        assert!(session["fields"].as_array().unwrap().iter().any(|f| f["name"] == "status"), "{session}");
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    }
}

#[tokio::test]
async fn data_queries_keep_their_depth_limit_beside_introspection() {
    let app = spawn_app().await;
    let deep = "{ __schema { queryType { name } } paymentSessions(first: 1) { edges { node { customer {
        paymentSessions(first: 1) { edges { node { customer { paymentSessions(first: 1) { edges { node {
        customer { id } } } } } } } } } } } } }";
    let body = app.gql(deep, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_DEEP", "{body}");
    assert!(body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn introspection_that_multiplies_the_schema_is_refused() {
    let app = spawn_quiet_app().await;
    app.gql("{ __typename }", json!({})).await; // the key, verified and remembered
    let before = app.statement_count().await;
    // Lists of types nested past the standard query's three.
    let bomb = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }";
    let body = app.gql(bomb, json!({})).await;
    assert_eq!(error_code(&body), "INTROSPECTION_TOO_DEEP", "{body}");
    // Through a fragment spread, and from `__type`.
    let spread = "query { __type(name: \"PaymentSession\") { ...F } }
        fragment F on __Type { fields { type { interfaces { possibleTypes { fields { name } } } } } }";
    let body = app.gql(spread, json!({})).await;
    assert_eq!(error_code(&body), "INTROSPECTION_TOO_DEEP", "{body}");
    // A chain of single types, past any real wrapping.
    let chain =
        format!("{{ __type(name: \"PaymentSession\") {{ {} name {} }} }}", "ofType { ".repeat(120), "}".repeat(120));
    let body = app.gql(&chain, json!({})).await;
    assert!(body["errors"].is_array() && body["data"].is_null(), "{body}");
    assert_eq!(app.statement_count().await, before, "a refused introspection reads nothing");
}

#[tokio::test]
async fn introspection_is_charged_to_the_cost_budget_like_any_query() {
    let app = spawn_app().await;
    let response = app.post_graphql(Some(&app.key), &json!({ "query": STANDARD })).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let requested = body["extensions"]["cost"]["requestedQueryCost"].as_u64().unwrap();
    assert!(requested > 0, "{}", body["extensions"]);
}

#[tokio::test]
async fn anonymous_introspection_spends_its_ips_cost_bucket() {
    let app = crate::support::spawn_app_with(|config| {
        // A bucket of two such requests (each costs 150: five fields, thirty times).
        config.throttle.cost_bucket = 400;
        config.throttle.cost_restore_rate = 1;
    })
    .await;
    // 30 aliased copies of the whole schema, the most aliases a document may hold.
    let copies: String = (0..30).map(|i| format!("s{i}: __schema {{ types {{ name fields {{ name }} }} }} ")).collect();
    let bomb = format!("{{ {copies} }}");
    let mut answered = 0;
    let mut throttled = None;
    for _ in 0..5 {
        let body = app.gql_as(None, &bomb, json!({})).await;
        if body["errors"].is_array() {
            throttled = Some(body);
            break;
        }
        answered += 1;
    }
    let throttled = throttled.expect("anonymous introspection was never throttled");
    assert_eq!(error_code(&throttled), "THROTTLED", "{throttled}");
    assert_eq!(answered, 2, "two fit the bucket");
    // The bucket is the IP's: a key's own bucket is untouched.
    let with_key = app.gql("{ __typename }", json!({})).await;
    assert!(with_key["errors"].is_null(), "{with_key}");
}
