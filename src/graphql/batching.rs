//! Batch loads that run inside the request that asked for them, so a level's siblings are
//! always one batch, whatever the load.
//!
//! async-graphql's DataLoader gathers the keys asked for within a delay (1 ms), on a task of
//! its own. On a busy machine the siblings of one level do not all ask within it: the
//! answers of the level above reach them one by one while that task and the request run on
//! different threads, and the batch splits, so a page of 50 took 5 to 22 statements where
//! an idle machine took 5. Here the loader's tasks are queued on the request instead, and
//! [`drive`] polls them from the request's own task, after the request: every sibling woken
//! by one answer asks before the next load takes the keys. The count then depends on the
//! query's shape alone.
//!
//! HTTP requests and a socket's queries and mutations are driven; subscription events are
//! not (a stream has no request task to drive it): their loads are spawned as before.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

/// The loads a request queued for [`drive`] to run.
#[derive(Clone, Default)]
pub struct LoaderTasks(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl LoaderTasks {
    /// The DataLoader's spawner: the task waits for the request's driver.
    pub fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.queue().push(task);
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.queue())
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<BoxFuture<'static, ()>>> {
        // A panic while holding the lock leaves at worst a task not run; take it anyway.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs `request` and the loads it queues on `tasks`, all in the caller's task: the request
/// first, then every load, again until neither moves.
pub async fn drive<F: Future + Unpin>(tasks: LoaderTasks, request: F) -> F::Output {
    Driven { request, tasks, running: FuturesUnordered::new() }.await
}

struct Driven<F> {
    request: F,
    tasks: LoaderTasks,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
}

impl<F: Future + Unpin> Future for Driven<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        for _ in 0..MAX_ROUNDS {
            // The request first, with a waker that notes a wake during its own poll: a
            // resolver that yielded (a long list is polled in slices) still has to ask.
            let woken = Arc::new(NotingWaker { woken: AtomicBool::new(false), inner: cx.waker().clone() });
            let waker = Waker::from(woken.clone());
            if let Poll::Ready(output) = Pin::new(&mut this.request).poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(output);
            }
            if woken.woken.load(Ordering::Acquire) {
                continue;
            }
            // The level has asked: the loads take its keys, and whatever they answer moves
            // the request again.
            let queued = this.tasks.take();
            let fresh = !queued.is_empty();
            this.running.extend(queued);
            let mut finished = false;
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished && !fresh {
                return Poll::Pending;
            }
        }
        // Still moving after many rounds: let the runtime run others (and renew this task's
        // budget) before going on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Rounds of one poll before the driver yields to the runtime.
const MAX_ROUNDS: usize = 64;

/// Forwards wakes to the task's waker, noting that one happened.
struct NotingWaker {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for NotingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}
