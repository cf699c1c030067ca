//! GraphQL over HTTP as the spec asks, and the bounds on what a request may ask for.

use serde_json::{Value, json};

use crate::support::*;

const GRJ: &str = "application/graphql-response+json";

#[tokio::test]
async fn queries_run_over_get_and_mutations_do_not() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let ok = app.client.get(&url).query(&[("query", "{ __typename }")]).bearer_auth(&app.key).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["data"]["__typename"], "QueryRoot");

    let mutation = "mutation { createCustomer(input: {name: \"x\"}) { customer { id } } }";
    let refused = app.client.get(&url).query(&[("query", mutation)]).bearer_auth(&app.key).send().await.unwrap();
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers()["allow"], "POST");
    let count = app.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["customers"]["totalCount"], 0, "nothing ran");
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let body = json!({ "query": "{ __typename }" });
    for (accept, expected) in [(GRJ, GRJ), ("application/json", "application/json"), ("*/*", "application/json")] {
        let response = app.client.post(&url).header("accept", accept).json(&body).send().await.unwrap();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with(expected), "{accept} -> {content_type}");
    }
    let refused = app.client.post(&url).header("accept", "text/plain").json(&body).send().await.unwrap();
    assert_eq!(refused.status(), 406);
}

#[tokio::test]
async fn request_errors_are_400_without_data_under_graphql_response_json() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    for query in ["{ __typename", "{ noSuchField }", "query($x: Int!) { __typename }"] {
        let response =
            app.client.post(&url).header("accept", GRJ).json(&json!({ "query": query })).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert!(body["errors"].is_array());
    }
    let legacy =
        app.client.post(&url).header("accept", "application/json").json(&json!({ "query": "{" })).send().await.unwrap();
    assert_eq!(legacy.status(), 200, "plain JSON keeps 200 for older clients");
}

#[tokio::test]
async fn a_post_must_be_json() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let text = app.client.post(&url).header("content-type", "text/plain").body("{ __typename }").send().await.unwrap();
    assert_eq!(text.status(), 415);
    let none = app.client.post(&url).body("{\"query\":\"{ __typename }\"}").send().await.unwrap();
    assert_eq!(none.status(), 415);
    let bad_json = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", GRJ)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
}

#[tokio::test]
async fn browsers_get_graphiql() {
    let app = spawn_app().await;
    let page = app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    let text = page.text().await.unwrap();
    assert!(
        text.contains("/graphiql/graphiql.min.js") && !text.contains("unpkg") && !text.contains("https://"),
        "{text}"
    );
    // Its assets come from paygraph itself: it works with no internet access.
    for (file, kind) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
    ] {
        let asset = app.client.get(format!("{}/graphiql/{file}", app.address)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{file}");
        assert!(asset.headers()["content-type"].to_str().unwrap().starts_with(kind), "{file}");
    }
}

#[tokio::test]
async fn deep_wide_and_aliased_queries_are_refused() {
    let app = spawn_app().await;
    let deep = "{ paymentSessions(first: 1) { edges { node { customer { paymentSessions(first: 1) { edges { node {
        customer { paymentSessions(first: 1) { edges { node { customer { id } } } } } } } } } } } } }";
    let body = app.gql(deep, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested"), "{body}");

    let aliases: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
    let body = app.gql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES", "{body}");

    let complex = "{ paymentSessions(first: 100) { edges { node {
        payments(first: 100) { edges { node { id amount { formatted } } } }
        events(first: 100) { edges { node { version status } } } } } } }";
    let body = app.gql(complex, json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");

    let huge = format!("{{ __typename }} #{}", "x".repeat(20_000));
    let body = app.gql(&huge, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_LARGE");
}

#[tokio::test]
async fn batches_are_bounded() {
    let app = spawn_app().await;
    let op = json!({ "query": "{ __typename }" });
    let ok = app.post_graphql(Some(&app.key), &json!([op, op])).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap().as_array().unwrap().len(), 2);
    let too_many = Value::Array(vec![op.clone(); 11]);
    let refused: Value = app.post_graphql(Some(&app.key), &too_many).await.json().await.unwrap();
    assert!(refused["errors"].is_array(), "{refused}");
}

#[tokio::test]
async fn faults_are_masked() {
    let app = spawn_app().await;
    // Close the pool under the app: every query now fails inside the database layer.
    app.services.core.db.clone().close().await.unwrap();
    let response = app.post_graphql(Some(&app.key), &json!({ "query": "{ customers { totalCount } }" })).await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    assert!(text.contains("INTERNAL"), "{text}");
    for leak in ["sqlx", "pool", "sqlite", "postgres", "Connection"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap(), json!({ "database": "ok", "bus": "in-process" }));
    app.services.core.db.clone().close().await.unwrap();
    let down = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(down.status(), 503);
}
