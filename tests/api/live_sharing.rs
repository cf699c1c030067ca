//! Identical subscriptions share the work: one resolution of each event, however many
//! sockets follow it, and a storm of them is still served in full.

use std::time::Duration;

use serde_json::json;

use crate::live::{CANCEL, UPDATED, event};
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

#[tokio::test]
async fn identical_subscriptions_share_one_resolution_of_each_event() {
    let app = spawn_quiet_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut clients = Vec::new();
    for n in 0..12 {
        let protocol = if n % 2 == 0 { Protocol::TransportWs } else { Protocol::Legacy };
        let mut ws = WsClient::with_token(&app.address, protocol, &app.key).await;
        ws.subscribe("1", UPDATED, json!({ "id": id, "after": 1 })).await;
        clients.push(ws);
    }
    // Nothing follows version 1 yet, so no frame says the subscriptions are in place: give
    // the server a moment to handle the subscribe messages.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let before = app.statement_count().await;
    app.gql(CANCEL, json!({ "id": id })).await;
    for ws in &mut clients {
        let data = ws.next_event().await;
        assert_eq!(event(&data, "paymentSessionUpdated"), (2, "CANCELED".into()));
        assert_eq!(data["paymentSessionUpdated"]["paymentSession"]["status"], "CANCELED");
    }
    let statements = app.statement_count().await - before;
    // The cancel itself takes a handful; resolving `paymentSession` once per subscriber
    // would add twelve more.
    assert!(statements < 12, "{statements} statements for one change seen by 12 subscribers");
}

#[tokio::test]
async fn a_storm_of_identical_subscriptions_is_served_in_full() {
    // Three times as many sockets as the instance authenticates and opens at once, all
    // sending the same subscription at the same moment: those that wait for a turn must all
    // be served, and share one prepared subscription.
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let opening = (0..48).map(|n| {
        let (address, key, id) = (app.address.clone(), app.key.clone(), id.clone());
        tokio::spawn(async move {
            let protocol = if n % 2 == 0 { Protocol::TransportWs } else { Protocol::Legacy };
            let mut ws = WsClient::with_token(&address, protocol, &key).await;
            ws.subscribe("1", UPDATED, json!({ "id": id })).await;
            assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated"), (1, "OPEN".into()));
            ws
        })
    });
    let mut clients = Vec::new();
    for client in futures_util::future::join_all(opening).await {
        clients.push(client.expect("every subscriber gets its snapshot"));
    }
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("paygraph_subscriptions_prepared_total 1\n"),
        "one prepared subscription for all: {metrics}"
    );
    app.gql(CANCEL, json!({ "id": id })).await;
    for ws in &mut clients {
        assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated"), (2, "CANCELED".into()));
    }
}
