//! Apollo's automatic persisted queries: a hash alone is `PersistedQueryNotFound` until the
//! document is sent once with it; then the hash alone runs it, by POST or GET, on every
//! instance sharing Redis. `PAYGRAPH_PERSISTED_ONLY` runs only what a read-write key
//! registered, and that survives a restart.

use std::sync::Arc;

use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

/// The hosted page's status check (`pay.js`), a mobile app's too.
pub const HOSTED_STATUS: &str = "query($id: ID!) { paymentSession(id: $id) { status version payments(first: 1) { nodes { id methodType status } } } }";
/// The dashboard's table of recent sessions.
pub const DASHBOARD_SESSIONS: &str = "query Sessions($first: Int!, $filter: PaymentSessionFilter) {
  paymentSessions(first: $first, filter: $filter) { totalCount edges { cursor node {
    id status purpose version createdAt amount { formatted } customer { email name } } } } }";

pub fn sha256(document: &str) -> String {
    Sha256::digest(document.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn by_hash(document: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(document) } })
}

async fn send(app: &TestApp, token: Option<&str>, body: Value) -> Value {
    app.post_graphql(token, &body).await.json().await.unwrap()
}

async fn get_by_hash(app: &TestApp, token: &str, document: &str, variables: Value) -> reqwest::Response {
    let query = [("extensions", by_hash(document).to_string()), ("variables", variables.to_string())];
    app.client.get(format!("{}/graphql", app.address)).query(&query).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn a_hash_runs_once_its_document_was_sent_with_it() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let variables = json!({ "id": id });
    let hash_only = json!({ "extensions": by_hash(HOSTED_STATUS), "variables": variables });

    let unknown = send(&app, Some(&secret), hash_only.clone()).await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound", "{unknown}");
    assert_eq!(error_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    assert!(unknown.get("data").is_none());

    let mut with_text = hash_only.clone();
    with_text["query"] = json!(HOSTED_STATUS);
    let registered = send(&app, Some(&secret), with_text).await;
    assert_eq!(registered["data"]["paymentSession"]["status"], "OPEN", "{registered}");

    let by_post = send(&app, Some(&secret), hash_only).await;
    assert_eq!(by_post["data"]["paymentSession"]["status"], "OPEN", "{by_post}");
    let by_get = get_by_hash(&app, &secret, HOSTED_STATUS, variables).await;
    assert_eq!(by_get.status(), 200);
    let by_get: Value = by_get.json().await.unwrap();
    assert_eq!(by_get["data"]["paymentSession"]["version"], 1, "{by_get}");
}

#[tokio::test]
async fn a_wrong_hash_or_a_malformed_extension_registers_nothing() {
    let app = spawn_app().await;
    let wrong = json!({ "query": "{ __typename }", "extensions": by_hash("{ merchant { name } }") });
    let body = send(&app, Some(&app.key), wrong).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_HASH_MISMATCH", "{body}");
    let later = send(&app, Some(&app.key), json!({ "extensions": by_hash("{ merchant { name } }") })).await;
    assert_eq!(error_code(&later), "PERSISTED_QUERY_NOT_FOUND", "the mismatched text was kept: {later}");

    for extension in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256("{ __typename }") } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "not hex" } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ __typename }").to_uppercase() } }),
        json!({ "persistedQuery": "abc" }),
    ] {
        let body = send(&app, Some(&app.key), json!({ "extensions": extension })).await;
        assert_eq!(error_code(&body), "BAD_REQUEST", "{extension}: {body}");
    }
    // Neither a query nor a hash.
    let response = app.post_graphql(Some(&app.key), &json!({ "variables": {} })).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_mutation_by_hash_does_not_run_over_get() {
    let app = spawn_app().await;
    let cancel = "mutation { createCustomer(input: { email: \"get@example.com\" }) { customer { id } } }";
    let registered = send(&app, Some(&app.key), json!({ "query": cancel, "extensions": by_hash(cancel) })).await;
    assert!(registered["data"]["createCustomer"]["customer"]["id"].is_string(), "{registered}");
    let over_get = get_by_hash(&app, &app.key, cancel, json!({})).await;
    assert_eq!(over_get.status(), 405);
    let customers = app.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(customers["data"]["customers"]["totalCount"], 1, "the GET ran the mutation");
}

