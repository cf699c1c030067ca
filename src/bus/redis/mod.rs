//! Redis pub/sub: the live stream shared by every instance.
//!
//! Events go on one channel per merchant (`paygraph:events:<merchant>`), ready for Redis
//! Cluster's sharded pub/sub. Each process holds ONE subscriber connection, pattern-subscribed
//! to every merchant's channel, and fans out through its hub; it never opens a connection per
//! client. The subscriber reconnects with backoff and, once back, tells every subscription to
//! catch up from the log, since messages published meanwhile were not received.
//!
//! A publish also goes to the local hub at once, so this instance's subscribers do not wait
//! for the round trip (and still see changes while Redis is down); the copy that comes back
//! from Redis is dropped as a duplicate by version.
//!
//! A Redis that stops answering without closing its connections (a frozen process, a
//! partition) must not hold up mutations: a publish gives up after [`PUBLISH_BOUND`], and for
//! [`REST`] after a failure none is tried, so each mutation pays the bound at most once; the
//! outbox relay publishes what was left. The subscriber's side is in `subscriber`.

mod subscriber;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::time::Instant;

use anyhow::Context;
use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use redis::io::tcp::TcpSettings;
use redis::{AsyncConnectionConfig, IntoConnectionInfo};
use tokio::sync::Mutex;

use super::{BusError, EventBus, Hub, Notice, SessionEvent};

const MAX_BACKOFF: Duration = Duration::from_secs(5);

const CHANNEL_PREFIX: &str = "paygraph:events:";
/// Notices (a key revoked or rolled) for every instance.
const NOTICES: &str = "paygraph:notices";
const TIMEOUT: Duration = Duration::from_secs(1);

/// The longest a publish may hold up the mutation that made the event.
const PUBLISH_BOUND: Duration = Duration::from_millis(250);
/// How long publishes are not tried after one failed.
const REST: Duration = Duration::from_secs(1);

pub struct RedisBus {
    client: redis::Client,
    publisher: Mutex<Option<MultiplexedConnection>>,
    /// Publishes are not tried before this instant (Redis just failed one).
    resting_until: std::sync::Mutex<Option<Instant>>,
    hub: Arc<Hub>,
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    /// Starts the bus and its subscriber task. Redis need not be up yet: the subscriber keeps
    /// trying, and publishes fail over to the outbox relay meanwhile.
    /// The subscriber checks its connection every `heartbeat` (see `subscriber`).
    pub fn start(url: &str, hub: Arc<Hub>, heartbeat: Duration) -> anyhow::Result<Arc<Self>> {
        let info = url.into_connection_info().context("parsing REDIS_URL")?;
        // Keepalive probes find a peer that vanished without a word; the heartbeat finds one
        // whose kernel still answers but whose process does not.
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(10))
            .with_interval(Duration::from_secs(5))
            .with_retries(3);
        let info = info.set_tcp_settings(TcpSettings::default().set_nodelay(true).set_keepalive(keepalive));
        let client = redis::Client::open(info).context("parsing REDIS_URL")?;
        let bus = Arc::new(RedisBus {
            client,
            publisher: Mutex::new(None),
            resting_until: std::sync::Mutex::new(None),
            hub,
            subscribed: Arc::default(),
        });
        tokio::spawn(subscriber::run(bus.client.clone(), bus.hub.clone(), bus.subscribed.clone(), heartbeat));
        Ok(bus)
    }

    fn config() -> AsyncConnectionConfig {
        AsyncConnectionConfig::new().set_connection_timeout(Some(TIMEOUT)).set_response_timeout(Some(TIMEOUT))
    }

    /// The publisher connection, made on first use and after a failure.
    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut guard = self.publisher.lock().await;
        if let Some(connection) = guard.as_ref() {
            return Ok(connection.clone());
        }
        let connection = self.client.get_multiplexed_async_connection_with_config(&Self::config()).await?;
        Ok(guard.insert(connection).clone())
    }

    /// PUBLISHes within [`PUBLISH_BOUND`], or fails at once while resting after a failure.
    async fn try_publish(&self, channel: &str, payload: &str) -> Result<(), BusError> {
        let resting = self.resting_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Instant::now() < t);
        if resting {
            return Err(BusError("redis failed a moment ago; the outbox relay will publish".into()));
        }
        let attempt = async {
            let mut connection = self.connection().await?;
            redis::cmd("PUBLISH").arg(channel).arg(payload).query_async::<i64>(&mut connection).await
        };
        let error = match tokio::time::timeout(PUBLISH_BOUND, attempt).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {PUBLISH_BOUND:?}"),
        };
        // Start afresh next time rather than reuse a connection in an unknown state.
        *self.publisher.lock().await = None;
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + REST);
        Err(BusError(error))
    }
}

impl EventBus for RedisBus {
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            self.hub.dispatch(event.clone());
            let payload = serde_json::to_string(event).map_err(|e| BusError(e.to_string()))?;
            let channel = format!("{CHANNEL_PREFIX}{}", event.merchant_id);
            self.try_publish(&channel, &payload).await
        })
    }

    fn notify<'a>(&'a self, notice: Notice) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            self.hub.dispatch_notice(notice);
            let payload = serde_json::to_string(&notice).map_err(|e| BusError(e.to_string()))?;
            self.try_publish(NOTICES, &payload).await
        })
    }

    fn state(&self) -> &'static str {
        if self.subscribed.load(Ordering::Relaxed) { "connected" } else { "reconnecting" }
    }
}
