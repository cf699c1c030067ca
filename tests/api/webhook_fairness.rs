//! No endpoint's backlog delays another's deliveries: due deliveries are taken per
//! endpoint, never from one oldest-first window that a blocked endpoint fills. And the
//! bound on waiting deliveries holds under racing replays; a deleted endpoint's waiting
//! deliveries go with it.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::support::receiver::{Mode, Receiver};
use crate::support::*;
use crate::webhook_deliveries::endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_does_not_delay_another_merchants_deliveries() {
    let app = spawn_app_with(|config| {
        config.live.background_interval_ms = 50;
        config.webhooks.timeout_ms = 2_000;
        config.webhooks.retry_base_ms = 60_000;
    })
    .await;
    let stalled = Receiver::start().await;
    stalled.set(Mode::Stall);
    endpoint(&app, &stalled.url).await;
    for _ in 0..150 {
        app.create_payment_session(100, "EUR").await;
    }
    assert!(stalled.wait_until(Duration::from_secs(5), |r| !r.is_empty()).await, "the stalled endpoint is being tried");

    let other_key = app.other_merchant_key().await;
    let other = Receiver::start().await;
    let create = "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }";
    let made = app.gql_as(Some(&other_key), create, json!({ "input": { "url": other.url } })).await;
    assert_eq!(made["data"]["createWebhookEndpoint"]["userErrors"], json!([]), "{made}");
    let session = json!({ "input": { "purpose": "PAYMENT", "amount": { "amount": 700, "currency": "EUR" } } });
    let started = Instant::now();
    created(app.gql_as(Some(&other_key), CREATE_SESSION, session).await);
    let arrived = other.wait_until(Duration::from_secs(10), |r| !r.is_empty()).await;
    let took = started.elapsed();
    assert!(arrived, "the other merchant's event never arrived");
    assert!(took < Duration::from_secs(1), "the other merchant's event took {took:?} behind the stalled backlog");
}

const REPLAY: &str = "mutation($input: ReplayWebhookEndpointInput!) { replayWebhookEndpoint(input: $input) {
    replayedCount userErrors { code } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_replays_keep_the_waiting_bound_and_a_deleted_endpoint_keeps_nothing_waiting() {
    use paygraph::domain::TypedId;
    use paygraph::service::webhooks::{MAX_REPLAY, MAX_WAITING};
    let app = spawn_quiet_app().await;
    let receiver = Receiver::start().await;
    receiver.set(Mode::Fail);
    let db = app.services.core.db.clone();
    for cycle in 0..3 {
        let (id, _) = endpoint(&app, &receiver.url).await;
        let endpoint_id = paygraph::domain::WebhookEndpointId::from_global(&id).unwrap().0;
        for _ in 0..20 {
            app.create_payment_session(100, "EUR").await;
        }
        // The endpoint is fed the merchant's new events (20 sessions' creations), then filled
        // to just under the bound with deliveries due in an hour.
        app.services.deliveries.pass().await.unwrap();
        let fed = paygraph::storage::deliveries::waiting(&db, endpoint_id).await.unwrap();
        assert_eq!(fed, 20, "cycle {cycle}");
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let filler = (0..MAX_WAITING - 25).map(|i| {
            crate::webhook_deliveries::pending_delivery(endpoint_id, 1_000 + i64::try_from(i).unwrap(), later)
        });
        paygraph::storage::deliveries::insert(&db, filler.collect()).await.unwrap();

        let cursor = paygraph::service::live::event_cursor(0);
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(12));
        let replays = (0..12).map(|_| {
            let (barrier, client, address, key) =
                (barrier.clone(), app.client.clone(), app.address.clone(), app.key.clone());
            let body = json!({ "query": REPLAY, "variables": { "input": { "id": id, "after": cursor } } });
            tokio::spawn(async move {
                barrier.wait().await;
                let sent = client.post(format!("{address}/graphql")).bearer_auth(key).json(&body).send().await.unwrap();
                sent.json::<serde_json::Value>().await.unwrap()
            })
        });
        let answers: Vec<_> = join_all(replays).await.into_iter().map(Result::unwrap).collect();
        let queued = answers.iter().filter(|a| a["data"]["replayWebhookEndpoint"]["userErrors"] == json!([])).count();
        let refused = answers
            .iter()
            .filter(|a| a["data"]["replayWebhookEndpoint"]["userErrors"][0]["code"] == "TOO_MANY_WAITING_DELIVERIES")
            .count();
        assert_eq!((queued, refused), (1, 11), "one replay fits under the bound, cycle {cycle}: {answers:?}");
        let waiting = paygraph::storage::deliveries::waiting(&db, endpoint_id).await.unwrap();
        let replayed = 20 * (cycle + 1); // every event so far
        assert_eq!(waiting, 20 + (MAX_WAITING - 25) + replayed, "995 waiting and one replay, cycle {cycle}");
        assert!(waiting < MAX_WAITING + MAX_REPLAY);

        let delete = "mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { userErrors { code } } }";
        let deleted = app.gql(delete, json!({ "id": id })).await;
        assert_eq!(deleted["data"]["deleteWebhookEndpoint"]["userErrors"], json!([]), "{deleted}");
        assert_eq!(paygraph::storage::deliveries::waiting(&db, endpoint_id).await.unwrap(), 0, "cycle {cycle}");
        let after = app.gql(REPLAY, json!({ "input": { "id": id, "after": cursor } })).await;
        assert_eq!(after["data"]["replayWebhookEndpoint"]["userErrors"][0]["code"], "NOT_FOUND", "{after}");
    }
}
