//! Live status over WebSocket: snapshot, then every change, in order, exactly once.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use paygraph::domain::{MerchantId, SessionId, SessionStatus, TypedId};
use serde_json::{Value, json};

use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

pub const UPDATED: &str = "subscription($id: ID!, $after: Int) {
    paymentSessionUpdated(id: $id, afterVersion: $after) {
        cursor version previousStatus status occurredAt paymentSession { id status version amount { formatted } } } }";
pub const EVENTS: &str = "subscription($customer: ID, $after: String) {
    paymentSessionEvents(customerId: $customer, after: $after) { cursor version status paymentSession { id } } }";
pub const CANCEL: &str = "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }";

pub fn event(data: &Value, field: &str) -> (i64, String) {
    let e = &data[field];
    (e["version"].as_i64().unwrap(), e["status"].as_str().unwrap().to_owned())
}

/// Walks a session through the state machine by the service path (the payment flows that
/// make these changes over the API come with the money issue).
async fn drive(app: &TestApp, session: &str, statuses: &[SessionStatus]) {
    let id = SessionId::from_global(session).unwrap();
    let merchant = merchant_of(app, id).await;
    for status in statuses {
        let current = app.services.sessions.get(merchant, id).await.unwrap().unwrap();
        app.services.core.change_status(&current, *status).await.unwrap();
    }
}

async fn merchant_of(app: &TestApp, id: SessionId) -> MerchantId {
    use sea_orm::EntityTrait;
    let row = paygraph::storage::entities::payment_session::Entity::find_by_id(id.0)
        .one(&app.services.core.db)
        .await
        .unwrap();
    MerchantId(row.unwrap().merchant_id)
}

const ATTEMPT: [SessionStatus; 4] =
    [SessionStatus::Processing, SessionStatus::RequiresAction, SessionStatus::Processing, SessionStatus::Open];

#[tokio::test]
async fn a_subscriber_gets_the_snapshot_then_every_change_on_both_protocols() {
    let app = spawn_app().await;
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let (id, _) = app.create_payment_session(1500, "EUR").await;
        let mut ws = WsClient::with_token(&app.address, protocol, &app.key).await;
        ws.subscribe("1", UPDATED, json!({ "id": id })).await;
        let snapshot = ws.next_event().await;
        assert_eq!(event(&snapshot, "paymentSessionUpdated"), (1, "OPEN".into()), "{protocol:?}");
        assert_eq!(snapshot["paymentSessionUpdated"]["paymentSession"]["amount"]["formatted"], "€15.00");

        drive(&app, &id, &ATTEMPT).await;
        app.gql(CANCEL, json!({ "id": id })).await;
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(event(&ws.next_event().await, "paymentSessionUpdated"));
        }
        let expected: Vec<(i64, String)> = ["PROCESSING", "REQUIRES_ACTION", "PROCESSING", "OPEN", "CANCELED"]
            .iter()
            .enumerate()
            .map(|(i, s)| (i as i64 + 2, (*s).to_owned()))
            .collect();
        assert_eq!(seen, expected, "{protocol:?}");
        assert!(matches!(ws.next_frame().await, (_, Frame::Complete)), "a terminal status completes the stream");
    }
}

