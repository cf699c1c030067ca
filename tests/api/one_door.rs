//! One door: each rule about who may run an operation gives the same answer over HTTP and
//! over the socket, and a credential revoked or rolled past its grace closes its sockets.

use std::sync::Arc;
use std::time::Duration;

use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};

use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

const MERCHANT: &str = "{ merchant { name } }";
const STATUS: &str = "query($id: ID!) { paymentSession(id: $id) { status } }";
const UPDATED: &str = "subscription($id: ID!) { paymentSessionUpdated(id: $id) { version status } }";
const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
    apiKey { id } secretKey userErrors { code } } }";

/// The code of the one error a socket frame carries, or panics.
fn frame_code(frame: &Frame) -> String {
    match frame {
        Frame::Error(errors) => errors[0]["extensions"]["code"].as_str().unwrap_or_default().to_owned(),
        other => panic!("expected an error frame, got {other:?}"),
    }
}

async fn key(app: &TestApp, scope: &str) -> (String, String) {
    let body = app.gql(CREATE_KEY, json!({ "input": { "scope": scope } })).await;
    let payload = &body["data"]["createApiKey"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (payload["apiKey"]["id"].as_str().unwrap().to_owned(), payload["secretKey"].as_str().unwrap().to_owned())
}

/// The socket is still open and serving: a subscription gets its snapshot.
async fn still_serves(ws: &mut WsClient, session: &str) {
    ws.subscribe("alive", UPDATED, json!({ "id": session })).await;
    match ws.frame_of("alive").await {
        Frame::Next(data) => assert_eq!(data["paymentSessionUpdated"]["version"], 1, "{data}"),
        other => panic!("the socket no longer serves: {other:?}"),
    }
    ws.unsubscribe("alive").await;
}

#[tokio::test]
async fn a_credentials_rate_limit_is_one_budget_over_http_and_the_socket() {
    let app = spawn_app_with(|config| config.throttle.graphql = 4).await;
    let (session, _) = app.create_payment_session(100, "EUR").await; // 1 of 4
    assert!(app.gql(MERCHANT, json!({})).await["errors"].is_null()); // 2 of 4
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::with_token(&app.address, protocol, &app.key).await;
        if protocol == Protocol::TransportWs {
            for spent in 3..=4 {
                match ws.run(&format!("q{spent}"), MERCHANT, json!({})).await {
                    Frame::Next(data) => assert_eq!(data["merchant"]["name"], "Test merchant"),
                    other => panic!("operation {spent} of 4 was refused: {other:?}"),
                }
            }
        }
        assert_eq!(frame_code(&ws.run("over", MERCHANT, json!({})).await), "RATE_LIMITED", "{protocol:?}");
        let mutation = "mutation { createCustomer(input: {email: \"a@example.com\"}) { customer { id } } }";
        assert_eq!(frame_code(&ws.run("again", mutation, json!({})).await), "RATE_LIMITED", "{protocol:?}");
        still_serves(&mut ws, &session).await;
    }
    let over_http = app.post_graphql(Some(&app.key), &json!({ "query": MERCHANT })).await;
    assert_eq!(over_http.status(), 429, "the socket spent the budget HTTP spends from");
    let customers = app.gql("{ customers { totalCount } }", json!({})).await;
    assert!(customers["errors"].is_array(), "still limited: {customers}");
}

#[tokio::test]
async fn an_ips_rate_limit_counts_operations_over_the_socket() {
    let app = spawn_app_with(|config| config.throttle.graphql_ip = 3).await;
    let (session, _) = app.create_payment_session(100, "EUR").await; // 1 of 3 for 127.0.0.1
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    assert!(matches!(ws.run("1", MERCHANT, json!({})).await, Frame::Next(_)));
    assert!(matches!(ws.run("2", MERCHANT, json!({})).await, Frame::Next(_)));
    assert_eq!(frame_code(&ws.run("3", MERCHANT, json!({})).await), "RATE_LIMITED");
    still_serves(&mut ws, &session).await;
    assert_eq!(app.post_graphql(Some(&app.key), &json!({ "query": MERCHANT })).await.status(), 429);
}

#[tokio::test]
async fn persisted_only_refuses_an_unregistered_document_on_the_socket_as_over_http() {
    let app = spawn_app_with(|config| config.limits.persisted_only = true).await;
    let (session, secret) = app.create_payment_session(100, "EUR").await;
    let (_, read_only) = key(&app, "READ_ONLY").await;
    let http = app.post_graphql(Some(&read_only), &json!({ "query": MERCHANT })).await;
    assert_eq!(error_code(&http.json().await.unwrap()), "PERSISTED_QUERY_NOT_IN_LIST");
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &read_only).await;
    assert_eq!(frame_code(&ws.run("q", MERCHANT, json!({})).await), "PERSISTED_QUERY_NOT_IN_LIST");
    let mut by_secret = WsClient::with_token(&app.address, Protocol::Legacy, &secret).await;
    by_secret.subscribe("s", UPDATED, json!({ "id": session })).await;
    assert_eq!(frame_code(&by_secret.frame_of("s").await), "PERSISTED_QUERY_NOT_IN_LIST", "subscriptions too");
    assert_eq!(frame_code(&by_secret.run("q", STATUS, json!({ "id": session })).await), "PERSISTED_QUERY_NOT_IN_LIST");

    // Once the merchant's read-write key registers them, the same documents run.
    for document in [MERCHANT, STATUS, UPDATED] {
        let hash = crate::persisted::sha256(document);
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let body = json!({ "query": document, "extensions": extensions, "variables": { "id": session } });
        let registered = app.post_graphql(Some(&app.key), &body).await;
        assert_eq!(registered.status(), 200);
    }
    assert!(matches!(ws.run("q2", MERCHANT, json!({})).await, Frame::Next(_)));
    match by_secret.run("q2", STATUS, json!({ "id": session })).await {
        Frame::Next(data) => assert_eq!(data["paymentSession"]["status"], "OPEN"),
        other => panic!("{other:?}"),
    }
    still_serves(&mut by_secret, &session).await;
}