#[tokio::test]
async fn in_a_batch_an_unknown_hash_fails_alone() {
    let app = spawn_app().await;
    let batch = json!([{ "query": "{ __typename }" }, { "extensions": by_hash("{ merchant { name } }") }]);
    let body = send(&app, Some(&app.key), batch).await;
    assert_eq!(body[0]["data"]["__typename"], "QueryRoot", "{body}");
    assert_eq!(body[1]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{body}");
}

#[tokio::test]
async fn a_document_registered_on_one_instance_runs_by_hash_on_another() {
    let Some(redis) = test_redis_url("a_document_registered_on_one_instance_runs_by_hash_on_another") else { return };
    let (url, _db) = test_database().await;
    let config = || {
        let mut config = Config::for_database(url.clone());
        config.redis_url = Some(redis.clone());
        config.live.background_interval_ms = 0;
        // Each run its own keys, so a document another run cached does not answer for this one.
        config.throttle.redis_prefix = format!("paygraph-test-{}", uuid::Uuid::new_v4());
        config
    };
    let first = config();
    let mut second = config();
    second.throttle.redis_prefix = first.throttle.redis_prefix.clone();
    let mut a = start(first, Arc::new(SystemClock)).await;
    let b = start(second, Arc::new(SystemClock)).await;
    a.key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
    a.create_payment_session(900, "EUR").await;
    // A read-only key's registration is cached (in Redis), not kept in the database.
    let read_only = create_read_only_key(&a).await;
    let document = "query { paymentSessions(first: 1) { totalCount } }";
    let via_a = send(&a, Some(&read_only), json!({ "query": document, "extensions": by_hash(document) })).await;
    assert_eq!(via_a["data"]["paymentSessions"]["totalCount"], 1, "{via_a}");
    let via_b = send(&b, Some(&a.key), json!({ "extensions": by_hash(document) })).await;
    assert_eq!(via_b["data"]["paymentSessions"]["totalCount"], 1, "{via_b}");
    // An anonymous client's document stays in its instance's cache: nobody fills Redis.
    let anonymous = "query Anonymous { __typename }";
    let on_a = send(&a, None, json!({ "query": anonymous, "extensions": by_hash(anonymous) })).await;
    assert_eq!(on_a["data"]["__typename"], "QueryRoot", "{on_a}");
    let on_b = send(&b, None, json!({ "extensions": by_hash(anonymous) })).await;
    assert_eq!(error_code(&on_b), "PERSISTED_QUERY_NOT_FOUND", "{on_b}");
}

#[tokio::test]
async fn persisted_only_runs_what_a_read_write_key_registered_and_keeps_it_across_restarts() {
    let (url, _db) = test_database().await;
    let config = || {
        let mut config = Config::for_database(url.clone());
        config.limits.persisted_only = true;
        config
    };
    let mut app = start(config(), Arc::new(SystemClock)).await;
    app.key = app.services.auth.create_merchant("Locked").await.unwrap().secret_key;
    let (id, secret) = app.create_session_with_key().await;
    let variables = json!({ "id": id });

    // A client secret can neither send text nor register it.
    let text = send(&app, Some(&secret), json!({ "query": HOSTED_STATUS, "variables": variables })).await;
    assert_eq!(error_code(&text), "PERSISTED_QUERY_NOT_IN_LIST", "{text}");
    let register = json!({ "query": HOSTED_STATUS, "variables": variables, "extensions": by_hash(HOSTED_STATUS) });
    let refused = send(&app, Some(&secret), register.clone()).await;
    assert_eq!(error_code(&refused), "PERSISTED_QUERY_NOT_IN_LIST", "{refused}");
    let anonymous = send(&app, None, json!({ "query": "{ __typename }" })).await;
    assert_eq!(error_code(&anonymous), "PERSISTED_QUERY_NOT_IN_LIST", "{anonymous}");
    let read_only = create_read_only_key(&app).await;
    let refused = send(&app, Some(&read_only), register.clone()).await;
    assert_eq!(error_code(&refused), "PERSISTED_QUERY_NOT_IN_LIST", "{refused}");

    // The merchant's read-write key registers it; then the client secret runs it by hash.
    let registered = send(&app, Some(&app.key), register).await;
    assert_eq!(registered["data"]["paymentSession"]["status"], "OPEN", "{registered}");
    let hash_only = json!({ "extensions": by_hash(HOSTED_STATUS), "variables": variables });
    let run = send(&app, Some(&secret), hash_only.clone()).await;
    assert_eq!(run["data"]["paymentSession"]["status"], "OPEN", "{run}");

    // A restart (an empty cache, the same database) still knows it.
    let restarted = start(config(), Arc::new(SystemClock)).await;
    let run = send(&restarted, Some(&secret), hash_only).await;
    assert_eq!(run["data"]["paymentSession"]["status"], "OPEN", "{run}");
}

#[tokio::test]
async fn in_allow_list_mode_a_document_runs_only_for_the_merchant_that_registered_it() {
    let app = spawn_app_with(|config| config.limits.persisted_only = true).await;
    let (id, secret) = app.create_session_with_key().await;
    let variables = json!({ "id": id });
    let other = app.other_merchant_key().await;
    let register = json!({ "query": HOSTED_STATUS, "variables": variables, "extensions": by_hash(HOSTED_STATUS) });
    let registered = send(&app, Some(&other), register).await;
    assert!(registered["errors"].is_null() || error_code(&registered) == "NOT_FOUND", "{registered}");

    // Merchant 2 registered it: merchant 1's client secret and read-only key may not run it.
    let read_only = create_read_only_key(&app).await;
    let hash_only = json!({ "extensions": by_hash(HOSTED_STATUS), "variables": variables });
    let text = json!({ "query": HOSTED_STATUS, "variables": variables });
    for (who, token) in [("client secret", &secret), ("read-only key", &read_only)] {
        for body in [&hash_only, &text] {
            let refused = send(&app, Some(token), body.clone()).await;
            assert_eq!(error_code(&refused), "PERSISTED_QUERY_NOT_IN_LIST", "{who}: {refused}");
        }
    }
    // Once merchant 1's own read-write key registers it, both run it.
    let mine = json!({ "query": HOSTED_STATUS, "variables": variables, "extensions": by_hash(HOSTED_STATUS) });
    assert_eq!(send(&app, Some(&app.key), mine).await["data"]["paymentSession"]["status"], "OPEN");
    for token in [&secret, &read_only] {
        let run = send(&app, Some(token), hash_only.clone()).await;
        assert_eq!(run["data"]["paymentSession"]["status"], "OPEN", "{run}");
    }
}

#[tokio::test]
async fn documents_registered_before_the_lists_were_per_merchant_stay_on_their_registrants_list() {
    use migrations::{Migrator, MigratorTrait};
    let (url, _db) = test_database().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&db, Some(12)).await.unwrap();
    let merchant = uuid::Uuid::new_v4();
    let kept = paygraph::storage::entities::persisted_query::ActiveModel {
        sha256_hash: sea_orm::Set(sha256("{ __typename }")),
        document: sea_orm::Set("{ __typename }".into()),
        merchant_id: sea_orm::Set(merchant),
        created_at: sea_orm::Set(chrono::Utc::now()),
    };
    sea_orm::ActiveModelTrait::insert(kept, &db).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let merchant = paygraph::domain::MerchantId(merchant);
    assert!(paygraph::storage::persisted::approved(&db, merchant, &sha256("{ __typename }")).await.unwrap());
    let stranger = paygraph::domain::MerchantId(uuid::Uuid::new_v4());
    assert!(!paygraph::storage::persisted::approved(&db, stranger, &sha256("{ __typename }")).await.unwrap());
}

async fn create_read_only_key(app: &TestApp) -> String {
    let body = app
        .gql(
            "mutation { createApiKey(input: { name: \"ro\", scope: READ_ONLY }) { secretKey userErrors { code } } }",
            json!({}),
        )
        .await;
    body["data"]["createApiKey"]["secretKey"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

impl TestApp {
    /// A session, created by the read-write key's text (which runs in allow-list mode).
    async fn create_session_with_key(&self) -> (String, String) {
        let create = "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 2500, currency: \"EUR\" } }) { paymentSession { id } clientSecret } }";
        let body = send(self, Some(&self.key), json!({ "query": create })).await;
        let payload = &body["data"]["createPaymentSession"];
        (
            payload["paymentSession"]["id"].as_str().unwrap().to_owned(),
            payload["clientSecret"].as_str().unwrap().to_owned(),
        )
    }
}
