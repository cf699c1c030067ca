//! `spawn_app()`: the real server on a loopback port, on a database of its own.
//!
//! SQLite (a temporary file) by default; with `TEST_DATABASE_URL=postgres://…` each app
//! gets a fresh PostgreSQL database, dropped when the test ends.

use std::sync::Arc;

use paygraph::config::Config;
use paygraph::processor::{Processor, TestProcessor};
use paygraph::service::{Clock, Services, SystemClock};
use paygraph::startup::{Acquirer, Application};
use serde_json::{Value, json};

use super::*;

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

/// An app whose background loop never runs, for tests that count the statements a request
/// sends: a relay, sweep or renewal pass would otherwise land inside the count.
pub async fn spawn_quiet_app() -> TestApp {
    spawn_app_with(quiet).await
}

/// No relay, sweeper or renewal pass in this instance: the test runs them, or counts without them.
pub fn quiet(config: &mut Config) {
    config.live.background_interval_ms = 0;
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
