//! Answers of webhook sends settled in groups, one transaction per group: each answer is
//! written under its own lease only, a group that fails writes nothing of itself, and the
//! settler then writes the good answers one by one. An endpoint's slot is given back at its
//! receiver's answer, before the settling, yet it never gets more sends at once than its
//! bound.

use chrono::Utc;
use futures_util::future::join_all;
use paygraph::domain::webhook_delivery::{Attempt, Delivery, DeliveryState};
use paygraph::service::webhooks::settler::Settler;
use paygraph::storage::deliveries::{self, Settlement};
use paygraph::storage::entities::{session_event, webhook_delivery, webhook_delivery_attempt, webhook_endpoint};
use sea_orm::{EntityTrait, PaginatorTrait};
use uuid::Uuid;

use crate::support::receiver::{Mode, Receiver};
use crate::support::*;
use crate::webhook_deliveries::{endpoint, fast};

/// `n` deliveries of `n` sessions' first events, queued and leased under `lease`; nothing
/// else runs (no background pass, no worker), so only the test settles them.
async fn leased(app: &TestApp, n: usize, lease: Uuid) -> Vec<Delivery> {
    endpoint(app, "http://127.0.0.1:9/hook").await;
    for _ in 0..n {
        app.create_payment_session(100, "EUR").await;
    }
    let db = &app.services.core.db;
    let endpoint = webhook_endpoint::Entity::find().one(db).await.unwrap().unwrap();
    let now = Utc::now();
    let events = session_event::Entity::find().all(db).await.unwrap();
    let events = events.into_iter().map(|e| paygraph::storage::events::event_from_row(e).unwrap());
    let rows: Vec<_> = events.map(|e| Delivery::queued(endpoint.id, &e, now)).collect();
    assert_eq!(rows.len(), n);
    deliveries::insert(db, rows.clone()).await.unwrap();
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let claimed = deliveries::claim(db, &ids, lease, now, now + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(claimed.len(), n);
    rows
}

/// A first try that succeeded.
fn succeeded(delivery: &Delivery) -> Settlement {
    let at = Utc::now();
    let attempt = Attempt {
        id: paygraph::domain::WebhookDeliveryId::new(),
        merchant: delivery.merchant,
        endpoint: delivery.endpoint,
        delivery: delivery.id,
        event: delivery.event,
        attempt: 1,
        succeeded: true,
        status_code: Some(200),
        duration_ms: 3,
        error: None,
        response_prefix: None,
        next_retry_at: None,
        created_at: at,
    };
    Settlement { attempt, state: DeliveryState::Succeeded, next_attempt_at: at, disable: None, was_failing: false }
}

async fn attempts(app: &TestApp) -> u64 {
    webhook_delivery_attempt::Entity::find().count(&app.services.core.db).await.unwrap()
}

async fn states(app: &TestApp, rows: &[Delivery]) -> Vec<String> {
    let mut states = Vec::new();
    for row in rows {
        let now = webhook_delivery::Entity::find_by_id(row.id).one(&app.services.core.db).await.unwrap().unwrap();
        states.push(now.state);
    }
    states
}

#[tokio::test]
async fn each_answer_of_a_group_is_written_under_its_own_lease_only() {
    let app = spawn_quiet_app().await;
    let lease = Uuid::new_v4();
    let rows = leased(&app, 3, lease).await;
    let group = vec![(lease, succeeded(&rows[0])), (Uuid::new_v4(), succeeded(&rows[1])), (lease, succeeded(&rows[2]))];
    let settled = deliveries::settle_all(&app.services.core.db, group).await.unwrap();
    assert_eq!(settled, [true, false, true], "the second answer's lease is not the one it holds");
    assert_eq!(attempts(&app).await, 2);
    assert_eq!(states(&app, &rows).await, ["SUCCEEDED", "PENDING", "SUCCEEDED"]);
}

#[tokio::test]
async fn a_failing_group_writes_nothing_and_its_good_answers_are_settled_one_by_one() {
    let app = spawn_quiet_app().await;
    let lease = Uuid::new_v4();
    let rows = leased(&app, 4, lease).await;
    let db = &app.services.core.db;
    let first = succeeded(&rows[0]);
    let taken = first.attempt.id;
    assert_eq!(deliveries::settle_all(db, vec![(lease, first)]).await.unwrap(), [true]);

    // An attempt whose id is taken: its insert fails, and with it the whole transaction.
    let mut bad = succeeded(&rows[2]);
    bad.attempt.id = taken;
    let group = vec![(lease, succeeded(&rows[1])), (lease, bad.clone()), (lease, succeeded(&rows[3]))];
    assert!(deliveries::settle_all(db, group).await.is_err());
    assert_eq!(attempts(&app).await, 1, "nothing of the failed group is written");
    assert_eq!(states(&app, &rows).await, ["SUCCEEDED", "PENDING", "PENDING", "PENDING"]);

    // Through the settler the three answers form one group (this runtime has one thread:
    // all three are queued before its task runs); it fails, and the settler writes the two
    // good answers alone.
    let settler = Settler::spawn(db.clone());
    let answers = join_all([
        settler.settle(lease, succeeded(&rows[1])),
        settler.settle(lease, bad),
        settler.settle(lease, succeeded(&rows[3])),
    ])
    .await;
    assert!(matches!(answers[0], Ok(true)), "{:?}", answers[0]);
    assert!(answers[1].is_err(), "the bad answer alone fails");
    assert!(matches!(answers[2], Ok(true)), "{:?}", answers[2]);
    assert_eq!(attempts(&app).await, 3);
    // The delivery whose answer failed stays leased: once the lease runs out it is sent again.
    assert_eq!(states(&app, &rows).await, ["SUCCEEDED", "SUCCEEDED", "PENDING", "SUCCEEDED"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_never_gets_more_sends_at_once_than_its_bound() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.endpoint_concurrency = 2;
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Slow);
    endpoint(&app, &receiver.url).await;
    for _ in 0..8 {
        app.create_payment_session(100, "EUR").await;
    }
    let all = receiver.wait_until(std::time::Duration::from_secs(10), |got| got.len() >= 8).await;
    assert!(all, "{} of 8 arrived", receiver.received().len());
    assert_eq!(receiver.most_at_once(), 2, "two at once, never more");
}
