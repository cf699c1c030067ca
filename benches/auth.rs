//! The cost of knowing who calls: requests per second through paygraph, side by side in one
//! run with what the same work costs without it.
//!
//! 1. `{ __typename }` with a secret key: paygraph, against a bare axum handler answering
//!    the same bytes, and against stock async-graphql (a one-field schema, no extension, no
//!    credential) in an axum handler. Target: paygraph's ratio to bare axum at least stock's.
//! 2. A client secret's `paymentSession(id) { status }`: paygraph, against a bare axum +
//!    sea-orm handler running the same SELECT (the session by id and merchant, through the
//!    same entity). Target: at least 0.60.
//!
//! Each server runs in this process on loopback; the load is N keep-alive connections each
//! sending one request at a time, written and read by hand so the client costs little.
//!
//!     cargo bench --bench auth
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench auth
//!     BENCH_ROUNDS=9 BENCH_SECONDS=2 BENCH_CONNECTIONS=32 cargo bench --bench auth
//!
//! One scenario alone (`BENCH_ONLY=typename|status|bare|stock|bare_status`), for a profiler;
//! with `BENCH_REQUESTS=N` each connection sends N requests, whatever the time, so that two
//! runs under `valgrind --tool=callgrind` give instructions per request (the difference of
//! their totals over the difference of their requests), a figure the machine's load does
//! not move.
//!
//! Loopback only; every loop is bounded by the run's duration; it stops by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use paygraph::config::Config;
use paygraph::domain::TypedId;
use paygraph::startup::Application;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// Bare axum: the bytes paygraph answers, with nothing behind them.
async fn bare_typename(_body: Bytes) -> ([(&'static str, &'static str); 1], &'static str) {
    ([("content-type", "application/json")], r#"{"data":{"__typename":"QueryRoot"}}"#)
}

struct StockQuery;

#[Object]
impl StockQuery {
    async fn hello(&self) -> &str {
        "world"
    }
}

type StockSchema = Schema<StockQuery, EmptyMutation, EmptySubscription>;

/// Stock async-graphql: parse, validate, execute, serialize; no extension, no credential.
async fn stock(State(schema): State<StockSchema>, body: Bytes) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let request: async_graphql::Request = serde_json::from_slice(&body).unwrap();
    let response = schema.execute(request).await;
    ([("content-type", "application/json")], serde_json::to_vec(&response).unwrap())
}

/// What the bare handler reads: the session paygraph reads, by id and merchant.
#[derive(Clone)]
struct BareStatus {
    db: Arc<DatabaseConnection>,
    session: uuid::Uuid,
    merchant: uuid::Uuid,
}

/// Bare axum + sea-orm: the SELECT paygraph runs for `paymentSession(id)` (the session's
/// row by id, scoped to its merchant, through the same sea-orm entity), and its status.
async fn bare_status(State(bare): State<BareStatus>, _body: Bytes) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    use paygraph::storage::entities::payment_session;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = payment_session::Entity::find_by_id(bare.session)
        .filter(payment_session::Column::MerchantId.eq(bare.merchant))
        .one(bare.db.as_ref())
        .await
        .unwrap()
        .unwrap();
    let body = json!({ "data": { "paymentSession": { "status": row.status } } });
    ([("content-type", "application/json")], serde_json::to_vec(&body).unwrap())
}

