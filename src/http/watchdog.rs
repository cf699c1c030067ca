//! The header-read timeout, kept per connection rather than per request.
//!
//! hyper's own `header_read_timeout` boxes a fresh sleep for every request and registers it
//! in tokio's timer wheel, a lock both worker threads take, then removes it once the headers
//! are in: on a small query that was a twentieth of the time a request took. Here each
//! connection has one ticker instead, and requests only count themselves (two atomic adds on
//! a counter that no other connection touches).
//!
//! A connection with no request in flight that starts no new one for a whole timeout is
//! closed: a client has the timeout to send a request's headers after it connects or after
//! its last response was written, and is cut off between one and one and a half timeouts
//! later. A request in flight (a slow body included) is the request timeout's business.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// What one connection's requests have done.
#[derive(Default)]
pub struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
}

/// Counts a request as finished when dropped: answered, or dropped with its connection.
pub struct InFlight(Arc<Activity>);

impl Activity {
    /// Counts a request whose headers are in; it is in flight until the guard is dropped.
    pub fn start(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// Returns once the connection has been idle, with no request started or in flight, for
/// at least `timeout`: the caller then drops the connection.
pub async fn idle(activity: Arc<Activity>, timeout: Duration) {
    let period = (timeout / 2).max(Duration::from_millis(1));
    let mut ticks = interval_at(Instant::now() + period, period);
    // A busy moment must not count towards idleness if the process was starved a while.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Requests started as of the last tick; `None` after a busy tick, so that the first
    // quiet tick after a response starts the count afresh.
    let mut seen = Some(0);
    let mut quiet_ticks = 0;
    loop {
        ticks.tick().await;
        let started = activity.started.load(Ordering::Relaxed);
        if started != activity.finished.load(Ordering::Relaxed) {
            (seen, quiet_ticks) = (None, 0);
            continue;
        }
        if seen != Some(started) {
            (seen, quiet_ticks) = (Some(started), 0);
            continue;
        }
        quiet_ticks += 1;
        if quiet_ticks == 2 {
            return;
        }
    }
}
