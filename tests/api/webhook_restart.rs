//! Deliveries live in the database: two instances share them without sending one twice, and
//! a server killed in the middle (SIGKILL, no goodbye) loses nothing once it is back.

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};

use crate::support::receiver::{Mode, Receiver, versions_by_session};
use crate::support::*;
use crate::webhook_deliveries::{endpoint, fast};

const CANCEL: &str = "mutation($id: ID!) { cancelPaymentSession(input: { id: $id }) { userErrors { code } } }";

/// A session created and canceled through `app`: two events. Its id.
async fn two_events(app: &TestApp) -> String {
    let (id, _) = app.create_payment_session(1500, "EUR").await;
    app.gql(CANCEL, json!({ "id": id })).await;
    id
}

#[tokio::test]
async fn two_instances_share_the_deliveries_and_send_each_once() {
    let receiver = Receiver::start().await;
    let (url, db) = test_database().await;
    let mut config = Config::for_database(url);
    fast(&mut config);
    let mut first = start(config.clone(), Arc::new(SystemClock)).await;
    first.key = first.services.auth.create_merchant("Two instances").await.unwrap().secret_key;
    first._db = db;
    let mut second = start(config, Arc::new(SystemClock)).await;
    second.key = first.key.clone();
    endpoint(&first, &receiver.url).await;
    let sessions: Vec<String> =
        join_all((0..8).map(|i| if i % 2 == 0 { two_events(&first) } else { two_events(&second) })).await;
    let done = |r: &[crate::support::receiver::Received]| r.len() >= 16;
    assert!(receiver.wait_until(Duration::from_secs(15), done).await, "every event arrives");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received();
    let mut ids: Vec<&str> = received.iter().filter_map(|r| r.body["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((received.len(), ids.len()), (16, 16), "each event sent once by one of the two");
    let by_session = versions_by_session(&receiver.accepted());
    for session in &sessions {
        assert_eq!(by_session[session], [1, 2], "{by_session:?}");
    }
}

/// The server binary on `database_url` and `port`, with fast webhook retries.
fn server(database_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .env("DATABASE_URL", database_url)
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYGRAPH_BACKGROUND_INTERVAL_MS", "50")
        .env("PAYGRAPH_WEBHOOK_RETRY_BASE_MS", "50")
        .env("PAYGRAPH_WEBHOOK_TIMEOUT_MS", "300")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("paygraph starts")
}

async fn gql(client: &reqwest::Client, base: &str, key: &str, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables });
    client.post(format!("{base}/graphql")).bearer_auth(key).json(&body).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_server_killed_in_the_middle_loses_no_delivery() {
    let receiver = Receiver::start().await;
    let (url, _db) = test_database().await;
    let key = merchant_by_cli(&url, "Restart");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut running = server(&url, port);
    wait_until_up(&client, &base).await;
    let create = "mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { userErrors { code } } }";
    gql(&client, &base, &key, create, json!({ "url": receiver.url })).await;
    receiver.set(Mode::Fail);
    let session =
        "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 900, currency: \"EUR\" } }) {
        paymentSession { id } } }";
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let created = gql(&client, &base, &key, session, json!({})).await;
        let id = created["data"]["createPaymentSession"]["paymentSession"]["id"].as_str().unwrap().to_owned();
        gql(&client, &base, &key, CANCEL, json!({ "id": id })).await;
        sessions.push(id);
    }
    assert!(receiver.wait_until(Duration::from_secs(10), |r| r.len() >= 6).await, "deliveries are being tried");
    running.kill().unwrap();
    running.wait().unwrap();

    receiver.set(Mode::Accept);
    let mut restarted = server(&url, port);
    wait_until_up(&client, &base).await;
    // Every session's last event arrives. A request the receiver read after the kill was
    // answered to nobody: it comes again (at least once), recognisable by its id.
    let all = |r: &[crate::support::receiver::Received]| {
        let accepted: Vec<Value> = r.iter().filter(|r| r.accepted).map(|r| r.body.clone()).collect();
        let by_session = versions_by_session(&accepted);
        sessions.iter().all(|s| by_session.get(s).is_some_and(|v| v.contains(&2)))
    };
    let arrived = receiver.wait_until(Duration::from_secs(15), all).await;
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    assert!(arrived, "every event arrives after the restart: {}", receiver.received().len());
    let by_session = versions_by_session(&receiver.accepted());
    for session in &sessions {
        let mut versions = by_session[session].clone();
        versions.dedup();
        assert_eq!(versions, [1, 2], "in order, a duplicate only of the one in flight: {by_session:?}");
    }
}

#[tokio::test]
async fn a_delivery_is_leased_to_one_sender_at_a_time() {
    use paygraph::domain::TypedId;
    use paygraph::storage::deliveries::{claim, insert};
    let app = spawn_quiet_app().await;
    let (endpoint, _) = crate::webhook_deliveries::endpoint(&app, "http://127.0.0.1:9/hook").await;
    let endpoint = paygraph::domain::WebhookEndpointId::from_global(&endpoint).unwrap().0;
    let db = &app.services.core.db;
    let now = chrono::Utc::now();
    let row = crate::webhook_deliveries::pending_delivery(endpoint, 1, now);
    let id = row.id;
    insert(db, vec![row]).await.unwrap();
    let until = now + chrono::Duration::seconds(10);
    let ids = [id];
    let racing = (0..8).map(|_| claim(db, &ids, uuid::Uuid::new_v4(), now, until));
    let won = join_all(racing).await.into_iter().filter(|claimed| !claimed.as_ref().unwrap().is_empty()).count();
    assert_eq!(won, 1, "one sender holds it");
    let later = until + chrono::Duration::seconds(1);
    let retaken = claim(db, &[id], uuid::Uuid::new_v4(), later, later + chrono::Duration::seconds(10)).await.unwrap();
    assert_eq!(retaken, [id], "a lease left by a crash runs out");
}