#[tokio::test]
async fn an_origin_the_merchant_does_not_allow_is_refused_on_the_socket_as_over_http() {
    let app = spawn_app_with(|config| config.cors_origins = vec!["https://shop.example".into()]).await;
    let (session, secret) = app.create_payment_session(100, "EUR").await;
    let evil = "https://evil.example";
    let over_http = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&secret)
        .header("origin", evil)
        .json(&json!({ "query": STATUS, "variables": { "id": session } }))
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.status(), 403);
    assert_eq!(error_code(&over_http.json().await.unwrap()), "ORIGIN_NOT_ALLOWED");
    let init = json!({ "authorization": format!("Bearer {secret}") });
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let refused = WsClient::connect_from(&app.address, protocol, init.clone(), evil).await.err();
        let close: Value = serde_json::from_str(refused.as_deref().unwrap_or("{}")).unwrap();
        assert_eq!((&close["type"], &close["code"]), (&json!("closed"), &json!(4403)), "{protocol:?}");
        // Controls: the server's own list, and no Origin at all (a server or an app).
        let mut allowed = WsClient::connect_from(&app.address, protocol, init.clone(), "https://shop.example")
            .await
            .unwrap_or_else(|e| panic!("an allowed origin was refused: {e}"));
        still_serves(&mut allowed, &session).await;
        let mut app_client = WsClient::with_token(&app.address, protocol, &secret).await;
        still_serves(&mut app_client, &session).await;
    }
}

/// Waits at most 2 s for the server to close `ws`; its close code.
async fn closed_within_two_seconds(ws: &mut WsClient) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(2), ws.closed()).await.expect("still open 2 s after the key changed")
}

#[tokio::test]
async fn revoking_or_rolling_a_key_closes_its_sockets() {
    let app = spawn_app().await;
    let (session, _) = app.create_payment_session(100, "EUR").await;
    let revoke = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { userErrors { code } } }";
    let roll = "mutation($id: ID!, $grace: Int!) { rollApiKey(input: {id: $id, expiresInSeconds: $grace}) {
        userErrors { code } } }";
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let (revoked, secret) = key(&app, "READ_WRITE").await;
        let mut ws = WsClient::with_token(&app.address, protocol, &secret).await;
        let mut bystander = WsClient::with_token(&app.address, protocol, &app.key).await;
        still_serves(&mut ws, &session).await;
        assert_eq!(app.gql(revoke, json!({ "id": revoked })).await["data"]["revokeApiKey"]["userErrors"], json!([]));
        assert_eq!(closed_within_two_seconds(&mut ws).await, Some(4403), "{protocol:?}");
        assert!(WsClient::with_token_checked(&app.address, protocol, &secret).await.is_err(), "no new socket either");
        still_serves(&mut bystander, &session).await;

        let (rolled, secret) = key(&app, "READ_ONLY").await;
        let mut ws = WsClient::with_token(&app.address, protocol, &secret).await;
        let rolled_now = app.gql(roll, json!({ "id": rolled, "grace": 0 })).await;
        assert_eq!(rolled_now["data"]["rollApiKey"]["userErrors"], json!([]), "{rolled_now}");
        assert_eq!(closed_within_two_seconds(&mut ws).await, Some(4403), "rolled with no grace, {protocol:?}");
    }
    // A roll with grace: the socket serves until the grace ends, then closes.
    let (rolled, secret) = key(&app, "READ_ONLY").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &secret).await;
    let graced = app.gql(roll, json!({ "id": rolled, "grace": 2 })).await;
    assert_eq!(graced["data"]["rollApiKey"]["userErrors"], json!([]), "{graced}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    still_serves(&mut ws, &session).await;
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(4), ws.closed()).await.expect("open after the grace ended"),
        Some(4403)
    );
}

#[tokio::test]
async fn a_revocation_on_another_instance_closes_sockets_within_two_seconds_with_or_without_redis() {
    let redis = std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
    for redis in [None, redis].into_iter().collect::<std::collections::BTreeSet<_>>() {
        let (url, _db) = test_database().await;
        let config = || {
            let mut config = Config::for_database(url.clone());
            config.redis_url = redis.clone();
            config.auth_cache_seconds = 600;
            config
        };
        let mut a = start(config(), Arc::new(SystemClock)).await;
        let b = start(config(), Arc::new(SystemClock)).await;
        a.key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
        if redis.is_some() {
            wait_until_subscribed(&a).await;
            wait_until_subscribed(&b).await;
        }
        let (id, secret) = key(&a, "READ_WRITE").await;
        let mut ws = WsClient::with_token(&a.address, Protocol::TransportWs, &secret).await;
        let (session, _) = a.create_payment_session(100, "EUR").await;
        still_serves(&mut ws, &session).await;
        let revoke = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { userErrors { code } } }";
        let revoked = b.gql_as(Some(&a.key), revoke, json!({ "id": id })).await;
        assert_eq!(revoked["data"]["revokeApiKey"]["userErrors"], json!([]), "{revoked}");
        let bus = if redis.is_some() { "Redis" } else { "no shared bus" };
        assert_eq!(closed_within_two_seconds(&mut ws).await, Some(4403), "with {bus}");
        let over_http = a.post_graphql(Some(&secret), &json!({ "query": MERCHANT })).await;
        assert_eq!(over_http.status(), 401, "a's cache forgot the key too, with {bus}");
    }
}
