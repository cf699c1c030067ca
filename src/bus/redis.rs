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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

use super::{BusError, EventBus, Hub, Notice, SessionEvent};

const CHANNEL_PREFIX: &str = "paygraph:events:";
/// Notices (a key revoked or rolled) for every instance.
const NOTICES: &str = "paygraph:notices";
const TIMEOUT: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct RedisBus {
    client: redis::Client,
    publisher: Mutex<Option<MultiplexedConnection>>,
    hub: Arc<Hub>,
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    /// Starts the bus and its subscriber task. Redis need not be up yet: the subscriber keeps
    /// trying, and publishes fail over to the outbox relay meanwhile.
    pub fn start(url: &str, hub: Arc<Hub>) -> anyhow::Result<Arc<Self>> {
        let client = redis::Client::open(url).context("parsing REDIS_URL")?;
        let bus = Arc::new(RedisBus { client, publisher: Mutex::new(None), hub, subscribed: Arc::default() });
        tokio::spawn(subscriber(bus.client.clone(), bus.hub.clone(), bus.subscribed.clone()));
        Ok(bus)
    }

    fn config() -> AsyncConnectionConfig {
        AsyncConnectionConfig::new().set_connection_timeout(Some(TIMEOUT)).set_response_timeout(Some(TIMEOUT))
    }

    async fn try_publish(&self, channel: &str, payload: &str) -> redis::RedisResult<()> {
        let mut guard = self.publisher.lock().await;
        let connection = match guard.as_mut() {
            Some(connection) => connection,
            None => guard.insert(self.client.get_multiplexed_async_connection_with_config(&Self::config()).await?),
        };
        let result: redis::RedisResult<i64> =
            redis::cmd("PUBLISH").arg(channel).arg(payload).query_async(connection).await;
        if result.is_err() {
            // Start afresh next time rather than reuse a connection in an unknown state.
            *guard = None;
        }
        result.map(|_| ())
    }
}

impl EventBus for RedisBus {
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            self.hub.dispatch(event.clone());
            let payload = serde_json::to_string(event).map_err(|e| BusError(e.to_string()))?;
            let channel = format!("{CHANNEL_PREFIX}{}", event.merchant_id);
            self.try_publish(&channel, &payload).await.map_err(|e| BusError(e.to_string()))
        })
    }

    fn notify<'a>(&'a self, notice: Notice) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            self.hub.dispatch_notice(notice);
            let payload = serde_json::to_string(&notice).map_err(|e| BusError(e.to_string()))?;
            self.try_publish(NOTICES, &payload).await.map_err(|e| BusError(e.to_string()))
        })
    }

    fn state(&self) -> &'static str {
        if self.subscribed.load(Ordering::Relaxed) { "connected" } else { "reconnecting" }
    }
}

/// The process's one subscriber connection, for as long as the process runs.
async fn subscriber(client: redis::Client, hub: Arc<Hub>, subscribed: Arc<AtomicBool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen(&client, &hub, &subscribed).await {
            Ok(()) => tracing::warn!("redis subscription ended; reconnecting"),
            Err(error) => tracing::warn!(%error, "redis subscriber unavailable; retrying in {backoff:?}"),
        }
        if subscribed.swap(false, Ordering::Relaxed) {
            backoff = Duration::from_millis(100);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn listen(client: &redis::Client, hub: &Hub, subscribed: &AtomicBool) -> anyhow::Result<()> {
    let mut pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub()).await.context("connecting")??;
    pubsub.psubscribe(format!("{CHANNEL_PREFIX}*")).await?;
    pubsub.subscribe(NOTICES).await?;
    subscribed.store(true, Ordering::Relaxed);
    tracing::info!("redis subscriber connected");
    // Whatever was published while we were away is in the log: have everyone read it.
    hub.resync();
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let payload: String = match message.get_payload() {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "unreadable redis message");
                continue;
            }
        };
        if message.get_channel_name() == NOTICES {
            match serde_json::from_str::<Notice>(&payload) {
                Ok(notice) => hub.dispatch_notice(notice),
                Err(error) => tracing::warn!(%error, "malformed notice on the bus"),
            }
            continue;
        }
        match serde_json::from_str::<SessionEvent>(&payload) {
            Ok(event) => hub.dispatch(event),
            Err(error) => tracing::warn!(%error, "malformed event on the bus"),
        }
    }
    Ok(())
}
