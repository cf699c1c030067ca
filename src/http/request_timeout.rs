//! The whole-request timeout: a request that takes longer, body included, ends with 408.
//!
//! tower-http's `TimeoutLayer` makes a tokio sleep for every request before the handler
//! runs. Most small queries are answered in their first poll and never need it, so here the
//! deadline is taken when the request arrives and the sleep is made only once the handler
//! first has to wait: a request answered at once costs one clock read.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{Response, StatusCode};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};
use tower::{Layer, Service};

/// Answers 408 with an empty body once a request has taken `timeout`.
#[derive(Clone, Copy, Debug)]
pub struct RequestTimeoutLayer {
    timeout: Duration,
}

impl RequestTimeoutLayer {
    pub fn new(timeout: Duration) -> Self {
        RequestTimeoutLayer { timeout }
    }
}

impl<S> Layer<S> for RequestTimeoutLayer {
    type Service = RequestTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestTimeout { inner, timeout: self.timeout }
    }
}

#[derive(Clone, Debug)]
pub struct RequestTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, R, B> Service<R> for RequestTimeout<S>
where
    S: Service<R, Response = Response<B>>,
    B: Default,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = TimedResponse<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let deadline = Instant::now() + self.timeout;
        TimedResponse { inner: self.inner.call(request), deadline, sleep: None }
    }
}

pin_project! {
    pub struct TimedResponse<F> {
        #[pin]
        inner: F,
        deadline: Instant,
        // Made at the handler's first wait.
        #[pin]
        sleep: Option<Sleep>,
    }
}

impl<F, B, E> Future for TimedResponse<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(response) = this.inner.poll(cx) {
            return Poll::Ready(response);
        }
        if this.sleep.is_none() {
            this.sleep.set(Some(sleep_until(*this.deadline)));
        }
        match this.sleep.as_pin_mut().map(|sleep| sleep.poll(cx)) {
            Some(Poll::Ready(())) => {
                let mut response = Response::new(B::default());
                *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
                Poll::Ready(Ok(response))
            }
            _ => Poll::Pending,
        }
    }
}
