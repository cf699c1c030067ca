//! Rate limits and the query-cost budget: a flood meets 429 (or `THROTTLED`) and nothing past
//! the limit is written; with Redis the limit holds across instances.

use std::sync::Arc;

use futures_util::future::join_all;
use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const CARD: &str = r#"{"number":"4242424242424242","expMonth":12,"expYear":2040,"cvc":"123"}"#;
const CREATE_CUSTOMER: &str =
    "mutation($email: String!) { createCustomer(input: {email: $email}) { customer { id } userErrors { code } } }";

/// Rows of `table`, read straight from the database.
async fn rows(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.services.core.db;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Sends `n` card tokenizations at once with `auth`; their statuses and one 429's headers.
async fn tokenize_flood(app: &TestApp, auth: &str, n: usize) -> Vec<reqwest::Response> {
    let sends = (0..n).map(|_| {
        app.client
            .post(format!("{}/vault/cards", app.address))
            .bearer_auth(auth)
            .header("content-type", "application/json")
            .body(CARD)
            .send()
    });
    join_all(sends).await.into_iter().map(Result::unwrap).collect()
}

fn count(responses: &[reqwest::Response], status: u16) -> usize {
    responses.iter().filter(|r| r.status().as_u16() == status).count()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn card_testing_through_one_client_secret_meets_429_and_tokenizes_nothing_more() {
    let app = spawn_app_with(|c| c.throttle.vault = 5).await;
    let (_, secret) = app.create_payment_session(100, "USD").await;
    let responses = tokenize_flood(&app, &secret, 30).await;
    assert_eq!(count(&responses, 200), 5);
    assert_eq!(count(&responses, 429), 25);
    let refused = responses.into_iter().find(|r| r.status() == 429).unwrap();
    assert!((1..=12).contains(&retry_after(&refused)), "one cell of 5 a minute refills in 12 s");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(rows(&app, "card_tokens").await, 5, "nothing past the limit is written");

    // The merchant's server has its own, wider budget; another session its own too.
    assert_eq!(count(&tokenize_flood(&app, &app.key, 3).await, 200), 3);
    let (_, other) = app.create_payment_session(100, "USD").await;
    assert_eq!(count(&tokenize_flood(&app, &other, 1).await, 200), 1);
}

#[tokio::test]
async fn one_ip_is_limited_whatever_credentials_it_sends() {
    let app = spawn_app_with(|c| c.throttle.vault_ip = 4).await;
    let mut secrets = Vec::new();
    for _ in 0..3 {
        secrets.push(app.create_payment_session(100, "USD").await.1);
    }
    let mut statuses = Vec::new();
    for secret in secrets.iter().cycle().take(9) {
        statuses.push(tokenize_flood(&app, secret, 1).await.remove(0).status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429, 429, 429, 429]);
    // Bad credentials spend the IP's budget before any lookup.
    assert_eq!(tokenize_flood(&app, "sk_test_forged", 1).await[0].status(), 429);
    assert_eq!(rows(&app, "card_tokens").await, 4);
}

#[tokio::test]
async fn a_flooded_payment_link_opens_no_session_past_the_limit() {
    let app = spawn_app_with(|c| c.throttle.link_ip = 3).await;
    let link = app
        .gql(
            "mutation { createPaymentLink(input: { amount: 500, currency: \"EUR\" }) { paymentLink { url } } }",
            json!({}),
        )
        .await;
    let url = link["data"]["createPaymentLink"]["paymentLink"]["url"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let visits = join_all((0..12).map(|_| client.get(&url).send())).await;
    let statuses: Vec<u16> = visits.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
    let sessions = app.gql("{ paymentSessions { totalCount } }", json!({})).await;
    assert_eq!(sessions["data"]["paymentSessions"]["totalCount"], 3);
}

#[tokio::test]
async fn the_hosted_page_is_limited_per_session() {
    let app = spawn_app_with(|c| c.throttle.page = 2).await;
    let (_, secret) = app.create_payment_session(100, "USD").await;
    let page = |secret: String| app.client.get(format!("{}/pay/{secret}", app.address)).send();
    assert_eq!(page(secret.clone()).await.unwrap().status(), 200);
    assert_eq!(page(secret.clone()).await.unwrap().status(), 200);
    let refused = page(secret.clone()).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) >= 1);
    let (_, other) = app.create_payment_session(100, "USD").await;
    assert_eq!(page(other).await.unwrap().status(), 200);
}

#[tokio::test]
async fn graphql_past_the_credential_limit_is_429_rate_limited_and_writes_nothing() {
    let app = spawn_app_with(|c| c.throttle.graphql = 4).await;
    let mut codes = Vec::new();
    for n in 0..7 {
        let body = json!({ "query": CREATE_CUSTOMER, "variables": { "email": format!("c{n}@example.com") } });
        let response = app.post_graphql(Some(&app.key), &body).await;
        let status = response.status().as_u16();
        if status == 429 {
            assert!(retry_after(&response) >= 1);
            let body: Value = response.json().await.unwrap();
            codes.push(body["errors"][0]["extensions"]["code"].as_str().unwrap().to_owned());
        } else {
            codes.push(status.to_string());
        }
    }
    assert_eq!(codes, ["200", "200", "200", "200", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
    assert_eq!(rows(&app, "customers").await, 4);

    // A batch spends one request per operation: the whole batch is refused, none of it runs.
    let other = spawn_app_with(|c| c.throttle.graphql = 4).await;
    let batch: Vec<Value> = (0..5)
        .map(|n| json!({ "query": CREATE_CUSTOMER, "variables": { "email": format!("b{n}@example.com") } }))
        .collect();
    let response = other.post_graphql(Some(&other.key), &json!(batch)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(rows(&other, "customers").await, 0);
}

#[tokio::test]
async fn a_flood_of_forged_keys_meets_the_ip_limit_before_any_lookup() {
    let app = spawn_app_with(|c| c.throttle.graphql_ip = 3).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app.post_graphql(Some("sk_test_forged"), &json!({ "query": "{ __typename }" })).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn websocket_upgrades_and_initialisations_are_limited() {
    let app = spawn_app_with(|c| {
        c.throttle.socket_ip = 3;
        c.throttle.socket = 2;
    })
    .await;
    let init = || json!({ "authorization": format!("Bearer {}", app.key) });
    let first = WsClient::connect(&app.address, Protocol::TransportWs, init()).await;
    let second = WsClient::connect(&app.address, Protocol::TransportWs, init()).await;
    assert!(first.is_ok() && second.is_ok());
    // The third upgrade is within the IP's budget, its credential's is spent.
    let third = WsClient::connect(&app.address, Protocol::TransportWs, init()).await.err().unwrap();
    let third: Value = serde_json::from_str(&third).unwrap();
    assert_eq!(third["code"], 1002, "connection_init refused: {third}");
    assert!(third["reason"].as_str().unwrap_or_default().starts_with("too many requests"), "{third}");
    // The fourth is refused at the upgrade.
    let fourth = WsClient::connect(&app.address, Protocol::TransportWs, init()).await.err().unwrap();
    assert!(fourth.contains("429"), "{fourth}");
}

const SESSIONS_PAGE: &str =
    "{ paymentSessions(first: 50) { edges { node { id status amount { amount currency } } } } }";

/// A server whose cost bucket holds 400 points and is never refilled.
async fn spawn_with_a_budget_of_400_never_refilled() -> TestApp {
    spawn_app_with(|c| {
        c.throttle.cost_bucket = 400;
        c.throttle.cost_restore_rate = 0;
    })
    .await
}

#[tokio::test]
async fn every_response_reports_its_cost_and_an_over_budget_query_is_throttled_before_it_runs() {
    let app = spawn_with_a_budget_of_400_never_refilled().await;
    let body = app.gql(SESSIONS_PAGE, json!({})).await;
    let cost = &body["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_u64().unwrap();
    let actual = cost["actualQueryCost"].as_u64().unwrap();
    assert!(requested > 50, "a page of 50 costs per node: {cost}");
    assert_eq!(actual, 2, "no sessions yet: paymentSessions and edges");
    assert_eq!(cost["throttleStatus"], json!({ "maximumAvailable": 400, "currentlyAvailable": 398, "restoreRate": 0 }));

    // A query asking for more than is left does not run, and spends nothing.
    let too_big = "{ paymentSessions(first: 100) { edges { node { id status amount { amount currency } } } } }";
    let refused = app.gql(too_big, json!({})).await;
    assert_eq!(error_code(&refused), "THROTTLED");
    assert!(refused.get("data").is_none_or(Value::is_null));
    assert_eq!(refused["extensions"]["cost"]["actualQueryCost"], Value::Null);
    assert_eq!(refused["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"], 398);

    // Mutations spend what they return, until the bucket is dry: then nothing is written.
    let mut created = 0;
    for n in 0..200 {
        let answer = app.gql(CREATE_CUSTOMER, json!({ "email": format!("c{n}@example.com") })).await;
        if answer["errors"].is_array() {
            assert_eq!(error_code(&answer), "THROTTLED");
            break;
        }
        created += 1;
    }
    assert!(created > 10 && created < 200, "{created}");
    assert_eq!(rows(&app, "customers").await, created);
}

#[tokio::test]
async fn each_operation_of_a_batch_reports_its_own_cost() {
    let app = spawn_with_a_budget_of_400_never_refilled().await;
    let batch = json!([{ "query": SESSIONS_PAGE }, { "query": SESSIONS_PAGE }]);
    let answers: Value = app.post_graphql(Some(&app.key), &batch).await.json().await.unwrap();
    let left: Vec<_> =
        (0..2).map(|i| answers[i]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].clone()).collect();
    // Each spent 2 (paymentSessions and edges): the second reports the bucket after both.
    assert_eq!(left, [json!(398), json!(396)], "{answers}");
}

/// Two instances on one database and one Redis, limits under a prefix of this test's own.
async fn pair(redis_url: &str, adjust: impl Fn(&mut Config)) -> (TestApp, TestApp, TestDatabase) {
    let (url, db) = test_database().await;
    let prefix = format!("paygraph-test-{}", uuid::Uuid::new_v4().simple());
    let config = || {
        let mut config = Config::for_database(url.clone());
        config.redis_url = Some(redis_url.to_owned());
        config.throttle.redis_prefix = prefix.clone();
        config.live.background_interval_ms = 0;
        adjust(&mut config);
        config
    };
    let mut a = start(config(), Arc::new(SystemClock)).await;
    let mut b = start(config(), Arc::new(SystemClock)).await;
    let key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
    a.key = key.clone();
    b.key = key;
    (a, b, db)
}

#[tokio::test]
async fn with_redis_a_limit_holds_across_instances() {
    let Some(redis) = test_redis_url("with_redis_a_limit_holds_across_instances") else { return };
    let (a, b, _db) = pair(&redis, |c| c.throttle.vault = 4).await;
    let (_, secret) = a.create_payment_session(100, "USD").await;
    let mut ok = 0;
    for n in 0..10 {
        let app = if n % 2 == 0 { &a } else { &b };
        ok += count(&tokenize_flood(app, &secret, 1).await, 200);
    }
    assert_eq!(ok, 4, "two instances spend one budget, not two");
    assert_eq!(rows(&a, "card_tokens").await, 4);
}

#[tokio::test]
async fn with_redis_the_cost_budget_is_shared_too() {
    let Some(redis) = test_redis_url("with_redis_the_cost_budget_is_shared_too") else { return };
    let (a, b, _db) = pair(&redis, |c| {
        c.throttle.cost_bucket = 1_000;
        c.throttle.cost_restore_rate = 0;
    })
    .await;
    let first = a.gql("{ paymentSessions(first: 1) { totalCount } }", json!({})).await;
    let after_a = first["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_u64().unwrap();
    let second = b.gql("{ paymentSessions(first: 1) { totalCount } }", json!({})).await;
    let after_b = second["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_u64().unwrap();
    assert_eq!(after_a, 998);
    assert_eq!(after_b, 996, "b spends from what a left");
}

#[tokio::test]
async fn when_redis_does_not_answer_the_local_limit_stands() {
    // Nothing listens on port 1: every shared check fails at once.
    let app = spawn_app_with(|c| {
        c.redis_url = Some("redis://127.0.0.1:1".into());
        c.throttle.vault = 3;
    })
    .await;
    let (_, secret) = app.create_payment_session(100, "USD").await;
    let responses = tokenize_flood(&app, &secret, 6).await;
    assert_eq!(count(&responses, 200), 3);
    assert_eq!(count(&responses, 429), 3);
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    let fallbacks = metrics
        .lines()
        .find_map(|l| l.strip_prefix("paygraph_throttle_shared_unavailable_total "))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .expect("the fallback counter is in /metrics");
    assert!(fallbacks >= 6, "each of the six tokenizations fell back to the local limit: {fallbacks}");
}