#[tokio::test]
async fn after_version_replays_the_log_without_a_duplicate_at_the_seam() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    drive(&app, &id, &ATTEMPT).await; // versions 2..=5
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("1", UPDATED, json!({ "id": id, "after": 2 })).await;
    let replayed: Vec<i64> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(event(&ws.next_event().await, "paymentSessionUpdated").0);
        }
        v
    };
    assert_eq!(replayed, [3, 4, 5]);
    drive(&app, &id, &[SessionStatus::Processing, SessionStatus::Completed]).await;
    assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated"), (6, "PROCESSING".into()));
    assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated"), (7, "COMPLETED".into()));
    // COMPLETED does not end the stream: refunds of the payment may follow.
    let next = tokio::time::timeout(Duration::from_millis(300), ws.next_frame()).await;
    assert!(next.is_err(), "no completion after COMPLETED: {next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_racing_the_subscription_arrive_once_and_in_order() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    // Changes start while the subscription is being set up, so some land in the replay and
    // some arrive live: the seam must neither drop nor repeat one.
    let writer = {
        let app_services = app.services.clone();
        let id = SessionId::from_global(&id).unwrap();
        let merchant = merchant_of(&app, id).await;
        tokio::spawn(async move {
            for _ in 0..10 {
                for status in [SessionStatus::Processing, SessionStatus::Open] {
                    let current = app_services.sessions.get(merchant, id).await.unwrap().unwrap();
                    app_services.core.change_status(&current, status).await.unwrap();
                }
            }
        })
    };
    ws.subscribe("1", UPDATED, json!({ "id": id, "after": 0 })).await;
    let mut versions = Vec::new();
    while versions.len() < 21 {
        versions.push(event(&ws.next_event().await, "paymentSessionUpdated").0);
    }
    writer.await.unwrap();
    assert_eq!(versions, (1..=21).collect::<Vec<i64>>());
}

#[tokio::test]
async fn the_merchant_stream_is_ordered_and_resumable() {
    let app = spawn_app().await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("all", EVENTS, json!({ "after": app.event_cursor_now().await })).await;
    let (a, _) = app.create_payment_session(100, "USD").await;
    let (b, _) = app.create_payment_session(200, "USD").await;
    app.gql(CANCEL, json!({ "id": a })).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let data = ws.next_event().await;
        let e = &data["paymentSessionEvents"];
        got.push((
            e["paymentSession"]["id"].as_str().unwrap().to_owned(),
            e["status"].as_str().unwrap().to_owned(),
            e["cursor"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        got.iter().map(|g| (g.0.clone(), g.1.clone())).collect::<Vec<_>>(),
        [(a.clone(), "OPEN".to_owned()), (b.clone(), "OPEN".to_owned()), (a.clone(), "CANCELED".to_owned())]
    );

    // A client that saw only the first event resumes after it and gets the rest from the log.
    let mut resumed = WsClient::with_token(&app.address, Protocol::Legacy, &app.key).await;
    resumed.subscribe("r", EVENTS, json!({ "after": got[0].2 })).await;
    for expected in &got[1..] {
        let data = resumed.next_event().await;
        assert_eq!(data["paymentSessionEvents"]["cursor"], expected.2.as_str());
    }
    let bad = {
        let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
        ws.subscribe("x", EVENTS, json!({ "after": "garbage" })).await;
        ws.next_frame().await
    };
    assert!(matches!(bad, (_, Frame::Error(ref e)) if e.to_string().contains("INVALID_CURSOR")), "{bad:?}");
}

#[tokio::test]
async fn a_customer_stream_shows_only_that_customers_sessions() {
    let app = spawn_app().await;
    let alice = app.create_customer("alice@example.com").await;
    let bob = app.create_customer("bob@example.com").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("alice", EVENTS, json!({ "customer": alice, "after": app.event_cursor_now().await })).await;
    for (customer, amount) in [(&bob, 1), (&alice, 2), (&bob, 3), (&alice, 4)] {
        app.create_session(
            json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": amount, "currency": "USD" } }),
        )
        .await;
    }
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(ws.next_event().await["paymentSessionEvents"]["paymentSession"]["id"].clone());
    }
    let alices = app
        .gql("query($c: ID!) { customer(id: $c) { paymentSessions { edges { node { id } } } } }", json!({ "c": alice }))
        .await;
    let mut expected: Vec<Value> = alices["data"]["customer"]["paymentSessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    expected.reverse(); // oldest first, as the stream sends them
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn the_sweeper_expires_sessions_and_expired_sessions_refuse_changes_before_it_runs() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), |config| config.live.background_interval_ms = 100).await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("1", UPDATED, json!({ "id": id })).await;
    assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated").1, "OPEN");
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated"), (2, "EXPIRED".into()));

    // A second app, on a database of its own, whose sweeper never runs in this test.
    let slow_clock = Arc::new(TestClock::default());
    let lazy = spawn_app_on(slow_clock.clone(), quiet).await;
    let (late, _) = lazy.create_payment_session(100, "USD").await;
    slow_clock.advance(chrono::Duration::hours(2));
    let body = lazy.gql(CANCEL, json!({ "id": late })).await;
    assert_eq!(body["data"]["cancelPaymentSession"]["userErrors"][0]["code"], "SESSION_EXPIRED");
    let still = lazy.gql("query($id: ID!) { paymentSession(id: $id) { status version } }", json!({ "id": late })).await;
    assert_eq!(still["data"]["paymentSession"], json!({ "status": "OPEN", "version": 1 }));
}

