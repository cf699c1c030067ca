//! Webhook delivery benchmark: how many events a second reach a local receiver, and how long
//! after their commit.
//!
//! One paygraph instance (in this process, with its delivery worker) and one endpoint at a
//! receiver on loopback that answers 200 at once. Sessions are created and canceled in
//! parallel (two events each); every event is delivered, in order per session.
//!
//! Reported, side by side in one run:
//! - **paygraph**: deliveries per second, from the first commit to the last delivery, and
//!   the lag from each event's commit (`occurredAt`) to its arrival (p50, p99, max), in the
//!   burst and then for 50 events committed one at a time;
//! - **baseline**: the same number of POSTs of the same bodies, sent straight to the same
//!   receiver by a reqwest client with as many at once as paygraph's default concurrency:
//!   what the transport allows, with no database and no ordering.
//!
//! Run:
//!
//!     cargo bench --bench webhooks
//!     WEBHOOK_ENDPOINT_CONCURRENCY=16 cargo bench --bench webhooks
//!     WEBHOOK_SESSIONS=1000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench webhooks
//!
//! Loopback only; bounded (it gives up after 120 s); it stops by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use futures_util::future::join_all;
use paygraph::config::Config;
use paygraph::domain::SessionPurpose;
use paygraph::service::sessions::{AmountInput, SessionInput};
use paygraph::service::webhooks::EndpointInput;
use paygraph::startup::Application;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Lags (µs from `occurredAt` to arrival) and bodies, as they arrive.
#[derive(Default)]
struct Arrivals {
    lags_us: Vec<i64>,
    bodies: Vec<Vec<u8>>,
}

async fn receive(State(arrivals): State<Arc<Mutex<Arrivals>>>, body: Bytes) -> &'static str {
    let now = chrono::Utc::now();
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let lag = value["occurredAt"]
        .as_str()
        .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .map_or(-1, |at| (now - at).num_microseconds().unwrap_or(-1));
    let mut arrivals = arrivals.lock().unwrap();
    arrivals.lags_us.push(lag);
    arrivals.bodies.push(body.to_vec());
    "ok"
}

async fn receiver() -> (String, Arc<Mutex<Arrivals>>) {
    let arrivals = Arc::new(Mutex::new(Arrivals::default()));
    let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(arrivals.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, arrivals)
}

fn percentile(sorted: &[i64], p: usize) -> f64 {
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[i] as f64 / 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sessions = setting("WEBHOOK_SESSIONS", 500);
    let events = sessions * 2;
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));
    let backend = if database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let _ = paygraph::telemetry::init_with_default("error");

    let (url, arrivals) = receiver().await;
    let mut config = Config::for_database(&database_url);
    config.listen = ([127, 0, 0, 1], 0).into();
    config.live.background_interval_ms = 200;
    config.webhooks.endpoint_concurrency =
        setting("WEBHOOK_ENDPOINT_CONCURRENCY", config.webhooks.endpoint_concurrency);
    let app = Application::build(config.clone()).await.unwrap();
    let services = app.services().clone();
    tokio::spawn(app.run());
    let merchant = services.auth.create_merchant("Bench").await.unwrap().merchant.id;
    let input = EndpointInput { url: Some(url.clone()), ..EndpointInput::default() };
    services.webhooks.create(merchant, input).await.unwrap();

    // paygraph: commit every event, in parallel, and wait for every delivery.
    let started = Instant::now();
    let work = (0..sessions).map(|_| {
        let services = services.clone();
        async move {
            let mut input = SessionInput::new(SessionPurpose::Payment);
            input.amount = Some(AmountInput { amount: 1500, currency: "EUR".into() });
            let session = services.sessions.create(merchant, input, None).await.unwrap();
            services.sessions.cancel(merchant, session.id).await.unwrap();
        }
    });
    join_all(work).await;
    let committed = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while arrivals.lock().unwrap().lags_us.len() < events {
        assert!(Instant::now() < deadline, "deliveries did not finish within 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered = started.elapsed();
    let (mut lags, bodies) = {
        let mut arrivals = arrivals.lock().unwrap();
        (std::mem::take(&mut arrivals.lags_us), std::mem::take(&mut arrivals.bodies))
    };
    lags.sort_unstable();

    // One event at a time: the lag a merchant sees when paygraph is not busy.
    let mut single = Vec::new();
    for _ in 0..50 {
        let mut input = SessionInput::new(SessionPurpose::Payment);
        input.amount = Some(AmountInput { amount: 700, currency: "EUR".into() });
        services.sessions.create(merchant, input, None).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(lag) = arrivals.lock().unwrap().lags_us.pop() {
                single.push(lag);
                break;
            }
            assert!(Instant::now() < deadline, "a single delivery took over 10 s");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    single.sort_unstable();

    // Baseline: the same bodies POSTed straight to the receiver, 32 at once.
    let client = reqwest::Client::new();
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let baseline_started = Instant::now();
    let senders = (0..32).map(|_| {
        let (client, bodies, next, url) = (client.clone(), bodies.clone(), next.clone(), url.clone());
        async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                client.post(&url).body(body.clone()).send().await.unwrap();
            }
        }
    });
    join_all(senders).await;
    let baseline = baseline_started.elapsed();

    let rate = |n: usize, took: Duration| n as f64 / took.as_secs_f64();
    let per_endpoint = config.webhooks.endpoint_concurrency;
    println!(
        "webhook deliveries, {backend}, {sessions} sessions x 2 events = {events} deliveries, 1 endpoint, {per_endpoint} at once"
    );
    println!("  commits              {:>8.0} events/s ({:.2} s)", rate(events, committed), committed.as_secs_f64());
    println!(
        "  paygraph deliveries  {:>8.0} /s  (first commit to last delivery {:.2} s)",
        rate(events, delivered),
        delivered.as_secs_f64()
    );
    println!(
        "  baseline POSTs       {:>8.0} /s  (reqwest straight to the receiver, 32 at once)",
        rate(events, baseline)
    );
    println!(
        "  lag commit->delivery in the burst  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lags, 50),
        percentile(&lags, 99),
        percentile(&lags, 100)
    );
    println!(
        "  lag commit->delivery, one at a time p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (50 events)",
        percentile(&single, 50),
        percentile(&single, 99),
        percentile(&single, 100)
    );
}