/// One keep-alive connection sending `request` until `until`; the responses it read.
async fn connection(address: SocketAddr, request: Arc<Vec<u8>>, until: Instant, done: Arc<AtomicU64>) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buffer = vec![0u8; 16 * 1024];
    // For an instruction count (callgrind): a fixed number of requests per connection.
    let mut left = setting("BENCH_REQUESTS", u64::MAX);
    while Instant::now() < until && left > 0 {
        left -= 1;
        stream.write_all(&request).await.unwrap();
        let mut read = 0;
        loop {
            let n = stream.read(&mut buffer[read..]).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            read += n;
            let Some(head_end) = find(&buffer[..read], b"\r\n\r\n") else { continue };
            let head = &buffer[..head_end];
            assert!(head.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(head));
            if read >= head_end + 4 + content_length(head) {
                break;
            }
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a response head, read without copying: the client's cost per
/// header line would otherwise weigh on the servers that send more headers.
fn content_length(head: &[u8]) -> usize {
    const NAME: &[u8] = b"content-length:";
    head.split(|&b| b == b'\n')
        .find_map(|line| {
            let (name, value) = line.split_at_checked(NAME.len())?;
            name.eq_ignore_ascii_case(NAME).then(|| std::str::from_utf8(value).unwrap().trim().parse().unwrap())
        })
        .expect("content-length")
}

/// One kind of request, sent again and again to one server.
struct Load {
    address: SocketAddr,
    request: Arc<Vec<u8>>,
}

fn load(address: SocketAddr, path: &str, auth: Option<&str>, body: &Value) -> Load {
    let body = body.to_string();
    let auth = auth.map(|a| format!("Authorization: Bearer {a}\r\n")).unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Load { address, request: Arc::new(request.into_bytes()) }
}

/// Requests per second that `connections` connections get for `seconds` (or, with
/// `BENCH_REQUESTS`, until each sent that many).
async fn rate(load: &Load, connections: u64, seconds: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let counted_by_requests = std::env::var("BENCH_REQUESTS").is_ok();
    let until = started + Duration::from_secs(if counted_by_requests { 100_000 } else { seconds });
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(load.address, load.request.clone(), until, done.clone())))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Each load's rate in every round. The loads take turns, `seconds` each, for `rounds`
/// rounds: on a shared machine a burst of noise then hits every contender alike instead of
/// the one measured at the time.
async fn compare(loads: &[Load], connections: u64, seconds: u64, rounds: u64) -> Vec<Vec<f64>> {
    for load in loads {
        rate(load, connections, 1).await; // connections, caches, prepared statements
    }
    let mut rates = vec![Vec::new(); loads.len()];
    for _ in 0..rounds.max(1) {
        for (load, rates) in loads.iter().zip(&mut rates) {
            rates.push(rate(load, connections, seconds).await);
        }
    }
    rates
}

/// The median of `rates`' ratio to `base`, round by round.
fn ratio(rates: &[f64], base: &[f64]) -> f64 {
    median(rates.iter().zip(base).map(|(rate, base)| rate / base).collect())
}

/// A database for this run: a temporary SQLite file, or a fresh PostgreSQL database.
async fn database() -> (String, Option<(String, String)>, Option<tempfile::TempDir>) {
    match std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            let name = format!("paygraph_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            (format!("{base}/{name}"), Some((admin_url, name)), None)
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None, Some(dir))
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = paygraph::telemetry::init_with_default("error");
    let (seconds, connections) = (setting("BENCH_SECONDS", 1), setting("BENCH_CONNECTIONS", 16));
    let (url, drop_after, _dir) = database().await;

    let mut config = Config::for_database(url.clone());
    config.listen = ([127, 0, 0, 1], 0).into();
    // The limits stay on the path, high enough never to refuse the bench.
    for limit in [&mut config.throttle.graphql, &mut config.throttle.graphql_ip] {
        *limit = u32::MAX;
    }
    config.throttle.cost_bucket = u64::MAX / 4;
    config.throttle.cost_restore_rate = u64::MAX / 4;
    let app = Application::build(config).await.unwrap();
    let paygraph = app.address();
    let created_merchant = app.services().auth.create_merchant("Bench").await.unwrap();
    let (key, app_merchant) = (created_merchant.secret_key, created_merchant.merchant.id.0);
    tokio::spawn(app.run());

    let created = reqwest::Client::new()
        .post(format!("http://{paygraph}/graphql"))
        .bearer_auth(&key)
        .json(&json!({ "query": "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 1000, currency: \"EUR\" } }) { paymentSession { id } clientSecret } }" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let session = created["data"]["createPaymentSession"]["paymentSession"]["id"].as_str().unwrap().to_owned();
    let secret = created["data"]["createPaymentSession"]["clientSecret"].as_str().unwrap().to_owned();

    let bare = serve(Router::new().route("/graphql", post(bare_typename))).await;
    let stock_schema = Schema::new(StockQuery, EmptyMutation, EmptySubscription);
    let stock = serve(Router::new().route("/graphql", post(stock)).with_state(stock_schema)).await;
    let db = Arc::new(sea_orm::Database::connect(&url).await.unwrap());
    let session_id = paygraph::domain::SessionId::from_global(&session).unwrap();
    let merchant_id = app_merchant;
    let bare_state = BareStatus { db, session: session_id.0, merchant: merchant_id };
    let bare_db = serve(Router::new().route("/status", post(bare_status)).with_state(bare_state)).await;

    let typename = json!({ "query": "{ __typename }" });
    let status =
        json!({ "query": "query($id: ID!) { paymentSession(id: $id) { status } }", "variables": { "id": session } });
    let backend = if drop_after.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "auth bench: {connections} connections, {} rounds of {seconds} s each, {backend}; medians, ratios to bare in the same round",
        setting("BENCH_ROUNDS", 5)
    );
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        // For a profiler: one scenario, nothing else running.
        let (address, path, auth, body) = match only.as_str() {
            "typename" => (paygraph, "/graphql", Some(key.as_str()), &typename),
            "bare" => (bare, "/graphql", None, &typename),
            "stock" => (stock, "/graphql", None, &typename),
            "bare_status" => (bare_db, "/status", None, &typename),
            _ => (paygraph, "/graphql", Some(secret.as_str()), &status),
        };
        let load = load(address, path, auth, body);
        rate(&load, connections, 1).await;
        let rate = rate(&load, connections, seconds).await;
        println!("{only}: {rate:.0}/s");
        return;
    }
    let rounds = setting("BENCH_ROUNDS", 5);
    let loads = [
        load(bare, "/graphql", None, &typename),
        load(stock, "/graphql", None, &typename),
        load(paygraph, "/graphql", Some(&key), &typename),
    ];
    let [bare_rates, stock_rates, paygraph_rates] = &compare(&loads, connections, seconds, rounds).await[..] else {
        unreachable!()
    };
    println!(
        "{{ __typename }}              bare axum {:>8.0}/s   stock async-graphql {:>8.0}/s ({:.2})   paygraph with a key {:>8.0}/s ({:.2}); paygraph / stock {:.2}",
        median(bare_rates.clone()),
        median(stock_rates.clone()),
        ratio(stock_rates, bare_rates),
        median(paygraph_rates.clone()),
        ratio(paygraph_rates, bare_rates),
        ratio(paygraph_rates, stock_rates),
    );
    let loads = [load(bare_db, "/status", None, &json!({})), load(paygraph, "/graphql", Some(&secret), &status)];
    let [bare_db_rates, status_rates] = &compare(&loads, connections, seconds, rounds).await[..] else {
        unreachable!()
    };
    println!(
        "paymentSession(id) {{ status }} bare axum + sea-orm {:>8.0}/s   paygraph with its client secret {:>8.0}/s ({:.2})",
        median(bare_db_rates.clone()),
        median(status_rates.clone()),
        ratio(status_rates, bare_db_rates),
    );

    if let Some((admin_url, name)) = drop_after {
        let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    }
}
