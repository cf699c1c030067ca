//! Browser apps on other origins: preflights of `/graphql` and `/vault/cards` are answered
//! for the configured origins and each merchant's own; every other origin gets no
//! `Access-Control-Allow-Origin` (never `*`); a credential used from an origin its merchant
//! does not allow runs nothing.

use std::sync::Arc;

use paygraph::config::Config;
use paygraph::service::SystemClock;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::support::*;

const EVERYONE: &str = "https://app.example.com";
const SHOP: &str = "https://shop.example.com";
const SETTINGS: &str = "mutation($origins: [String!]) { updateMerchantSettings(input: { allowedOrigins: $origins }) {
    merchant { allowedOrigins } userErrors { field code message } } }";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> Response {
    app.client
        .request(Method::OPTIONS, format!("{}{path}", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap()
}

fn allowed_origin(response: &Response) -> Option<&str> {
    response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap())
}

/// A browser's POST of `query` from `origin` with `token`.
async fn post_from(app: &TestApp, origin: &str, token: &str, query: &str) -> Response {
    app.client
        .post(format!("{}/graphql", app.address))
        .header("origin", origin)
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
}

async fn tokenize_from(app: &TestApp, origin: &str, token: &str) -> Response {
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2034, "cvc": "123" });
    app.client
        .post(format!("{}/vault/cards", app.address))
        .header("origin", origin)
        .bearer_auth(token)
        .json(&card)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflights_are_answered_for_configured_origins_only() {
    let app = spawn_app_with(|c| c.cors_origins = vec![EVERYONE.to_owned()]).await;
    for path in ["/graphql", "/vault/cards"] {
        let answer = preflight(&app, path, EVERYONE).await;
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        assert_eq!(allowed_origin(&answer), Some(EVERYONE), "{path}");
        let headers = answer.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"), "{path}: {headers}");
        assert!(answer.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
        assert!(answer.headers().get("access-control-allow-credentials").is_none(), "no credentials, ever");

        let other = preflight(&app, path, "https://evil.example").await;
        assert_eq!(allowed_origin(&other), None, "{path}: another origin gets nothing");
    }
    let response = post_from(&app, EVERYONE, &app.key, "{ __typename }").await;
    assert_eq!(response.status(), 200);
    assert_eq!(allowed_origin(&response), Some(EVERYONE));
    let response = post_from(&app, "https://evil.example", &app.key, "{ __typename }").await;
    assert_ne!(allowed_origin(&response), Some("*"));
    assert_eq!(allowed_origin(&response), None);
}

#[tokio::test]
async fn a_merchants_origin_serves_its_own_client_secrets_and_nobody_elses() {
    let app = spawn_app().await;
    assert_eq!(allowed_origin(&preflight(&app, "/graphql", SHOP).await), None, "not allowed yet");
    let set = app.gql(SETTINGS, json!({ "origins": ["https://Shop.Example.com:443"] })).await;
    assert_eq!(set["data"]["updateMerchantSettings"]["merchant"]["allowedOrigins"], json!([SHOP]), "{set}");

    for path in ["/graphql", "/vault/cards"] {
        assert_eq!(allowed_origin(&preflight(&app, path, SHOP).await), Some(SHOP), "{path}");
    }
    let (session, secret) = app.create_payment_session(1500, "EUR").await;
    let query = format!("{{ paymentSession(id: \"{session}\") {{ status }} }}");
    let response = post_from(&app, SHOP, &secret, &query).await;
    assert_eq!(allowed_origin(&response), Some(SHOP));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["paymentSession"]["status"], "OPEN", "{body}");
    let card = tokenize_from(&app, SHOP, &secret).await;
    assert_eq!(card.status(), 200);
    assert_eq!(allowed_origin(&card), Some(SHOP));

    // Another merchant's credentials from this merchant's origin: refused before anything runs.
    let other = app.other_merchant_key().await;
    let create = "mutation { createCustomer(input: { email: \"x@example.com\" }) { customer { id } } }";
    let refused = post_from(&app, SHOP, &other, create).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "ORIGIN_NOT_ALLOWED", "{body}");
    let customers = app.gql_as(Some(&other), "{ customers { totalCount } }", json!({})).await;
    assert_eq!(customers["data"]["customers"]["totalCount"], 0, "the refused mutation ran");
    let other_secret = {
        let body = app
            .gql_as(
                Some(&other),
                "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 100, currency: \"EUR\" } }) { clientSecret } }",
                json!({}),
            )
            .await;
        body["data"]["createPaymentSession"]["clientSecret"].as_str().unwrap().to_owned()
    };
    assert_eq!(tokenize_from(&app, SHOP, &other_secret).await.status(), 403);

    // Cleared: the origin is gone at once.
    let cleared = app.gql(SETTINGS, json!({ "origins": [] })).await;
    assert_eq!(cleared["data"]["updateMerchantSettings"]["merchant"]["allowedOrigins"], json!([]));
    assert_eq!(allowed_origin(&preflight(&app, "/graphql", SHOP).await), None);
}

