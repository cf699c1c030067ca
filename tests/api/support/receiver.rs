//! A webhook receiver on loopback that tests steer: it accepts, accepts slowly, fails (500),
//! or stalls past the sender's timeout, for every event or for one session's only; it
//! records what came, and the most requests it held at once.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept = 0,
    Fail = 1,
    Stall = 2,
    /// Accepts after 100 ms.
    Slow = 3,
}

/// One request as it arrived.
#[derive(Clone)]
pub struct Received {
    pub body: Value,
    pub raw: Vec<u8>,
    pub signature: String,
    /// Answered 2xx.
    pub accepted: bool,
}

#[derive(Default)]
struct Inner {
    mode: AtomicU8,
    /// Only this session's events get the mode; the others are accepted.
    only_session: Mutex<Option<String>>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    most_at_once: AtomicUsize,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, raw: Bytes) -> (StatusCode, &'static str) {
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let signature = headers.get("paygraph-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let only = inner.only_session.lock().unwrap().clone();
    let applies = only.is_none_or(|session| body["paymentSessionId"] == session.as_str());
    let mode = if applies { inner.mode.load(Ordering::SeqCst) } else { Mode::Accept as u8 };
    let accepted = mode == Mode::Accept as u8 || mode == Mode::Slow as u8;
    inner.received.lock().unwrap().push(Received { body, raw: raw.to_vec(), signature, accepted });
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.most_at_once.fetch_max(now, Ordering::SeqCst);
    let answer = match mode {
        0 => (StatusCode::OK, "ok"),
        1 => (StatusCode::INTERNAL_SERVER_ERROR, "receiver is down for maintenance"),
        3 => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (StatusCode::OK, "ok")
        }
        _ => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::OK, "too late")
        }
    };
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    answer
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner::default());
        let router = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, inner }
    }

    pub fn set(&self, mode: Mode) {
        self.inner.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// The mode applies to `session`'s events only (none: to all).
    pub fn only_for(&self, session: Option<&str>) {
        *self.inner.only_session.lock().unwrap() = session.map(str::to_owned);
    }

    /// The most requests it was answering at once.
    pub fn most_at_once(&self) -> usize {
        self.inner.most_at_once.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// The bodies it accepted, in arrival order.
    pub fn accepted(&self) -> Vec<Value> {
        self.received().into_iter().filter(|r| r.accepted).map(|r| r.body).collect()
    }

    /// Waits (at most `within`) until `done` holds for what it has received.
    pub async fn wait_until(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if done(&self.received()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        done(&self.received())
    }
}

/// Per session, the versions it accepted, in arrival order.
pub fn versions_by_session(bodies: &[Value]) -> std::collections::BTreeMap<String, Vec<i64>> {
    let mut by_session: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for body in bodies {
        let session = body["paymentSessionId"].as_str().unwrap_or_default().to_owned();
        by_session.entry(session).or_default().push(body["version"].as_i64().unwrap_or(-1));
    }
    by_session
}
