//! `PAYGRAPH_ENV=production` refuses the defaults that are only safe on a laptop.

use std::process::{Command, Stdio};

use paygraph::config::{Config, Environment};
use paygraph::startup::Application;
use serde_json::json;

use crate::support::*;

const SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const FINGERPRINT_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw";

#[tokio::test]
async fn production_refuses_a_fingerprint_key_in_the_database_and_open_metrics() {
    let (url, _db) = test_database().await;
    let mut config = Config::for_database(url);
    config.listen = ([127, 0, 0, 1], 0).into();
    config.environment = Environment::Production;
    let refused = Application::build(config.clone()).await.err().expect("production refuses");
    let message = format!("{refused:#}");
    assert!(message.contains("PAYGRAPH_FINGERPRINT_KEY") && message.contains("PAYGRAPH_METRICS"), "{message}");
    assert!(message.contains("PAYGRAPH_SECRETS_KEY"), "processor keys need their own key: {message}");

    config.fingerprint_key = Some(FINGERPRINT_KEY.into());
    config.secrets_key = Some(SECRETS_KEY.into());
    config.metrics_token = Some("short".into());
    let refused = Application::build(config.clone()).await.err().expect("a guessable token is refused");
    assert!(format!("{refused:#}").contains("24 characters"));

    config.metrics_token = Some("a-metrics-token-long-enough-to-guess-never".into());
    Application::build(config).await.expect("with both, production starts");
}

#[tokio::test]
async fn metrics_on_their_own_address_or_behind_a_token() {
    let apart = spawn_app_with(|c| c.metrics_listen = Some(([127, 0, 0, 1], 0).into())).await;
    let main = apart.client.get(format!("{}/metrics", apart.address)).send().await.unwrap();
    assert_eq!(main.status(), 404, "not on the public listener");

    let token = "a-metrics-token-long-enough-to-guess-never";
    let guarded = spawn_app_with(|c| c.metrics_token = Some(token.into())).await;
    let url = format!("{}/metrics", guarded.address);
    assert_eq!(guarded.client.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(guarded.client.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 401);
    let read = guarded.client.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert!(read.text().await.unwrap().contains("paygraph_graphql_requests_total"));
}

#[test]
fn the_production_binary_makes_no_demo_merchant_prints_no_key_and_serves_no_graphiql() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("prod.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .env("DATABASE_URL", &url)
        .env("PAYGRAPH_ENV", "production")
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYGRAPH_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
        .env("PAYGRAPH_FINGERPRINT_KEY", FINGERPRINT_KEY)
        .env("PAYGRAPH_SECRETS_KEY", SECRETS_KEY)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&client, &base).await;
        let page = client.get(format!("{base}/graphql")).header("accept", "text/html").send().await.unwrap();
        assert!(!page.text().await.unwrap().contains("graphiql"), "no GraphiQL unless enabled");
        let asset = client.get(format!("{base}/graphiql/graphiql.min.js")).send().await.unwrap();
        assert_eq!(asset.status(), 404, "nor its files");
        let metrics = client.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await.unwrap();
        assert_eq!(metrics.status(), 200);
        let anyone = client.get(format!("{base}/graphql?query=%7Bmerchant%7Bname%7D%7D")).send().await.unwrap();
        assert!(anyone.text().await.unwrap().contains("UNAUTHENTICATED"));
    });
    let _ = server.kill();
    let output = server.wait_with_output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!printed.contains("sk_test_") && !printed.contains("demo merchant"), "{printed}");
}

#[tokio::test]
async fn one_card_has_unrelated_fingerprints_at_two_merchants() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let other = app.other_merchant_key().await;
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    for key in [&app.key, &other, &app.key] {
        let response =
            app.client.post(format!("{}/vault/cards", app.address)).bearer_auth(key).json(&card).send().await;
        assert_eq!(response.unwrap().status(), 200);
    }
    let db = &app.services.core.db;
    let sql = "SELECT merchant_id, fingerprint FROM card_tokens";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    let mut fingerprints: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "fingerprint").unwrap()).collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 2, "the same card twice at one merchant, once at another: {fingerprints:?}");
}

#[tokio::test]
async fn production_takes_a_loopback_webhook_endpoint_only_when_the_operator_allows_it() {
    let create = "mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) {
        webhookEndpoint { id } userErrors { field code } } }";
    let production = |allow: Option<bool>| {
        move |c: &mut Config| {
            c.environment = Environment::Production;
            c.fingerprint_key = Some(FINGERPRINT_KEY.into());
            c.secrets_key = Some(SECRETS_KEY.into());
            c.metrics_listen = Some(([127, 0, 0, 1], 0).into());
            c.webhooks.allow_loopback = allow;
        }
    };
    let refused = spawn_app_with(production(None)).await;
    let body = refused.gql(create, json!({ "url": "http://127.0.0.1:9/hook" })).await;
    assert_eq!(body["data"]["createWebhookEndpoint"]["userErrors"][0]["code"], "INVALID_URL", "{body}");

    let allowed = spawn_app_with(production(Some(true))).await;
    let body = allowed.gql(create, json!({ "url": "http://127.0.0.1:9/hook" })).await;
    assert!(body["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"].is_string(), "{body}");
    let body = allowed.gql(create, json!({ "url": "https://10.0.0.5/hook" })).await;
    assert_eq!(
        body["data"]["createWebhookEndpoint"]["userErrors"][0]["code"], "INVALID_URL",
        "still no private network: {body}"
    );
}
