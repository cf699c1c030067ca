//! `spawn_app()`: the real server on a loopback port, on a database of its own.
//!
//! SQLite (a temporary file) by default; with `TEST_DATABASE_URL=postgres://…` each app
//! gets a fresh PostgreSQL database, dropped when the test ends.

use std::sync::Arc;

use std::sync::atomic::{AtomicI64, Ordering};

use paygraph::config::Config;
use paygraph::processor::{Processor, TestProcessor};
use paygraph::service::{Clock, Services, SystemClock};
use paygraph::startup::{Acquirer, Application};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The secret key of the app's first merchant.
    pub key: String,
    pub services: Services,
    /// The app's test processor, whose ledger says what it did with money (`None`: the
    /// test put another processor in its place).
    pub processor: Option<Arc<TestProcessor>>,
    pub _db: TestDatabase,
}

/// A database that exists for one test.
pub enum TestDatabase {
    None,
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a thread with a runtime of its own.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = sea_orm::Database::connect(&admin_url).await {
                        let _ =
                            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

/// An app whose background loop never runs, for tests that count the statements a request
/// sends: a relay, sweep or renewal pass would otherwise land inside the count.
pub async fn spawn_quiet_app() -> TestApp {
    spawn_app_with(quiet).await
}

/// No relay, sweeper or renewal pass in this instance: the test runs them, or counts without them.
pub fn quiet(config: &mut Config) {
    config.live.background_interval_ms = 0;
}

/// A fresh database URL (SQLite or PostgreSQL, as for `spawn_app`) and the guard that drops it.
pub async fn test_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            use sea_orm::ConnectionTrait;
            let name = format!("paygraph_t_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&admin_url).await.expect("TEST_DATABASE_URL must be reachable");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            let (base, _) = admin_url.rsplit_once('/').expect("a database URL ends with /name");
            (format!("{base}/{name}"), TestDatabase::Postgres { admin_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("paygraph.db").display());
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

/// A clock tests move forward by hand.
#[derive(Default)]
pub struct TestClock {
    offset_ms: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts an app with its own database after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(Arc::new(SystemClock), adjust).await
}

/// Starts an app with its own database and a merchant, on `clock` (a `TestClock` the test
/// moves), after `adjust` has changed its configuration.
pub async fn spawn_app_on(clock: Arc<dyn Clock>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let processor = Arc::new(TestProcessor::default());
    let (url, db) = test_database().await;
    let mut config = Config::for_database(url);
    adjust(&mut config);
    let mut app = start_with(config, clock, processor.clone().into()).await;
    app.key = app.services.auth.create_merchant("Test merchant").await.expect("merchant").secret_key;
    app._db = db;
    app.processor = Some(processor);
    app
}

/// [`spawn_app_on`] with `processor` as the acquirer (a faulty one, say).
pub async fn spawn_app_with_processor(
    clock: Arc<dyn Clock>,
    processor: Arc<dyn Processor>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let (url, db) = test_database().await;
    let mut config = Config::for_database(url);
    adjust(&mut config);
    let mut app = start_with(config, clock, processor.into()).await;
    app.key = app.services.auth.create_merchant("Test merchant").await.expect("merchant").secret_key;
    app._db = db;
    app
}

/// Starts an app on `config` (on a free loopback port) with `clock`; it has no merchant yet.
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> TestApp {
    let processor = Arc::new(TestProcessor::default());
    let mut app = start_with(config, clock, processor.clone().into()).await;
    app.processor = Some(processor);
    app
}

/// Starts an app on `config` with `clock` and `acquirer`; it has no merchant yet.
pub async fn start_with(mut config: Config, clock: Arc<dyn Clock>, acquirer: Acquirer) -> TestApp {
    let _ = paygraph::telemetry::init_with_default("warn");
    config.listen = ([127, 0, 0, 1], 0).into();
    let app = Application::build_with(config, clock, acquirer).await.expect("app builds");
    let address = format!("http://{}", app.address());
    let services = app.services().clone();
    tokio::spawn(app.run());
    let client = reqwest::Client::new();
    TestApp { address, client, key: String::new(), services, processor: None, _db: TestDatabase::None }
}

/// A merchant made with the CLI on `database_url` (migrating it first): its secret key, the
/// last line the command prints.
pub fn merchant_by_cli(database_url: &str, name: &str) -> String {
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["merchant", "create", "--name", name])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("paygraph merchant create runs");
    String::from_utf8(created.stdout).expect("UTF-8").lines().last().expect("a key").to_owned()
}

/// A loopback port nothing listens on now, for a server started as a process.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Waits (at most 5 s) until a server started as a process answers `base/healthz`.
pub async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server at {base} did not start");
}

/// The tests that need Redis (`TEST_REDIS_URL`): without it they are skipped, and
/// `skips::what_this_run_skips` counts them in one line.
pub const NEEDS_REDIS: &[&str] = &[
    "a_new_origin_reaches_every_instance_at_once",
    "a_revoked_key_fails_at_once_on_every_instance",
    "a_subscriber_on_one_instance_sees_changes_made_on_another",
    "every_event_made_while_redis_was_down_arrives_once_and_in_order",
    "a_redis_that_stops_answering_is_noticed_and_holds_nothing_up",
    "a_document_registered_on_one_instance_runs_by_hash_on_another",
    "with_redis_a_limit_holds_across_instances",
    "with_redis_the_cost_budget_is_shared_too",
];

/// The Redis URL for tests, or `None`: the test is skipped. Under CI (`CI` set) a missing
/// Redis fails the test instead, so a green CI run has skipped nothing.
pub fn test_redis_url(test: &str) -> Option<String> {
    assert!(NEEDS_REDIS.contains(&test), "list {test} in helpers::NEEDS_REDIS, so its skip is counted");
    match std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(std::env::var("CI").is_err(), "CI runs {test}, but TEST_REDIS_URL is not set");
            None
        }
    }
}

