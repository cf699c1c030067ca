//! Bounds of the WebSocket transport: `connection_init` in time, sockets per IP, the same
//! document limits as HTTP, subscriptions per credential over all its sockets, operations in
//! flight per socket, and aliases counted per fragment spread.

use serde_json::{Value, json};

use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

const UPDATED: &str = "subscription($id: ID!) { paymentSessionUpdated(id: $id) { version status } }";

async fn client(app: &TestApp) -> WsClient {
    WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await
}

fn code_of(frame: Frame) -> String {
    match frame {
        Frame::Error(errors) => errors[0]["extensions"]["code"].as_str().unwrap_or_default().to_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_in_time_whatever_the_idle_timeout() {
    let app = spawn_app_with(|c| {
        c.live.init_seconds = 1;
        c.live.idle_seconds = 300;
    })
    .await;
    let started = std::time::Instant::now();
    let mut silent = WsClient::open(&app.address, Protocol::TransportWs).await.unwrap();
    assert_eq!(silent.closed().await, Some(4408));
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn one_address_holds_a_bounded_number_of_sockets() {
    let app = spawn_app_with(|c| c.live.max_connections_per_ip = 2).await;
    let first = client(&app).await;
    let _second = client(&app).await;
    let third = WsClient::connect(&app.address, Protocol::TransportWs, json!({})).await.err().unwrap();
    assert!(third.contains("429"), "{third}");
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    client(&app).await;
}

#[tokio::test]
async fn the_socket_refuses_what_http_refuses() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut socket = client(&app).await;
    // 40 KiB: HTTP's limit is 16 KiB.
    let padded = format!("{UPDATED}\n#{}", "x".repeat(40 * 1024));
    socket.subscribe("big", &padded, json!({ "id": id })).await;
    assert_eq!(code_of(socket.frame_of("big").await), "QUERY_TOO_LARGE");
    let over_http = app.post_graphql(Some(&app.key), &json!({ "query": padded, "variables": { "id": id } })).await;
    assert_eq!(over_http.status(), 400);

    // The fragment alias bomb: 15 aliased connections spreading 15 aliased counts.
    let bomb = alias_bomb();
    socket.subscribe("bomb", &bomb, json!({})).await;
    assert_eq!(code_of(socket.frame_of("bomb").await), "TOO_MANY_ALIASES");
    // The socket still serves.
    socket.subscribe("ok", UPDATED, json!({ "id": id })).await;
    assert!(matches!(socket.frame_of("ok").await, Frame::Next(_)));
}

/// 15 aliased `paymentSessions`, each spreading a fragment of 15 aliased `totalCount`s: 240
/// fields, 225 COUNT statements, in a document of 30 aliases counted once per definition.
fn alias_bomb() -> String {
    let counts: Vec<String> = (0..15).map(|i| format!("c{i}: totalCount")).collect();
    let lists: Vec<String> = (0..15).map(|i| format!("s{i}: paymentSessions(first: 1) {{ ...Counts }}")).collect();
    format!("query {{ {} }} fragment Counts on PaymentSessionConnection {{ {} }}", lists.join(" "), counts.join(" "))
}

#[tokio::test]
async fn aliases_count_once_per_fragment_spread_over_http() {
    let app = spawn_app_with(quiet).await;
    // The key's first use verifies it; it is remembered after that.
    app.gql("{ __typename }", json!({})).await;
    let before = app.statement_count().await;
    let refused = app.gql(&alias_bomb(), json!({})).await;
    assert_eq!(error_code(&refused), "TOO_MANY_ALIASES", "{refused}");
    assert_eq!(app.statement_count().await - before, 0, "nothing ran");
}

#[tokio::test]
async fn a_credential_holds_a_bounded_number_of_subscriptions_over_all_its_sockets() {
    let app = spawn_app_with(|c| c.live.max_subscriptions_per_key = 3).await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let (mut a, mut b) = (client(&app).await, client(&app).await);
    for n in 0..2 {
        a.subscribe(&format!("a{n}"), UPDATED, json!({ "id": id })).await;
        assert!(matches!(a.frame_of(&format!("a{n}")).await, Frame::Next(_)));
    }
    b.subscribe("b0", UPDATED, json!({ "id": id })).await;
    assert!(matches!(b.frame_of("b0").await, Frame::Next(_)));
    b.subscribe("b1", UPDATED, json!({ "id": id })).await;
    assert_eq!(code_of(b.frame_of("b1").await), "TOO_MANY_SUBSCRIPTIONS");
    // A subscription ended gives its place back.
    a.unsubscribe("a0").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    b.subscribe("b2", UPDATED, json!({ "id": id })).await;
    assert!(matches!(b.frame_of("b2").await, Frame::Next(_)));
}

#[tokio::test]
async fn a_socket_runs_a_bounded_number_of_operations_at_once() {
    let app = spawn_app_with(|c| c.live.max_in_flight = 1).await;
    for _ in 0..5 {
        app.create_payment_session(100, "USD").await;
    }
    let mut socket = client(&app).await;
    let query = "{ paymentSessions(first: 100) { totalCount edges { node { id status events { edges { node { version } } } } } } }";
    let sent = 40;
    for n in 0..sent {
        socket.send(json!({ "id": format!("q{n}"), "type": "subscribe", "payload": { "query": query } })).await;
    }
    let (mut answered, mut refused) = (0, 0);
    while answered + refused < sent {
        match socket.next_frame().await {
            (_, Frame::Next(data)) => {
                assert!(data["paymentSessions"]["totalCount"].as_i64() == Some(5), "{data}");
                answered += 1;
            }
            (_, Frame::Error(errors)) => {
                assert_eq!(errors[0]["extensions"]["code"], Value::from("TOO_MANY_OPERATIONS"), "{errors}");
                refused += 1;
            }
            (_, Frame::Complete) => {}
        }
    }
    assert!(answered >= 1 && refused >= 1, "answered {answered}, refused {refused}");
}

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() {
    let app = spawn_app_with(|c| c.live.max_subscriptions_per_connection = 2).await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    for n in ["1", "2"] {
        ws.subscribe(n, UPDATED, json!({ "id": id })).await;
        assert!(matches!(ws.next_frame().await, (_, Frame::Next(_))));
    }
    ws.subscribe("3", UPDATED, json!({ "id": id })).await;
    let frame = ws.frame_of("3").await;
    assert!(matches!(frame, Frame::Error(ref e) if e.to_string().contains("TOO_MANY_SUBSCRIPTIONS")), "{frame:?}");
    // Ending one frees its place.
    ws.unsubscribe("1").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    ws.subscribe("4", UPDATED, json!({ "id": id })).await;
    assert!(matches!(ws.frame_of("4").await, Frame::Next(_)));
}

#[tokio::test]
async fn idle_and_uninitialised_connections_are_closed() {
    let app = spawn_app_with(|c| {
        c.live.idle_seconds = 1;
        c.live.ping_seconds = 1;
    })
    .await;
    let mut idle = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    assert_eq!(idle.closed().await, Some(1000));
}