#[tokio::test]
async fn a_slow_consumer_is_cut_off_with_its_resume_point() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let session = SessionId::from_global(&id).unwrap();
    let merchant = merchant_of(&app, session).await;
    let mut stream = Box::pin(app.services.live.session_stream(merchant, session, None).await.unwrap());
    assert_eq!(stream.next().await.unwrap().unwrap().version, 1);
    // More events than its buffer holds arrive while it reads nothing.
    for version in 2..=400 {
        app.services.live.hub().dispatch(paygraph::bus::SessionEvent {
            id: 0,
            seq: 0,
            merchant_id: merchant.0,
            session_id: session.0,
            customer_id: None,
            version,
            previous_status: Some(SessionStatus::Open),
            status: SessionStatus::Open,
            occurred_at: chrono::Utc::now(),
            kind: Default::default(),
            payment_id: None,
            refund_id: None,
            dispute_id: None,
            payment_profile_id: None,
        });
    }
    let mut last = 1;
    let error = loop {
        match stream.next().await.expect("the stream ends with an error, not silently") {
            Ok(event) => {
                assert_eq!(event.version, last + 1, "in order, nothing skipped");
                last = event.version;
            }
            Err(error) => break error,
        }
    };
    assert_eq!(error.code().as_str(), "SLOW_CONSUMER");
    assert!(error.to_string().contains(&format!("afterVersion: {last}")), "{error}");
}

#[tokio::test]
async fn readiness_and_metrics_report_live_state() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("1", UPDATED, json!({ "id": id })).await;
    ws.next_event().await;
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("paygraph_websockets_connected 1"), "{metrics}");
    assert!(metrics.contains("paygraph_subscriptions_active 1"), "{metrics}");
    assert!(metrics.contains("paygraph_events_delivered_total 1"), "{metrics}");
}

#[tokio::test]
async fn the_seam_between_replay_and_live_drops_and_repeats_nothing() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let session = SessionId::from_global(&id).unwrap();
    let merchant = merchant_of(&app, session).await;
    let services = app.services.clone();
    let change = |status| {
        let services = services.clone();
        async move {
            let current = services.sessions.get(merchant, session).await.unwrap().unwrap();
            services.core.change_status(&current, status).await.unwrap();
        }
    };
    // Versions 2 and 3 commit before the stream listens: the replay alone has them.
    change(SessionStatus::Processing).await;
    change(SessionStatus::Open).await;
    let listener = app.services.live.listen_to_session(merchant, session);
    // 4 and 5 commit after it listens and before it reads the log: it gets them both ways.
    change(SessionStatus::Processing).await;
    change(SessionStatus::Open).await;
    let mut stream = Box::pin(listener.stream(Some(0)).await.unwrap());
    // 6 and 7 commit after the log was read: live alone has them.
    change(SessionStatus::Processing).await;
    change(SessionStatus::Open).await;
    let mut versions = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
        versions.push(event.unwrap().version);
    }
    assert_eq!(versions, (1..=7).collect::<Vec<i32>>(), "each once, in order, across the seam");
}
