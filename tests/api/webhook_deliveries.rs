//! Webhook deliveries to a real receiver on loopback: every event, signed, in version order
//! per session; retried until the receiver recovers, with other sessions flowing meanwhile;
//! given up after 3 days with the endpoint disabled; resent and replayed with the same ids.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use paygraph::config::Config;
use paygraph::domain::webhook_signature;
use serde_json::{Value, json};

use crate::support::payments::pay;
use crate::support::receiver::{Mode, Receiver, versions_by_session};
use crate::support::*;

pub const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
    webhookEndpoint { id } signingSecret userErrors { code } } }";
const DELIVERIES: &str = "query { webhookEndpoints(first: 1) { nodes { status disabledReason
    deliveries(first: 100) { nodes { eventId attempt succeeded statusCode durationMs error responseBody nextRetryAt } } } } }";

/// Fast retries and a short timeout, so the tests take seconds.
pub fn fast(config: &mut Config) {
    config.live.background_interval_ms = 50;
    config.webhooks.retry_base_ms = 50;
    config.webhooks.timeout_ms = 300;
}

/// An endpoint of every kind at `url`: (id, signing secret).
pub async fn endpoint(app: &TestApp, url: &str) -> (String, String) {
    let body = app.gql(CREATE, json!({ "input": { "url": url } })).await;
    let created = &body["data"]["createWebhookEndpoint"];
    assert!(created["userErrors"].as_array().unwrap().is_empty(), "{body}");
    (
        created["webhookEndpoint"]["id"].as_str().unwrap().to_owned(),
        created["signingSecret"].as_str().unwrap().to_owned(),
    )
}

/// A session paid with 4242… and refunded in part: five events (v1 … v5). Its id.
pub async fn five_events(app: &TestApp) -> String {
    let (session, paid) = pay(app, "4242424242424242").await;
    let refund = "mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: 100 }) { userErrors { code } } }";
    app.gql(refund, json!({ "id": paid["payment"]["id"] })).await;
    session
}

fn assert_in_order(bodies: &[Value], sessions: &[String], events_each: i64) {
    let by_session = versions_by_session(bodies);
    for session in sessions {
        let versions = by_session.get(session).cloned().unwrap_or_default();
        assert_eq!(versions, (1..=events_each).collect::<Vec<_>>(), "session {session}: {by_session:?}");
    }
}

pub fn accepted_count(n: usize) -> impl Fn(&[crate::support::receiver::Received]) -> bool {
    move |received| received.iter().filter(|r| r.accepted).count() >= n
}

