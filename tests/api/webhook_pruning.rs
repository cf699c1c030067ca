//! What deliveries leave behind: settled ones and their attempts are pruned after 30 days;
//! pending ones stay until they settle, however old.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::support::receiver::{Mode, Receiver};
use crate::support::*;
use crate::webhook_deliveries::{accepted_count, deliveries, endpoint, fast, five_events};

#[tokio::test]
async fn settled_deliveries_are_pruned_after_thirty_days_and_pending_ones_kept() {
    use paygraph::storage::entities::webhook_delivery;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let receiver = Receiver::start().await;
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), fast).await;
    let (id, _) = endpoint(&app, &receiver.url).await;
    five_events(&app).await;
    assert!(receiver.wait_until(Duration::from_secs(10), accepted_count(5)).await);
    receiver.set(Mode::Fail);
    five_events(&app).await;
    assert!(receiver.wait_until(Duration::from_secs(5), |r| r.len() >= 7).await, "the second session fails");
    assert_eq!(app.services.deliveries.prune().await.unwrap(), 0, "nothing is old yet");

    // Nothing in flight when the clock jumps: a send settled after it would be 31 days old,
    // past the 3 days a delivery is tried, and given up. The endpoint is paused, and the
    // test waits until no delivery is leased.
    let toggle = "mutation($id: ID!, $on: Boolean!) { updateWebhookEndpoint(input: { id: $id, enabled: $on }) {
        webhookEndpoint { status } userErrors { code } } }";
    app.gql(toggle, json!({ "id": id, "on": false })).await;
    // A pass that read the endpoint before the pause claims within its interval (50 ms).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let db = &app.services.core.db;
    let leased = || webhook_delivery::Entity::find().filter(webhook_delivery::Column::Lease.is_not_null()).count(db);
    let mut tries = 0;
    while leased().await.unwrap() > 0 {
        tries += 1;
        assert!(tries < 100, "a lease outlived the send timeout");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pending = || webhook_delivery::Entity::find().filter(webhook_delivery::Column::State.eq("PENDING")).count(db);
    let waiting = pending().await.unwrap();
    assert!(waiting >= 1, "the failing session's deliveries wait");

    let settled = || webhook_delivery::Entity::find().filter(webhook_delivery::Column::State.ne("PENDING")).count(db);
    assert!(settled().await.unwrap() >= 5, "the first session's deliveries are settled");
    clock.advance(chrono::Duration::days(31));
    // The background pass prunes too (hourly, and the clock just moved a month): whichever
    // runs first deletes, so what is left is counted, not what this call deleted.
    app.services.deliveries.prune().await.unwrap();
    assert_eq!(settled().await.unwrap(), 0, "the old settled deliveries go");
    assert_eq!(pending().await.unwrap(), waiting, "pending deliveries stay, however old");
    let log = deliveries(&app).await;
    assert_eq!(log["deliveries"]["nodes"].as_array().unwrap().len(), 0, "no attempt was made since: {log}");
    // They still arrive once the endpoint is back.
    receiver.set(Mode::Accept);
    app.gql(toggle, json!({ "id": id, "on": true })).await;
    assert!(receiver.wait_until(Duration::from_secs(10), accepted_count(10)).await, "nothing pending was lost");
}
