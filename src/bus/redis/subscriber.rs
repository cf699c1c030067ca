//! The process's one subscriber connection. Besides messages it watches its own health: a
//! PING every `heartbeat` must be answered within `heartbeat`, or the connection is dropped
//! and made again, and every subscription catches up from the log once it is back
//! (`Hub::resync`). Meanwhile the bus's state (`/readyz`) says `reconnecting`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;

use super::{CHANNEL_PREFIX, MAX_BACKOFF, NOTICES, TIMEOUT};
use crate::bus::{Hub, Notice, SessionEvent};

/// For as long as the process runs.
pub(super) async fn run(client: redis::Client, hub: Arc<Hub>, subscribed: Arc<AtomicBool>, heartbeat: Duration) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen(&client, &hub, &subscribed, heartbeat).await {
            Ok(()) => tracing::warn!("redis subscription ended; reconnecting"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "redis subscriber unavailable; retrying in {backoff:?}")
            }
        }
        if subscribed.swap(false, Ordering::Relaxed) {
            backoff = Duration::from_millis(100);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn listen(client: &redis::Client, hub: &Hub, subscribed: &AtomicBool, heartbeat: Duration) -> anyhow::Result<()> {
    let pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub()).await.context("connecting")??;
    let (mut sink, mut stream) = pubsub.split();
    tokio::time::timeout(TIMEOUT, sink.psubscribe(format!("{CHANNEL_PREFIX}*"))).await.context("subscribing")??;
    tokio::time::timeout(TIMEOUT, sink.subscribe(NOTICES)).await.context("subscribing")??;
    subscribed.store(true, Ordering::Relaxed);
    tracing::info!("redis subscriber connected");
    // Whatever was published while we were away is in the log: have everyone read it.
    hub.resync();
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) => deliver(hub, &message),
                None => return Ok(()),
            },
            _ = ticker.tick() => {
                tokio::time::timeout(heartbeat, sink.ping::<redis::Value>())
                    .await
                    .context("redis did not answer the heartbeat PING")?
                    .context("heartbeat PING")?;
            }
        }
    }
}

fn deliver(hub: &Hub, message: &redis::Msg) {
    let payload: String = match message.get_payload() {
        Ok(payload) => payload,
        Err(error) => {
            tracing::warn!(%error, "unreadable redis message");
            return;
        }
    };
    if message.get_channel_name() == NOTICES {
        match serde_json::from_str::<Notice>(&payload) {
            Ok(notice) => hub.dispatch_notice(notice),
            Err(error) => tracing::warn!(%error, "malformed notice on the bus"),
        }
        return;
    }
    match serde_json::from_str::<SessionEvent>(&payload) {
        Ok(event) => hub.dispatch(event),
        Err(error) => tracing::warn!(%error, "malformed event on the bus"),
    }
}
