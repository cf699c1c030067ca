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

mod link;
mod subscriber;

pub use link::RedisLink;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures_util::future::BoxFuture;
use redis::IntoConnectionInfo;
use redis::io::tcp::TcpSettings;

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
    /// The publisher's connection: bounded by [`PUBLISH_BOUND`], resting [`REST`] after a failure.
    publisher: RedisLink,
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
            publisher: RedisLink::new(client.clone(), PUBLISH_BOUND, REST),
            client,
            hub,
            subscribed: Arc::default(),
        });
        tokio::spawn(subscriber::run(bus.client.clone(), bus.hub.clone(), bus.subscribed.clone(), heartbeat));
        Ok(bus)
    }

    /// PUBLISHes within [`PUBLISH_BOUND`], or fails at once while resting after a failure;
    /// the outbox relay publishes what failed.
    async fn try_publish(&self, channel: &str, payload: &str) -> Result<(), BusError> {
        self.publisher
            .run(|mut connection| async move {
                redis::cmd("PUBLISH").arg(channel).arg(payload).query_async::<i64>(&mut connection).await
            })
            .await
            .map(|_| ())
            .map_err(|error| BusError(format!("{error:#}")))
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
