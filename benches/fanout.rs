//! Fan-out benchmark: how fast a committed status change reaches WebSocket subscribers.
//!
//! Two `paygraph serve` processes share one database and one Redis. This process commits
//! status changes through the library (a third instance on the same database and Redis, as
//! the sweeper or another API node would), while N WebSocket clients follow one session,
//! spread over both servers, and M more clients follow one session each.
//!
//! Reported: latency from the start of the committing call to each client's frame (p50,
//! p99, max), frames delivered per second in a burst, and each server's resident memory per
//! idle subscription (one subscription per connection).
//!
//!     cargo bench --bench fanout
//!     FANOUT_SUBSCRIBERS=1000 FANOUT_SESSIONS=200 FANOUT_CHANGES=20 REDIS_URL=redis://127.0.0.1:6379 cargo bench --bench fanout
//!
//! Loopback only; bounded loops; it stops by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use paygraph::config::Config;
use paygraph::domain::{MerchantId, SessionId, SessionPurpose, SessionStatus, TypedId};
use paygraph::service::Services;
use paygraph::service::sessions::{AmountInput, SessionInput};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use uuid::Uuid;

const QUERY: &str = "subscription($id: ID!) { paymentSessionUpdated(id: $id) { version status } }";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_server(database_url: &str, redis_url: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .arg("serve")
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("PAYGRAPH_WS_MAX_CONNECTIONS_PER_KEY", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("paygraph binary");
    // The guard owns the child from here on: any exit path kills and reaps it.
    let server = Server { child, address: format!("127.0.0.1:{port}") };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A client: subscribes, reports its snapshot on `ready`, then every frame on `frames`.
async fn client(
    address: String,
    key: String,
    session: Uuid,
    ready: mpsc::UnboundedSender<()>,
    frames: mpsc::UnboundedSender<(Uuid, i64, Instant)>,
) {
    let mut request = format!("ws://{address}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    // tungstenite zeroes its whole read buffer (128 KiB by default) before every read: with
    // a thousand clients in this process that memset alone would be the bottleneck.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await.expect("connect");
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {key}") } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let id = SessionId(session).to_global();
    let mut subscribed = false;
    let mut snapshot = false;
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        let at = Instant::now();
        // The measuring client must not be the bottleneck: read event frames without a
        // full JSON parse (the frame is `{"type":"next",…"version":N,…}`).
        if snapshot && text.starts_with("{\"type\":\"next\"") {
            let version = text
                .split("\"version\":")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(-1);
            if frames.send((session, version, at)).is_err() {
                return;
            }
            continue;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        match value["type"].as_str() {
            Some("connection_ack") if !subscribed => {
                subscribed = true;
                let subscribe =
                    json!({ "id": "1", "type": "subscribe", "payload": { "query": QUERY, "variables": { "id": id } } });
                socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
            }
            Some("next") if !snapshot => {
                snapshot = true;
                let _ = ready.send(());
            }
            Some("ping") => {
                socket.send(Message::Text(json!({ "type": "pong" }).to_string().into())).await.unwrap();
            }
            Some("complete") | Some("error") => return,
            _ => {}
        }
    }
}

async fn change(services: &Services, merchant: MerchantId, session: Uuid, to: SessionStatus) -> (i64, Instant) {
    let current = services.sessions.get(merchant, SessionId(session)).await.unwrap().unwrap();
    let started = Instant::now();
    let (changed, _) = services.core.change_status(&current, to).await.unwrap();
    (i64::from(changed.version), started)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(name: &str, mut latencies: Vec<Duration>) {
    latencies.sort_unstable();
    println!(
        "{name}: {} frames  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Collects `expected` frames (or what arrives within `wait`), as latencies from `commits`.
async fn collect(
    frames: &mut mpsc::UnboundedReceiver<(Uuid, i64, Instant)>,
    commits: &HashMap<(Uuid, i64), Instant>,
    expected: usize,
    wait: Duration,
) -> (Vec<Duration>, Option<Instant>) {
    let mut latencies = Vec::with_capacity(expected);
    let mut last = None;
    let deadline = tokio::time::Instant::now() + wait;
    while latencies.len() < expected {
        match tokio::time::timeout_at(deadline, frames.recv()).await {
            Ok(Some((session, version, at))) => {
                if let Some(committed) = commits.get(&(session, version)) {
                    latencies.push(at.saturating_duration_since(*committed));
                    last = Some(at);
                }
            }
            _ => break,
        }
    }
    (latencies, last)
}

#[tokio::main]
async fn main() {
    let subscribers = setting("FANOUT_SUBSCRIBERS", 1000);
    let sessions = setting("FANOUT_SESSIONS", 200);
    let changes = setting("FANOUT_CHANGES", 20);
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));

    let mut config = Config::for_database(database_url.clone());
    config.redis_url = Some(redis_url.clone());
    let writer = paygraph::startup::services(&config, "http://127.0.0.1".into()).await.expect("database and redis");
    let created = writer.auth.create_merchant("Bench").await.unwrap();
    let (merchant, key) = (created.merchant.id, created.secret_key);
    let servers = [spawn_server(&database_url, &redis_url), spawn_server(&database_url, &redis_url)];
    tokio::time::sleep(Duration::from_millis(500)).await;

    let new_session = || SessionInput {
        amount: Some(AmountInput { amount: 1000, currency: "USD".into() }),
        expires_in_seconds: Some(86_400),
        ..SessionInput::new(SessionPurpose::Payment)
    };
    let hot = writer.sessions.create(merchant, new_session(), None).await.unwrap().id.0;
    let mut cold = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        cold.push(writer.sessions.create(merchant, new_session(), None).await.unwrap().id.0);
    }

    let baseline: Vec<u64> = servers.iter().map(|s| rss_kib(s.child.id())).collect();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let (frames_tx, mut frames_rx) = mpsc::unbounded_channel();
    let targets = (0..subscribers).map(|_| hot).chain(cold.iter().copied());
    for (i, session) in targets.enumerate() {
        let address = servers[i % 2].address.clone();
        tokio::spawn(client(address, key.clone(), session, ready_tx.clone(), frames_tx.clone()));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await; // do not flood the accept queue
        }
    }
    let total = subscribers + sessions;
    for n in 0..total {
        if tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await.is_err() {
            panic!("only {n} of {total} subscribers got their snapshot");
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded: Vec<u64> = servers.iter().map(|s| rss_kib(s.child.id())).collect();
    let grown: u64 = loaded.iter().zip(&baseline).map(|(after, before)| after.saturating_sub(*before)).sum();

    // 1. Paced changes on the session N clients follow.
    let mut commits = HashMap::new();
    for k in 0..changes {
        let to = if k % 2 == 0 { SessionStatus::Processing } else { SessionStatus::Open };
        let (version, at) = change(&writer, merchant, hot, to).await;
        commits.insert((hot, version), at);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (one_session, _) = collect(&mut frames_rx, &commits, subscribers * changes, Duration::from_secs(30)).await;

    // 2. One change on each of the M sessions, back to back.
    commits.clear();
    for session in &cold {
        let (version, at) = change(&writer, merchant, *session, SessionStatus::Processing).await;
        commits.insert((*session, version), at);
    }
    let (many_sessions, _) = collect(&mut frames_rx, &commits, sessions, Duration::from_secs(30)).await;

    // 3. A burst on the hot session: frames per second through both servers.
    commits.clear();
    let burst = 10;
    let start = Instant::now();
    for k in 0..burst {
        // The paced phase left the session OPEN (an even number of changes) or PROCESSING.
        let to = if (changes + k) % 2 == 0 { SessionStatus::Processing } else { SessionStatus::Open };
        let (version, at) = change(&writer, merchant, hot, to).await;
        commits.insert((hot, version), at);
    }
    let (burst_frames, last) = collect(&mut frames_rx, &commits, subscribers * burst, Duration::from_secs(30)).await;
    let elapsed = last.map_or(Duration::ZERO, |l| l.saturating_duration_since(start));

    println!(
        "fan-out benchmark: {subscribers} subscribers on one session, {sessions} sessions with one each, 2 instances, Redis {redis_url}"
    );
    report(&format!("one session, {subscribers} subscribers x {changes} changes"), one_session.clone());
    report(&format!("{sessions} sessions, one subscriber each"), many_sessions);
    println!(
        "burst: {burst} changes back to back, {} frames in {:.1} ms = {:.0} frames/s",
        burst_frames.len(),
        elapsed.as_secs_f64() * 1e3,
        burst_frames.len() as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    println!(
        "server memory: {grown} KiB more for {total} idle subscriptions = {:.1} KiB per subscription (RSS before {:?} KiB, after {:?} KiB)",
        grown as f64 / total as f64,
        baseline,
        loaded
    );
    let missing = subscribers * changes - one_session.len();
    if missing > 0 {
        println!("WARNING: {missing} frames did not arrive");
    }
}