/// The tests that need the Stripe fake (`TEST_STRIPE_URL`, localstripe started by
/// `.ci/run`): without it they are skipped and counted, except under CI, where they fail.
pub const NEEDS_STRIPE: &[&str] = &[
    "a_key_stripe_refuses_stores_nothing",
    "a_connected_account_is_shown_by_its_label_and_its_key_is_sealed",
    "a_card_payment_is_one_payment_intent_with_paygraphs_ids",
    "a_declined_card_keeps_stripes_code",
    "a_held_payment_is_captured_in_part_or_voided_at_stripe",
    "refunds_full_and_partial_reach_stripe_once",
    "a_merchant_on_the_test_processor_is_untouched_by_anothers_account",
    "a_saved_card_is_charged_again_off_session",
    "a_card_saved_with_a_payment_is_charged_again_with_its_stripe_customer",
    "a_subscription_renews_off_session_at_stripe",
    "a_pending_refund_is_settled_by_stripes_refund_event",
    "neither_a_processor_key_nor_a_card_reaches_the_logs",
    "a_charge_whose_answer_was_lost_completes_once_from_stripes_word",
    "a_stripe_not_reached_charges_nothing_and_the_customer_pays_again",
    "a_capture_and_a_refund_whose_answers_were_lost_happen_once",
    "three_d_secure_at_stripe_completes_by_the_signed_webhook",
    "the_customer_back_from_three_d_secure_settles_it",
    "forged_stale_and_foreign_signatures_change_nothing",
    "stripes_dispute_events_open_move_and_close_the_dispute_once",
];

/// The Stripe fake's base URL for tests, or `None`: the test is skipped (a failure under CI).
pub fn test_stripe_url(test: &str) -> Option<String> {
    assert!(NEEDS_STRIPE.contains(&test), "list {test} in helpers::NEEDS_STRIPE, so its skip is counted");
    match std::env::var("TEST_STRIPE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(std::env::var("CI").is_err(), "CI runs {test}, but TEST_STRIPE_URL is not set");
            None
        }
    }
}

impl TestApp {
    /// What the app's test processor did with money so far.
    pub fn ledger(&self) -> paygraph::processor::Ledger {
        self.processor.as_ref().expect("the app's own test processor").ledger()
    }

    /// The hosted page of payment `id`'s session, as its customer sees it now.
    pub async fn hosted_page_of_payment(&self, id: &str) -> String {
        let query = "query($id: ID!) { node(id: $id) { ... on Payment { paymentSession { hostedUrl } } } }";
        let body = self.gql(query, json!({ "id": id })).await;
        let url = body["data"]["node"]["paymentSession"]["hostedUrl"].as_str().expect("a hosted URL").to_owned();
        self.client.get(&url).send().await.unwrap().text().await.unwrap()
    }

