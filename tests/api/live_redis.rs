//! Several instances sharing one database and one Redis. Needs `TEST_REDIS_URL` (CI sets it);
//! without it these tests say they were skipped.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use paygraph::config::Config;
use paygraph::service::SystemClock;
use serde_json::{Value, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const EVENTS: &str = "subscription($after: String) { paymentSessionEvents(after: $after) { cursor version status paymentSession { id } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }";

/// Two instances on one database and one Redis, sharing a merchant.
async fn pair(redis_url: &str) -> (TestApp, TestApp, TestDatabase) {
    let (url, db) = test_database().await;
    let config = |url: &str| {
        let mut config = Config::for_database(url.to_owned());
        config.redis_url = Some(redis_url.to_owned());
        config.live.background_interval_ms = 200;
        config.redis_heartbeat_ms = 200;
        config
    };
    let mut a = start(config(&url), Arc::new(SystemClock)).await;
    let mut b = start(config(&url), Arc::new(SystemClock)).await;
    let key = a.services.auth.create_merchant("Shared").await.unwrap().secret_key;
    a.key = key.clone();
    b.key = key;
    for app in [&a, &b] {
        wait_for_bus(app, "connected").await;
    }
    (a, b, db)
}

async fn wait_for_bus(app: &TestApp, state: &str) {
    for _ in 0..150 {
        let ready: Value =
            app.client.get(format!("{}/readyz", app.address)).send().await.unwrap().json().await.unwrap();
        if ready["bus"] == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the bus never became {state}");
}

#[tokio::test]
async fn a_subscriber_on_one_instance_sees_changes_made_on_another() {
    let Some(redis) = test_redis_url("a_subscriber_on_one_instance_sees_changes_made_on_another") else { return };
    let (a, b, _db) = pair(&redis).await;
    let mut ws = WsClient::with_token(&a.address, Protocol::TransportWs, &a.key).await;
    ws.subscribe("1", EVENTS, json!({ "after": a.event_cursor_now().await })).await;
    let (id, _) = b.create_payment_session(100, "USD").await;
    b.gql(CANCEL, json!({ "id": id })).await;
    for status in ["OPEN", "CANCELED"] {
        let event = ws.next_event().await;
        assert_eq!(event["paymentSessionEvents"]["status"], status);
        assert_eq!(event["paymentSessionEvents"]["paymentSession"]["id"], id);
    }
}

/// A redis-server of the test's own, so the test can stop and start it.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = OwnRedis { port, child: None };
        redis.resume();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed where TEST_REDIS_URL is set");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    /// SIGSTOP: the process keeps its sockets open and answers nothing (a frozen or
    /// partitioned Redis, not a refused connection).
    fn freeze(&self, signal: &str) {
        if let Some(child) = &self.child {
            let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
            assert!(sent.success());
        }
    }

    fn stop(&mut self) {
        self.freeze("-CONT");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_made_while_redis_was_down_arrives_once_and_in_order() {
    if test_redis_url("every_event_made_while_redis_was_down_arrives_once_and_in_order").is_none() {
        return;
    }
    let mut redis = OwnRedis::start();
    let (a, b, _db) = pair(&redis.url()).await;
    let mut ws = WsClient::with_token(&a.address, Protocol::TransportWs, &a.key).await;
    ws.subscribe("1", EVENTS, json!({ "after": a.event_cursor_now().await })).await;
    let (first, _) = b.create_payment_session(100, "USD").await;
    assert_eq!(ws.next_event().await["paymentSessionEvents"]["paymentSession"]["id"], first);

    redis.stop();
    wait_for_bus(&b, "reconnecting").await;
    // Changes keep succeeding on B while Redis is down; their events wait in the outbox.
    let mut made = Vec::new();
    for amount in 1..=4 {
        let (id, _) = b.create_payment_session(amount, "USD").await;
        made.push((id.clone(), "OPEN"));
        if amount % 2 == 0 {
            let body = b.gql(CANCEL, json!({ "id": id })).await;
            assert_eq!(body["data"]["cancelPaymentSession"]["userErrors"], json!([]));
            made.push((id, "CANCELED"));
        }
    }
    redis.resume();

    let mut got = Vec::new();
    let mut cursors = Vec::new();
    for _ in 0..made.len() {
        let event = ws.next_event().await;
        let e = &event["paymentSessionEvents"];
        got.push((e["paymentSession"]["id"].as_str().unwrap().to_owned(), e["status"].as_str().unwrap().to_owned()));
        cursors.push(e["cursor"].as_str().unwrap().to_owned());
    }
    let made: Vec<(String, String)> = made.into_iter().map(|(id, s)| (id, s.to_owned())).collect();
    assert_eq!(got, made, "every event, once, in commit order");

    // No duplicate follows: the next thing the subscriber sees is a brand-new change.
    wait_for_bus(&b, "connected").await;
    let (fence, _) = b.create_payment_session(9, "USD").await;
    let next = ws.next_event().await;
    assert_eq!(next["paymentSessionEvents"]["paymentSession"]["id"], fence, "{next}");
    // And the outbox relay (of either instance) publishes the backlog B could not publish:
    // instances that never lost Redis learn of those events that way.
    use paygraph::storage::entities::session_event;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let mut unpublished = u64::MAX;
    for _ in 0..100 {
        unpublished = session_event::Entity::find()
            .filter(session_event::Column::PublishedAt.is_null())
            .count(&b.services.core.db)
            .await
            .unwrap();
        if unpublished == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(unpublished, 0, "the outbox relay published every event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_stops_answering_is_noticed_and_holds_nothing_up() {
    if test_redis_url("a_redis_that_stops_answering_is_noticed_and_holds_nothing_up").is_none() {
        return;
    }
    let redis = OwnRedis::start();
    let (a, b, _db) = pair(&redis.url()).await;
    let (id, _) = a.create_payment_session(100, "USD").await;
    let mut on_b = WsClient::with_token(&b.address, Protocol::TransportWs, &b.key).await;
    on_b.subscribe(
        "s",
        "subscription($id: ID!) { paymentSessionUpdated(id: $id) { version status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(on_b.next_event().await["paymentSessionUpdated"]["version"], 1);

    let (other, _) = a.create_payment_session(100, "USD").await;

    redis.freeze("-STOP");
    // Mutations are not held up by a Redis that does not answer: the first pays the publish
    // bound (250 ms), the next finds the bus resting; the outbox relay has their events.
    for (n, session) in [id.clone(), other].iter().enumerate() {
        let started = std::time::Instant::now();
        let canceled = a.gql(CANCEL, json!({ "id": session })).await;
        assert_eq!(canceled["data"]["cancelPaymentSession"]["userErrors"], json!([]), "{canceled}");
        assert!(started.elapsed() < Duration::from_millis(900), "mutation {n} took {:?}", started.elapsed());
    }
    // Both instances notice within a few heartbeats.
    wait_for_bus(&a, "reconnecting").await;
    wait_for_bus(&b, "reconnecting").await;

    redis.freeze("-CONT");
    wait_for_bus(&b, "connected").await;
    // Nothing lost: B's subscriber catches up from the log once its subscriber is back.
    let event = on_b.next_event().await;
    assert_eq!(event["paymentSessionUpdated"], json!({ "version": 2, "status": "CANCELED" }));
}
