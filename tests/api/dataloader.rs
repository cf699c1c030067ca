//! The statement count of a nested query depends on its depth, never on its page size.

use serde_json::json;

use crate::support::*;

const NESTED: &str = r#"
query($first: Int) {
  customers(first: $first) {
    edges { node {
      email
      balances { amount currency }
      usd: balance(currency: "USD") { amount }
      paymentSessions(first: 10) { totalCount edges { node {
        status amount { formatted } customer { email } order { id lineItems { name } }
        payments { totalCount edges { node { id } } }
        events { edges { node { version status } } }
      } } }
    } }
  }
}"#;

async fn statements_for(app: &TestApp, first: i64) -> u64 {
    statements_of(app, NESTED, first).await
}

async fn statements_of(app: &TestApp, query: &str, first: i64) -> u64 {
    let before = app.statement_count().await;
    let body = app.gql(query, json!({ "first": first })).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["customers"]["edges"].as_array().unwrap().len() as i64, first);
    app.statement_count().await - before
}

#[tokio::test]
async fn nested_queries_cost_the_same_statements_for_any_page_size() {
    let app = spawn_quiet_app().await;
    for i in 0..12 {
        let customer = app.create_customer(&format!("c{i}@example.com")).await;
        for _ in 0..2 {
            app.create_session(
                json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 100, "currency": "USD" } }),
            )
            .await;
        }
    }
    let small = statements_for(&app, 2).await;
    let large = statements_for(&app, 12).await;
    assert_eq!(small, large, "statements grew with the page size");
    assert!(large <= 12, "one statement per relation and depth, got {large}");
}

const LINKS: &str = "query($first: Int) { paymentLinks(first: $first) { nodes {
    completedPayments lineItems { name } paymentSessions { totalCount } } } }";

#[tokio::test]
async fn payment_link_counts_cost_the_same_statements_for_any_page_size() {
    let app = spawn_quiet_app().await;
    for _ in 0..8 {
        let body = app
            .gql(
                "mutation { createPaymentLink(input: {currency: \"EUR\", amount: 500}) { paymentLink { url } } }",
                json!({}),
            )
            .await;
        let url = body["data"]["createPaymentLink"]["paymentLink"]["url"].as_str().unwrap().to_owned();
        app.client.get(url).send().await.unwrap();
    }
    let mut counts = Vec::new();
    for first in [2, 8] {
        let before = app.statement_count().await;
        let body = app.gql(LINKS, json!({ "first": first })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["paymentLinks"]["nodes"][0]["paymentSessions"]["totalCount"], 1);
        counts.push(app.statement_count().await - before);
    }
    assert_eq!(counts[0], counts[1], "statements grew with the page size");
}

/// Busy loops on every core until dropped: the load under which the statement count must not
/// move.
struct CpuHogs {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl CpuHogs {
    fn start() -> CpuHogs {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = (0..cores * 2)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        CpuHogs { stop, threads }
    }
}

impl Drop for CpuHogs {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A page of customers, each with their sessions and what hangs off them.
const BUSY_PAGE: &str = r#"
query($first: Int) {
  customers(first: $first) { edges { node { email
    paymentSessions(first: 2) { edges { node {
      status customer { email } payments { edges { node { id } } } events { edges { node { version } } }
    } } }
  } } }
}"#;

/// The count of a page of 1 and of 50, with busy loops on every core (twice over): equal,
/// eight times in a row. Before the request drove its own loads, 5 became 8 to 22 here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statement_count_holds_under_load() {
    let app = spawn_quiet_app().await;
    for i in 0..50 {
        let customer = app.create_customer(&format!("busy{i}@example.com")).await;
        app.create_session(
            json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 100, "currency": "USD" } }),
        )
        .await;
    }
    let idle = statements_of(&app, BUSY_PAGE, 1).await;
    // Past 30 items async-graphql polls a list in slices: the page must not split there.
    for first in [30, 31, 50] {
        assert_eq!(statements_of(&app, BUSY_PAGE, first).await, idle, "first: {first}, idle");
    }
    let hogs = CpuHogs::start();
    let mut counts = Vec::new();
    for _ in 0..8 {
        counts.push((statements_of(&app, BUSY_PAGE, 1).await, statements_of(&app, BUSY_PAGE, 50).await));
    }
    drop(hogs);
    assert!(counts.iter().all(|&(one, fifty)| one == idle && fifty == idle), "idle {idle}, under load {counts:?}");
}

/// The same over the WebSocket: a query there drives its own loads too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statement_count_holds_under_load_over_the_socket() {
    use crate::support::ws::{Protocol, WsClient};
    let app = spawn_quiet_app().await;
    for i in 0..50 {
        let customer = app.create_customer(&format!("socket{i}@example.com")).await;
        app.create_session(
            json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 100, "currency": "USD" } }),
        )
        .await;
    }
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    let idle = over_socket(&app, &mut ws, "idle", 1).await;
    let hogs = CpuHogs::start();
    let mut counts = Vec::new();
    for round in 0..6 {
        let one = over_socket(&app, &mut ws, &format!("one{round}"), 1).await;
        counts.push((one, over_socket(&app, &mut ws, &format!("fifty{round}"), 50).await));
    }
    drop(hogs);
    assert!(counts.iter().all(|&(one, fifty)| one == idle && fifty == idle), "idle {idle}, under load {counts:?}");
}

async fn over_socket(app: &TestApp, ws: &mut crate::support::ws::WsClient, id: &str, first: i64) -> u64 {
    let before = app.statement_count().await;
    match ws.run(id, BUSY_PAGE, json!({ "first": first })).await {
        crate::support::ws::Frame::Next(body) => assert!(body["errors"].is_null(), "{body}"),
        other => panic!("{other:?}"),
    }
    app.statement_count().await - before
}