/// A PENDING delivery, due `now`, of event `seq` of a session of its own, written as the
/// feed would, for tests that fill the table directly.
pub fn pending_delivery(
    endpoint: uuid::Uuid,
    seq: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> paygraph::domain::webhook_delivery::Delivery {
    paygraph::domain::webhook_delivery::Delivery {
        id: uuid::Uuid::new_v4(),
        merchant: paygraph::domain::MerchantId::new(),
        endpoint,
        event: 1,
        event_seq: seq,
        session: uuid::Uuid::new_v4(),
        state: paygraph::domain::webhook_delivery::DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: now,
        lease: None,
        leased_until: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn deliveries(app: &TestApp) -> Value {
    app.gql(DELIVERIES, json!({})).await["data"]["webhookEndpoints"]["nodes"][0].clone()
}

#[tokio::test]
async fn a_burst_on_several_sessions_arrives_signed_and_in_version_order() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(fast).await;
    let (_, secret) = endpoint(&app, &receiver.url).await;
    let sessions: Vec<String> = join_all((0..4).map(|_| five_events(&app))).await;
    assert!(receiver.wait_until(Duration::from_secs(15), accepted_count(20)).await, "all 20 events arrive");
    let received = receiver.received();
    assert_eq!(received.len(), 20, "once each while the receiver accepts");
    assert_in_order(&receiver.accepted(), &sessions, 5);
    let now = chrono::Utc::now().timestamp();
    for delivery in &received {
        webhook_signature::verify(&secret, &delivery.signature, &delivery.raw, now, 300).expect("a valid signature");
        let body = &delivery.body;
        for field in ["id", "kind", "paymentSessionId", "version", "cursor", "occurredAt", "paymentSession"] {
            assert!(!body[field].is_null(), "{field} in {body}");
        }
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(body["paymentSession"]["status"], body["status"], "the session as it was at the event");
        let text = String::from_utf8_lossy(&delivery.raw);
        assert!(!text.contains("4242424242424242") && !text.contains("whsec_"), "no card data or secrets: {text}");
    }
    let kinds: Vec<&str> = received.iter().filter_map(|r| r.body["kind"].as_str()).collect();
    assert!(kinds.contains(&"REFUND_SUCCEEDED") && kinds.contains(&"STATUS_CHANGED"), "{kinds:?}");

    // An id tells nothing of how many events the platform made: 16 hex digits that do not
    // count up from one event to the next.
    let mut ids: Vec<u64> = received
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .map(|id| {
            u64::from_str_radix(id.strip_prefix("evt_").filter(|h| h.len() == 16).unwrap_or_else(|| panic!("{id}")), 16)
                .unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let spread = ids.last().unwrap() - ids.first().unwrap();
    assert!(spread > 1 << 40, "ids spread over the whole space, not a counter: {ids:x?}");
}

#[tokio::test]
async fn a_failing_receiver_gets_every_event_in_order_once_it_recovers() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(fast).await;
    endpoint(&app, &receiver.url).await;
    receiver.set(Mode::Fail);
    let sessions: Vec<String> = join_all((0..2).map(|_| five_events(&app))).await;
    // It fails, and is tried again and again: never the next version before the first.
    assert!(receiver.wait_until(Duration::from_secs(10), |r| r.len() >= 6).await);
    let tried: Vec<i64> = receiver.received().iter().map(|r| r.body["version"].as_i64().unwrap()).collect();
    assert!(tried.iter().all(|v| *v == 1), "v2 waits for v1's acknowledgement: {tried:?}");
    let log = deliveries(&app).await;
    let failed = &log["deliveries"]["nodes"][0];
    assert_eq!(failed["statusCode"], 500, "{log}");
    assert_eq!(failed["succeeded"], false);
    assert_eq!(failed["responseBody"], "receiver is down for maintenance");
    assert!(failed["nextRetryAt"].is_string() && failed["error"].is_string(), "{failed}");

    receiver.set(Mode::Accept);
    assert!(receiver.wait_until(Duration::from_secs(15), accepted_count(10)).await, "every event, none lost");
    assert_in_order(&receiver.accepted(), &sessions, 5);
    let log = deliveries(&app).await;
    let attempts = log["deliveries"]["nodes"].as_array().unwrap();
    assert!(attempts.iter().any(|a| a["succeeded"] == true && a["attempt"].as_i64().unwrap() > 1), "{log}");
}

#[tokio::test]
async fn one_failing_session_does_not_hold_up_the_others() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(fast).await;
    endpoint(&app, &receiver.url).await;
    receiver.set(Mode::Stall);
    let stuck = five_events(&app).await;
    assert!(receiver.wait_until(Duration::from_secs(5), |r| r.iter().any(|r| !r.accepted)).await);
    // From now on only this session's events stall; the others are accepted.
    receiver.only_for(Some(&stuck));
    let flowing: Vec<String> = join_all((0..2).map(|_| five_events(&app))).await;
    assert!(
        receiver.wait_until(Duration::from_secs(15), accepted_count(10)).await,
        "the other sessions' events arrive while one session's stall"
    );
    assert_in_order(&receiver.accepted(), &flowing, 5);
    let mut log = Value::Null;
    for _ in 0..100 {
        log = deliveries(&app).await;
        let timed_out = log["deliveries"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["statusCode"].is_null() && a["error"].as_str().is_some_and(|e| e.contains("timed out")));
        if timed_out {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(log.to_string().contains("timed out"), "a stalled receiver is cut off at the timeout: {log}");
    receiver.set(Mode::Accept);
    assert!(receiver.wait_until(Duration::from_secs(15), accepted_count(15)).await);
    assert_in_order(&receiver.accepted(), &[stuck], 5);
}

#[tokio::test]
async fn after_three_days_of_failure_the_endpoint_is_disabled_and_resumes_when_enabled() {
    let receiver = Receiver::start().await;
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), fast).await;
    let (id, _) = endpoint(&app, &receiver.url).await;
    receiver.set(Mode::Fail);
    let session = five_events(&app).await;
    assert!(receiver.wait_until(Duration::from_secs(5), |r| r.len() >= 2).await);
    clock.advance(chrono::Duration::days(3) + chrono::Duration::minutes(1));
    let mut disabled = Value::Null;
    for _ in 0..100 {
        disabled = deliveries(&app).await;
        if disabled["status"] == "DISABLED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(disabled["status"], "DISABLED", "{disabled}");
    assert!(disabled["disabledReason"].as_str().unwrap().contains("3 days"), "the merchant sees why: {disabled}");
    let given_up = &disabled["deliveries"]["nodes"][0];
    assert!(given_up["nextRetryAt"].is_null(), "v1 is given up: {given_up}");
    let tries = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), tries, "nothing is sent to a disabled endpoint");

    // Enabled again, with the receiver back: what waited arrives, in order.
    receiver.set(Mode::Accept);
    let enable = "mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, enabled: true }) {
        webhookEndpoint { status disabledReason } userErrors { code } } }";
    let enabled = app.gql(enable, json!({ "id": id })).await;
    assert_eq!(enabled["data"]["updateWebhookEndpoint"]["webhookEndpoint"]["status"], "ENABLED", "{enabled}");
    assert!(receiver.wait_until(Duration::from_secs(10), accepted_count(4)).await);
    assert_eq!(versions_by_session(&receiver.accepted())[&session], [2, 3, 4, 5], "v1 was given up; resend it");
}