#[tokio::test]
async fn paygraphs_own_pages_and_servers_without_an_origin_are_not_cross_origin() {
    let app = spawn_app().await;
    let own = app.address.clone();
    assert_eq!(post_from(&app, &own, &app.key, "{ __typename }").await.status(), 200);
    let server = app.post_graphql(Some(&app.key), &json!({ "query": "{ __typename }" })).await;
    assert_eq!(server.status(), 200);
    assert_eq!(allowed_origin(&server), None);
    // CORS does not run without `Origin`, and no browser's cache sees the answer: no `Vary`.
    assert!(server.headers().get("vary").is_none(), "{:?}", server.headers());
    let page = post_from(&app, &own, &app.key, "{ __typename }").await;
    let vary: Vec<_> = page.headers().get_all("vary").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(vary.iter().any(|v| v.starts_with("origin")), "a page's answer varies by its origin: {vary:?}");
}

#[tokio::test]
async fn origins_that_are_not_origins_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.gql(SETTINGS, json!({ "origins": [SHOP] })).await;
    let cases = [
        (json!([SHOP, "https://shop.example.com/checkout"]), "INVALID_ORIGIN", json!(["input", "allowedOrigins", "1"])),
        (json!(["*"]), "INVALID_ORIGIN", json!(["input", "allowedOrigins", "0"])),
        (json!(["null"]), "INVALID_ORIGIN", json!(["input", "allowedOrigins", "0"])),
        (json!(["https://*.example.com"]), "INVALID_ORIGIN", json!(["input", "allowedOrigins", "0"])),
        (
            Value::from((0..21).map(|i| format!("https://s{i}.example.com")).collect::<Vec<_>>()),
            "TOO_MANY_ORIGINS",
            json!(["input", "allowedOrigins"]),
        ),
    ];
    for (origins, code, field) in cases {
        let body = app.gql(SETTINGS, json!({ "origins": origins })).await;
        let error = &body["data"]["updateMerchantSettings"]["userErrors"][0];
        assert_eq!(error["code"], code, "{origins}: {body}");
        assert_eq!(error["field"], field, "{origins}");
    }
    let now = app.gql("{ merchant { allowedOrigins } }", json!({})).await;
    assert_eq!(now["data"]["merchant"]["allowedOrigins"], json!([SHOP]), "{now}");
    // A client secret cannot change settings.
    let (_, secret) = app.create_payment_session(100, "EUR").await;
    let body = app.gql_as(Some(&secret), SETTINGS, json!({ "origins": ["https://evil.example"] })).await;
    assert!(body["errors"].is_array(), "{body}");
}

#[tokio::test]
async fn a_new_origin_reaches_every_instance_at_once() {
    let Some(redis) = test_redis_url("a_new_origin_reaches_every_instance_at_once") else { return };
    let (url, _db) = test_database().await;
    let config = || {
        let mut config = Config::for_database(url.clone());
        config.redis_url = Some(redis.clone());
        config.live.background_interval_ms = 0;
        config
    };
    let mut a = start(config(), Arc::new(SystemClock)).await;
    let b = start(config(), Arc::new(SystemClock)).await;
    a.key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
    wait_until_subscribed(&a).await;
    wait_until_subscribed(&b).await;
    assert_eq!(allowed_origin(&preflight(&b, "/graphql", SHOP).await), None);
    a.gql(SETTINGS, json!({ "origins": [SHOP] })).await;
    let mut seen = false;
    for _ in 0..50 {
        if allowed_origin(&preflight(&b, "/graphql", SHOP).await) == Some(SHOP) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen, "instance b never heard of the new origin");
}
