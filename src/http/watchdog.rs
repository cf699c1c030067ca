//! The header-read timeout, kept per connection rather than per request.
//!
//! hyper's own `header_read_timeout` boxes a fresh sleep for every request and registers it
//! in tokio's timer wheel, a lock both worker threads take, then removes it once the headers
//! are in: on a small query that was a twentieth of the time a request took. Here each
//! connection has one ticker instead, and requests only count themselves (two atomic adds on
//! a counter that no other connection touches).
//!
//! A connection is closed when, for a whole timeout, it has no request in flight, starts no
//! new one and has no answer waiting for the client to read it: a client has the timeout to
//! send a request's headers after it connects or after its last response was written, and
//! is cut off between one and one and a half timeouts later. A request in flight (a slow
//! body included) is the request timeout's business, and an answer being read, however
//! slowly, is the client's, as it was under hyper's own timer.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// What one connection's requests have done.
#[derive(Default)]
pub struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    /// A write waits for the client to read: an answer is still on its way.
    writing: AtomicBool,
}

/// Counts a request as finished when dropped: answered, or dropped with its connection.
pub struct InFlight(Arc<Activity>);

impl Activity {
    /// Counts a request whose headers are in; it is in flight until the guard is dropped.
    pub fn start(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Notes whether a write (or flush) now waits for the client to read.
    fn note_write<T>(&self, written: Poll<T>) -> Poll<T> {
        self.writing.store(written.is_pending(), Ordering::Relaxed);
        written
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// Returns once the connection has been idle for at least `timeout` (no request started or
/// in flight, no write waiting for the client): the caller then drops the connection.
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
        let busy = started != activity.finished.load(Ordering::Relaxed) || activity.writing.load(Ordering::Relaxed);
        if busy {
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

pin_project! {
    /// A connection's socket, telling its `Activity` whether a write waits for the client.
    pub struct Watched<IO> {
        #[pin]
        io: IO,
        activity: Arc<Activity>,
    }
}

impl<IO> Watched<IO> {
    pub fn new(io: IO, activity: Arc<Activity>) -> Self {
        Watched { io, activity }
    }
}

impl<IO: AsyncRead> AsyncRead for Watched<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite> AsyncWrite for Watched<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.activity.note_write(this.io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.activity.note_write(this.io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        this.activity.note_write(this.io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}