#[tokio::test]
async fn a_resent_or_replayed_event_comes_again_with_the_same_id() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(fast).await;
    let (id, _) = endpoint(&app, &receiver.url).await;
    let session = five_events(&app).await;
    assert!(receiver.wait_until(Duration::from_secs(10), accepted_count(5)).await);
    let first = receiver.accepted();
    let resend = "mutation($input: ResendWebhookEventInput!) { resendWebhookEvent(input: $input) { userErrors { code field } } }";
    let event = first[2]["id"].clone();
    let body = app.gql(resend, json!({ "input": { "endpointId": id, "eventId": event } })).await;
    assert!(body["data"]["resendWebhookEvent"]["userErrors"].as_array().unwrap().is_empty(), "{body}");
    assert!(receiver.wait_until(Duration::from_secs(5), accepted_count(6)).await);
    assert_eq!(receiver.accepted()[5]["id"], event, "a duplicate is recognisable by its id");

    let replay = "mutation($input: ReplayWebhookEndpointInput!) { replayWebhookEndpoint(input: $input) {
        replayedCount until userErrors { code field } } }";
    let body = app.gql(replay, json!({ "input": { "id": id, "after": first[2]["cursor"] } })).await;
    let replayed = &body["data"]["replayWebhookEndpoint"];
    assert_eq!(replayed["replayedCount"], 2, "v4 and v5: {body}");
    assert_eq!(replayed["until"], first[4]["cursor"]);
    assert!(receiver.wait_until(Duration::from_secs(5), accepted_count(8)).await);
    let again: Vec<Value> = receiver.accepted()[6..].iter().map(|b| b["id"].clone()).collect();
    assert_eq!(again, [first[3]["id"].clone(), first[4]["id"].clone()]);
    assert_eq!(versions_by_session(&receiver.accepted()[6..])[&session], [4, 5]);

    // Foreign ids and bad cursors change nothing.
    let other = app.other_merchant_key().await;
    let foreign = app.gql_as(Some(&other), resend, json!({ "input": { "endpointId": id, "eventId": event } })).await;
    assert_eq!(foreign["data"]["resendWebhookEvent"]["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
    let unknown = app.gql(resend, json!({ "input": { "endpointId": id, "eventId": "evt_999999" } })).await;
    assert_eq!(unknown["data"]["resendWebhookEvent"]["userErrors"][0]["field"], json!(["input", "eventId"]));
    let bad = app.gql(replay, json!({ "input": { "id": id, "after": "nonsense" } })).await;
    assert_eq!(bad["data"]["replayWebhookEndpoint"]["userErrors"][0]["code"], "INVALID_CURSOR", "{bad}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.accepted().len(), 8);
}

#[tokio::test]
async fn resends_and_replays_stop_while_too_many_deliveries_wait() {
    use paygraph::domain::TypedId;
    let app = spawn_quiet_app().await;
    let (id, _) = endpoint(&app, "http://127.0.0.1:9/hook").await;
    let endpoint_id = paygraph::domain::WebhookEndpointId::from_global(&id).unwrap().0;
    let now = chrono::Utc::now();
    let waiting = (0..paygraph::service::webhooks::MAX_WAITING)
        .map(|i| pending_delivery(endpoint_id, i64::try_from(i).unwrap(), now));
    paygraph::storage::deliveries::insert(&app.services.core.db, waiting.collect()).await.unwrap();
    let resend = "mutation($input: ResendWebhookEventInput!) { resendWebhookEvent(input: $input) { userErrors { code field } } }";
    let refused = app.gql(resend, json!({ "input": { "endpointId": id, "eventId": "evt_1" } })).await;
    let errors = &refused["data"]["resendWebhookEvent"]["userErrors"];
    assert_eq!(errors[0]["code"], "TOO_MANY_WAITING_DELIVERIES", "{refused}");
    assert_eq!(errors[0]["field"], json!(["input", "endpointId"]));
    let replay = "mutation($input: ReplayWebhookEndpointInput!) { replayWebhookEndpoint(input: $input) { replayedCount userErrors { code } } }";
    let cursor = paygraph::service::live::event_cursor(0);
    let refused = app.gql(replay, json!({ "input": { "id": id, "after": cursor } })).await;
    assert_eq!(refused["data"]["replayWebhookEndpoint"]["userErrors"][0]["code"], "TOO_MANY_WAITING_DELIVERIES");
    let count = paygraph::storage::deliveries::waiting(&app.services.core.db, endpoint_id).await.unwrap();
    assert_eq!(count, paygraph::service::webhooks::MAX_WAITING, "nothing more was queued");
}
