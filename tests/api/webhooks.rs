//! Webhook endpoints: created with a secret shown once, changed, rolled, deleted, listed;
//! only public https URLs (loopback outside production), so paygraph cannot be made to call
//! into its own network; another merchant's endpoint is invisible.

use serde_json::{Value, json};

use crate::support::*;

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url description eventKinds status } signingSecret userErrors { field code message } } }";
const UPDATE: &str = "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
    webhookEndpoint { id url description eventKinds } userErrors { field code } } }";
const ROLL: &str = "mutation($id: ID!) { rollWebhookSecret(input: { id: $id }) {
    webhookEndpoint { id } signingSecret userErrors { code } } }";
const DELETE: &str = "mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) {
    webhookEndpoint { id } userErrors { code } } }";
const LIST: &str = "{ webhookEndpoints(first: 50) { totalCount nodes { id url } } }";

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let body = app.gql_as(Some(token), CREATE, json!({ "input": input })).await;
    body["data"]["createWebhookEndpoint"].clone()
}

async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let body = app.gql_as(Some(token), LIST, json!({})).await;
    body["data"]["webhookEndpoints"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_endpoint_is_created_changed_rolled_and_deleted() {
    let app = spawn_app().await;
    let created =
        create(&app, &app.key, json!({ "url": "https://hooks.example.com/paygraph", "description": "orders" })).await;
    let endpoint = &created["webhookEndpoint"];
    assert_eq!(endpoint["status"], "ENABLED", "{created}");
    assert_eq!(endpoint["eventKinds"], json!([]), "no kinds given: every kind");
    let secret = created["signingSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{secret}");
    let id = endpoint["id"].as_str().unwrap().to_owned();
    assert_eq!(listed(&app, &app.key).await, std::slice::from_ref(&id));

    let changed = app
        .gql(
            UPDATE,
            json!({ "input": { "id": id, "eventKinds": ["REFUND_SUCCEEDED", "STATUS_CHANGED"], "description": null } }),
        )
        .await;
    let changed = &changed["data"]["updateWebhookEndpoint"]["webhookEndpoint"];
    assert_eq!(changed["eventKinds"], json!(["REFUND_SUCCEEDED", "STATUS_CHANGED"]), "{changed}");
    assert!(changed["description"].is_null());
    assert_eq!(changed["url"], "https://hooks.example.com/paygraph", "left out: kept");

    let rolled = app.gql(ROLL, json!({ "id": id })).await["data"]["rollWebhookSecret"].clone();
    let new_secret = rolled["signingSecret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret, "{rolled}");
    // The secret is never read back.
    let read = app
        .gql("query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { signingSecret } } }", json!({ "id": id }))
        .await;
    assert!(read["errors"].is_array(), "{read}");

    let deleted = app.gql(DELETE, json!({ "id": id })).await;
    assert_eq!(deleted["data"]["deleteWebhookEndpoint"]["webhookEndpoint"]["id"], id.as_str(), "{deleted}");
    assert!(listed(&app, &app.key).await.is_empty());
    let again = app.gql(DELETE, json!({ "id": id })).await;
    assert_eq!(again["data"]["deleteWebhookEndpoint"]["userErrors"][0]["code"], "NOT_FOUND");
    let update = app.gql(UPDATE, json!({ "input": { "id": id, "url": "https://other.example.com/" } })).await;
    assert_eq!(update["data"]["updateWebhookEndpoint"]["userErrors"][0]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn urls_into_private_networks_are_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    let refused = [
        "http://hooks.example.com/",
        "ftp://hooks.example.com/",
        "https://user:secret@hooks.example.com/",
        "https://10.0.0.7/hook",
        "https://192.168.1.20/hook",
        "https://172.20.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd12::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:192.168.0.1]/hook",
        "https://0.0.0.0/hook",
        "not a url",
    ];
    for url in refused {
        let payload = create(&app, &app.key, json!({ "url": url })).await;
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_URL", "{url}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["input", "url"]));
        assert!(payload["signingSecret"].is_null());
    }
    assert!(listed(&app, &app.key).await.is_empty(), "nothing was created");
    // A developer's local receiver, outside production.
    let local = create(&app, &app.key, json!({ "url": "http://127.0.0.1:9000/hook" })).await;
    assert!(local["webhookEndpoint"]["id"].is_string(), "{local}");
    let id = local["webhookEndpoint"]["id"].clone();
    let moved = app.gql(UPDATE, json!({ "input": { "id": id, "url": "https://10.1.2.3/" } })).await;
    assert_eq!(moved["data"]["updateWebhookEndpoint"]["userErrors"][0]["code"], "INVALID_URL", "{moved}");
}

#[tokio::test]
async fn production_refuses_loopback_receivers() {
    let app = spawn_app_with(|c| {
        c.environment = paygraph::config::Environment::Production;
        c.fingerprint_key = Some("A".repeat(86));
        c.secrets_key = Some("A".repeat(43));
        c.metrics_token = Some("m".repeat(32));
    })
    .await;
    let payload = create(&app, &app.key, json!({ "url": "http://127.0.0.1:9000/hook" })).await;
    assert_eq!(payload["userErrors"][0]["code"], "INVALID_URL", "{payload}");
    let payload = create(&app, &app.key, json!({ "url": "https://localhost/hook" })).await;
    assert_eq!(payload["userErrors"][0]["code"], "INVALID_URL", "{payload}");
}

#[tokio::test]
async fn another_merchants_endpoint_is_invisible_and_untouchable() {
    let app = spawn_app().await;
    let mine = create(&app, &app.key, json!({ "url": "https://hooks.example.com/a" })).await;
    let id = mine["webhookEndpoint"]["id"].as_str().unwrap().to_owned();
    let other = app.other_merchant_key().await;
    assert!(listed(&app, &other).await.is_empty());
    let node = app.gql_as(Some(&other), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert!(node["data"]["node"].is_null(), "{node}");
    for (mutation, name) in [(ROLL, "rollWebhookSecret"), (DELETE, "deleteWebhookEndpoint")] {
        let body = app.gql_as(Some(&other), mutation, json!({ "id": id })).await;
        assert_eq!(body["data"][name]["userErrors"][0]["code"], "NOT_FOUND", "{body}");
    }
    assert_eq!(listed(&app, &app.key).await, [id]);
    // Neither a client secret nor a read-only key manages endpoints.
    let (_, secret) = app.create_payment_session(100, "EUR").await;
    let body = app.gql_as(Some(&secret), CREATE, json!({ "input": { "url": "https://hooks.example.com/b" } })).await;
    assert!(body["data"].is_null() || body["data"]["createWebhookEndpoint"].is_null(), "{body}");
}

#[tokio::test]
async fn a_merchant_has_a_bounded_number_of_endpoints() {
    let app = spawn_app().await;
    for i in 0..16 {
        let created = create(&app, &app.key, json!({ "url": format!("https://hooks.example.com/{i}") })).await;
        assert!(created["webhookEndpoint"]["id"].is_string(), "{created}");
    }
    let refused = create(&app, &app.key, json!({ "url": "https://hooks.example.com/17" })).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_ALLOWED", "{refused}");
}

/// A delivery's id is a global id, found again by `node(id:)` by its merchant only.
#[tokio::test]
async fn a_delivery_is_a_node_of_its_merchant() {
    let receiver = crate::support::receiver::Receiver::start().await;
    let app = spawn_app_with(crate::webhook_deliveries::fast).await;
    crate::webhook_deliveries::endpoint(&app, &receiver.url).await;
    app.create_payment_session(100, "EUR").await;
    let listed = "{ webhookEndpoints(first: 1) { nodes { deliveries(first: 1) { nodes { id eventId succeeded } } } } }";
    let mut delivery = Value::Null;
    for _ in 0..100 {
        delivery =
            app.gql(listed, json!({})).await["data"]["webhookEndpoints"]["nodes"][0]["deliveries"]["nodes"][0].clone();
        if delivery.is_object() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = delivery["id"].as_str().unwrap_or_else(|| panic!("no delivery: {delivery}")).to_owned();
    let node = "query($id: ID!) { node(id: $id) { id ... on WebhookDelivery { eventId succeeded } } }";
    let found = app.gql(node, json!({ "id": id })).await;
    assert_eq!(found["data"]["node"], delivery, "{found}");
    let other = app.other_merchant_key().await;
    let foreign = app.gql_as(Some(&other), node, json!({ "id": id })).await;
    assert_eq!(foreign["data"]["node"], Value::Null, "{foreign}");
}