    /// Runs a GraphQL operation with the merchant's secret key.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(Some(&self.key), query, variables).await
    }

    /// Runs a GraphQL operation with `token` (or no credentials).
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.post_graphql(token, &json!({ "query": query, "variables": variables })).await;
        response.json().await.expect("a JSON body")
    }

    /// Runs a GraphQL operation with the secret key on a task of its own, for races.
    pub fn spawn_gql(&self, query: &'static str, variables: Value) -> tokio::task::JoinHandle<Value> {
        let (client, address, key) = (self.client.clone(), self.address.clone(), self.key.clone());
        tokio::spawn(async move {
            let request = client.post(format!("{address}/graphql")).bearer_auth(key);
            let response = request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap();
            response.json::<Value>().await.unwrap()
        })
    }

    /// Sends every `(query, variables)` as `token` at the same instant: each on its own task
    /// and connection, released together by a barrier. Every answer's body, in order.
    pub async fn race(&self, token: &str, requests: Vec<(&'static str, Value)>) -> Vec<Value> {
        let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(query, variables)| {
                let (barrier, client, address) = (barrier.clone(), reqwest::Client::new(), self.address.clone());
                let (token, body) = (token.to_owned(), json!({ "query": query, "variables": variables }));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let sent = client.post(format!("{address}/graphql")).bearer_auth(token).json(&body).send().await;
                    sent.expect("request sent").json::<Value>().await.expect("a JSON body")
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("the racing request's task"));
        }
        answers
    }

    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.client.post(format!("{}/graphql", self.address)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// A second merchant of the same app, for isolation tests.
    pub async fn other_merchant_key(&self) -> String {
        self.services.auth.create_merchant("Other merchant").await.expect("merchant").secret_key
    }

    /// The number of SQL statements the app has sent, read from `/metrics`.
    pub async fn statement_count(&self) -> u64 {
        let text = self.client.get(format!("{}/metrics", self.address)).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("paygraph_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("statement counter in /metrics")
    }

    pub async fn create_customer(&self, email: &str) -> String {
        let body = self
            .gql(
                "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }",
                json!({ "input": { "email": email, "name": "Test" } }),
            )
            .await;
        body["data"]["createCustomer"]["customer"]["id"].as_str().expect("customer id").to_owned()
    }

    /// Creates a PAYMENT session and returns (id, client secret).
    pub async fn create_payment_session(&self, amount: i64, currency: &str) -> (String, String) {
        created(
            self.create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": amount, "currency": currency } }))
                .await,
        )
    }

    /// The cursor of the newest event so far (it makes one, with a session of its own):
    /// streams subscribed `after` it miss nothing, however late the subscription registers.
    pub async fn event_cursor_now(&self) -> String {
        let (id, _) = self.create_payment_session(1, "USD").await;
        let body = self
            .gql("query($id: ID!) { paymentSession(id: $id) { events { edges { cursor } } } }", json!({ "id": id }))
            .await;
        body["data"]["paymentSession"]["events"]["edges"][0]["cursor"].as_str().unwrap().to_owned()
    }

    pub async fn create_session(&self, input: Value) -> Value {
        self.gql(CREATE_SESSION, json!({ "input": input })).await
    }
}

pub const CREATE_SESSION: &str = r#"
mutation($input: CreatePaymentSessionInput!) {
  createPaymentSession(input: $input) {
    paymentSession { id status version purpose amount { amount currency formatted } expiresAt hostedUrl
                     allowedPaymentMethods customer { id } order { id } }
    clientSecret
    userErrors { field message code }
  }
}"#;

/// The id and client secret of the session `createPaymentSession` answered with, or panics
/// with the body.
pub fn created(body: Value) -> (String, String) {
    let payload = &body["data"]["createPaymentSession"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (payload["paymentSession"]["id"].as_str().unwrap().to_owned(), payload["clientSecret"].as_str().unwrap().to_owned())
}

/// The first user error's code, or panics with the body.
pub fn user_error_code(body: &Value, mutation: &str) -> String {
    body["data"][mutation]["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a user error in {body}"))
        .to_owned()
}

/// The first user error's code in a mutation's payload, or `none`.
pub fn payload_code(payload: &Value) -> &str {
    payload["userErrors"][0]["code"].as_str().unwrap_or("none")
}

/// The `node` that `query` (taking `$id`) reads, or panics with the body's errors.
pub async fn node_of(app: &TestApp, query: &str, id: &str) -> Value {
    let body = app.gql(query, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

/// The first GraphQL error's `extensions.code`, or panics with the body.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("expected an error in {body}")).to_owned()
}

/// Waits (at most 5 s) until `app` is subscribed to Redis, so it hears every notice.
pub async fn wait_until_subscribed(app: &TestApp) {
    for _ in 0..100 {
        let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap().text().await.unwrap();
        if ready.contains("connected") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the instance never subscribed to Redis");
}
