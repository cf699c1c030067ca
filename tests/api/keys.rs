//! Secret keys: several per merchant, read-only or read-write, rolled with an expiry,
//! revoked at once on every instance.

use std::sync::Arc;

use chrono::Duration;
use futures_util::future::join_all;
use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};

use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
    apiKey { id name prefix scope createdAt lastUsedAt expiresAt revokedAt } secretKey userErrors { field code } } }";
const REVOKE_KEY: &str =
    "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } userErrors { field code } } }";
const ROLL_KEY: &str = "mutation($id: ID!, $grace: Int) { rollApiKey(input: {id: $id, expiresInSeconds: $grace}) {
    apiKey { id name scope } secretKey previousApiKey { id expiresAt } userErrors { field code } } }";
const KEYS: &str = "{ apiKeys { id name prefix scope lastUsedAt expiresAt } }";
const CREATE_CUSTOMER: &str = "mutation { createCustomer(input: {email: \"a@example.com\"}) { customer { id } } }";

async fn create_key(app: &TestApp, scope: &str) -> (String, String) {
    create_key_as(app, &app.key, scope).await
}

async fn create_key_as(app: &TestApp, with: &str, scope: &str) -> (String, String) {
    let body = app.gql_as(Some(with), CREATE_KEY, json!({ "input": { "name": "reporting", "scope": scope } })).await;
    let payload = &body["data"]["createApiKey"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (payload["apiKey"]["id"].as_str().unwrap().to_owned(), payload["secretKey"].as_str().unwrap().to_owned())
}

async fn status_with(app: &TestApp, key: &str) -> u16 {
    app.post_graphql(Some(key), &json!({ "query": "{ merchant { name } }" })).await.status().as_u16()
}

/// The id of the key the app was started with.
async fn first_key_id(app: &TestApp) -> String {
    let keys = app.gql(KEYS, json!({})).await;
    keys["data"]["apiKeys"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_merchant_holds_several_keys_and_sees_each_without_its_secret() {
    let app = spawn_app().await;
    let (id, secret) = create_key(&app, "READ_WRITE").await;
    assert!(secret.starts_with("sk_test_"));
    assert_eq!(status_with(&app, &secret).await, 200);
    let keys = app.gql(KEYS, json!({})).await;
    let listed = keys["data"]["apiKeys"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let new = listed.iter().find(|k| k["id"] == id.as_str()).unwrap();
    assert_eq!(new["prefix"], &secret[..12]);
    assert_eq!(new["name"], "reporting");
    assert!(new["lastUsedAt"].is_string(), "it was just used: {new}");
    assert!(!keys.to_string().contains(&secret), "a secret is shown once");
}

#[tokio::test]
async fn a_read_only_key_reads_and_subscribes_but_changes_nothing() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let (_, reader) = create_key(&app, "READ_ONLY").await;
    let read = app.gql_as(Some(&reader), "{ paymentSessions { totalCount } }", json!({})).await;
    assert_eq!(read["data"]["paymentSessions"]["totalCount"], 1);

    let refused = app.gql_as(Some(&reader), CREATE_CUSTOMER, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let made = app.gql_as(Some(&reader), CREATE_KEY, json!({ "input": {} })).await;
    assert_eq!(error_code(&made), "FORBIDDEN", "nor can it make itself a better key");
    let customers = app.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(customers["data"]["customers"]["totalCount"], 0);

    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    let vault = app.client.post(format!("{}/vault/cards", app.address)).bearer_auth(&reader).json(&card).send().await;
    assert_eq!(vault.unwrap().status(), 403);

    let mut socket = WsClient::with_token(&app.address, Protocol::TransportWs, &reader).await;
    socket
        .subscribe("live", "subscription($id: ID!) { paymentSessionUpdated(id: $id) { status } }", json!({ "id": id }))
        .await;
    assert!(matches!(socket.frame_of("live").await, Frame::Next(_)));
    socket.subscribe("write", CREATE_CUSTOMER, json!({})).await;
    match socket.frame_of("write").await {
        Frame::Error(errors) => assert_eq!(errors_code(&errors), "FORBIDDEN", "{errors}"),
        other => panic!("a mutation ran over the socket: {other:?}"),
    }
}

fn errors_code(errors: &Value) -> String {
    errors[0]["extensions"]["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_revoked_key_fails_at_once_on_every_instance() {
    let Some(redis) = test_redis_url("a_revoked_key_fails_at_once_on_every_instance") else { return };
    let (url, _db) = test_database().await;
    let config = || {
        let mut config = Config::for_database(url.clone());
        config.redis_url = Some(redis.clone());
        config.live.background_interval_ms = 0;
        config.auth_cache_seconds = 600;
        config
    };
    let mut a = start(config(), Arc::new(SystemClock)).await;
    let b = start(config(), Arc::new(SystemClock)).await;
    a.key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
    // Both instances are subscribed to the bus before anything is revoked.
    wait_until_subscribed(&a).await;
    wait_until_subscribed(&b).await;
    let (id, secret) = create_key(&a, "READ_WRITE").await;
    assert_eq!(status_with(&b, &secret).await, 200, "b has verified and cached the key");
    let revoked = a.gql(REVOKE_KEY, json!({ "id": id })).await;
    assert!(revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"].is_string(), "{revoked}");
    // The notice crosses Redis in well under a second; allow for a slow machine.
    let mut refused = false;
    for _ in 0..50 {
        if status_with(&b, &secret).await == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "b still accepts a key revoked on a, with 600 s left in its cache");
    assert_eq!(status_with(&a, &secret).await, 401);
    let again = a.gql(REVOKE_KEY, json!({ "id": id })).await;
    assert_eq!(again["data"]["revokeApiKey"]["userErrors"][0]["code"], "NOT_ALLOWED");
}

#[tokio::test]
async fn a_verified_key_is_not_read_again_and_its_revocation_is_seen_at_once() {
    let app = spawn_app_with(quiet).await;
    let (id, secret) = create_key(&app, "READ_WRITE").await;
    assert_eq!(status_with(&app, &secret).await, 200);
    let before = app.statement_count().await;
    assert_eq!(status_with(&app, &secret).await, 200);
    assert_eq!(app.statement_count().await - before, 1, "the query's own read, no key lookup");
    app.gql(REVOKE_KEY, json!({ "id": id })).await;
    assert_eq!(status_with(&app, &secret).await, 401);
}

#[tokio::test]
async fn the_last_read_write_key_cannot_be_revoked_even_by_two_calls_at_once() {
    let app = spawn_app().await;
    let first = first_key_id(&app).await;
    let alone = app.gql(REVOKE_KEY, json!({ "id": first })).await;
    assert_eq!(alone["data"]["revokeApiKey"]["userErrors"][0]["code"], "NOT_ALLOWED", "{alone}");

    // Two live read-write keys, each revoked by the other at the same instant: one stays.
    // Several rounds, as a race may go either way.
    let app = &app;
    let (mut survivor, mut survivor_secret) = (first, app.key.clone());
    for round in 0..6 {
        let (second, second_secret) = create_key_as(app, &survivor_secret, "READ_WRITE").await;
        let calls = [(survivor.clone(), second_secret.clone()), (second.clone(), survivor_secret.clone())]
            .map(|(id, with)| async move { app.gql_as(Some(&with), REVOKE_KEY, json!({ "id": id })).await });
        let results = join_all(calls).await;
        let revoked: Vec<bool> = results.iter().map(|r| r["data"]["revokeApiKey"]["apiKey"].is_object()).collect();
        assert_eq!(revoked.iter().filter(|r| **r).count(), 1, "round {round}: {results:?}");
        if revoked[0] {
            (survivor, survivor_secret) = (second, second_secret);
        }
        let live = app.gql_as(Some(&survivor_secret), KEYS, json!({})).await;
        assert_eq!(live["data"]["apiKeys"].as_array().unwrap().len(), 1, "{live}");
    }
}

#[tokio::test]
async fn a_key_in_its_rolls_grace_does_not_count_as_the_last_read_write_key() {
    let app = spawn_app().await;
    let first = first_key_id(&app).await;
    let rolled = app.gql(ROLL_KEY, json!({ "id": first, "grace": 3600 })).await;
    let successor =
        rolled["data"]["rollApiKey"]["apiKey"]["id"].as_str().unwrap_or_else(|| panic!("{rolled}")).to_owned();
    let refused = app.gql(REVOKE_KEY, json!({ "id": successor })).await;
    assert_eq!(
        refused["data"]["revokeApiKey"]["userErrors"][0]["code"], "NOT_ALLOWED",
        "the old key expires in an hour, so the new one is the last: {refused}"
    );
    let (_, spare) = create_key(&app, "READ_WRITE").await;
    let revoked = app.gql_as(Some(&spare), REVOKE_KEY, json!({ "id": successor })).await;
    assert_eq!(
        revoked["data"]["revokeApiKey"]["userErrors"],
        json!([]),
        "with another lasting key it may go: {revoked}"
    );
}

#[tokio::test]
async fn a_rolled_key_keeps_working_until_the_expiry_its_caller_chose() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), |_| {}).await;
    let old = first_key_id(&app).await;
    let rolled = app.gql(ROLL_KEY, json!({ "id": old, "grace": 3600 })).await;
    let payload = &rolled["data"]["rollApiKey"];
    assert_eq!(payload["userErrors"], json!([]), "{rolled}");
    let new_secret = payload["secretKey"].as_str().unwrap().to_owned();
    assert_eq!(payload["apiKey"]["scope"], "READ_WRITE");
    assert!(payload["previousApiKey"]["expiresAt"].is_string());
    assert_eq!(status_with(&app, &app.key).await, 200, "the old key works during the grace");
    assert_eq!(status_with(&app, &new_secret).await, 200);
    clock.advance(Duration::minutes(61));
    assert_eq!(status_with(&app, &app.key).await, 401, "then it expires");
    assert_eq!(status_with(&app, &new_secret).await, 200);

    // At once, and never longer than 7 days.
    let newest = app.gql_as(Some(&new_secret), KEYS, json!({})).await["data"]["apiKeys"][0]["id"].clone();
    let too_long = app.gql_as(Some(&new_secret), ROLL_KEY, json!({ "id": newest, "grace": 8 * 86_400 })).await;
    assert_eq!(too_long["data"]["rollApiKey"]["userErrors"][0]["code"], "INVALID");
    let now = app.gql_as(Some(&new_secret), ROLL_KEY, json!({ "id": newest, "grace": 0 })).await;
    let newer = now["data"]["rollApiKey"]["secretKey"].as_str().unwrap().to_owned();
    assert_eq!(status_with(&app, &new_secret).await, 401);
    assert_eq!(status_with(&app, &newer).await, 200);
}

#[tokio::test]
async fn another_merchants_key_cannot_be_revoked_or_rolled() {
    let app = spawn_app().await;
    let other = app.other_merchant_key().await;
    let theirs = app.gql_as(Some(&other), KEYS, json!({})).await["data"]["apiKeys"][0]["id"].clone();
    let revoked = app.gql(REVOKE_KEY, json!({ "id": theirs })).await;
    assert_eq!(revoked["data"]["revokeApiKey"]["userErrors"][0]["code"], "NOT_FOUND", "{revoked}");
    let rolled = app.gql(ROLL_KEY, json!({ "id": theirs, "grace": 0 })).await;
    assert_eq!(rolled["data"]["rollApiKey"]["userErrors"][0]["code"], "NOT_FOUND", "{rolled}");
    assert_eq!(status_with(&app, &other).await, 200, "their key still works");
}
