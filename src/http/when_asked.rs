//! A layer that runs only for the requests that ask for what it does.
//!
//! CORS answers browsers, which send `Origin`; compression answers clients that send
//! `Accept-Encoding`. For every other request both layers only add a `Vary` header, yet
//! cost as much as the rest of a small query's HTTP handling (measured with the request-path
//! benchmark). `WhenAsked` hands such a request straight to the route, adding the same
//! `Vary` for a browser's request (one with `Origin`), whose cache keys answers on it. Other
//! clients get none: shared caches do not keep answers to requests with credentials, and on
//! a phone's status check the two `Vary` lines were 100 of its 400 bytes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::http::header::{ORIGIN, VARY};
use axum::http::{HeaderName, HeaderValue, Request, Response};
use futures_util::future::{BoxFuture, Either, FutureExt};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};

/// Runs `layer` for requests that carry `asks_with`; the rest get `vary` only, and only
/// when a browser sent them.
pub struct WhenAsked<L> {
    layer: Arc<L>,
    asks_with: HeaderName,
    vary: HeaderValue,
}

impl<L> Clone for WhenAsked<L> {
    fn clone(&self) -> Self {
        WhenAsked { layer: self.layer.clone(), asks_with: self.asks_with.clone(), vary: self.vary.clone() }
    }
}

impl<L> WhenAsked<L> {
    pub fn new(layer: L, asks_with: HeaderName, vary: &'static str) -> Self {
        WhenAsked { layer: Arc::new(layer), asks_with, vary: HeaderValue::from_static(vary) }
    }
}

impl<L, S> Layer<S> for WhenAsked<L> {
    type Service = WhenAskedService<L, S>;

    fn layer(&self, inner: S) -> Self::Service {
        WhenAskedService { asked: self.clone(), inner }
    }
}

pub struct WhenAskedService<L, S> {
    asked: WhenAsked<L>,
    inner: S,
}

impl<L, S: Clone> Clone for WhenAskedService<L, S> {
    fn clone(&self) -> Self {
        WhenAskedService { asked: self.asked.clone(), inner: self.inner.clone() }
    }
}

impl<L, S, B, LB> Service<Request<B>> for WhenAskedService<L, S>
where
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    L: Layer<S>,
    L::Service: Service<Request<B>, Response = Response<LB>, Error = S::Error> + Send + 'static,
    <L::Service as Service<Request<B>>>::Future: Send,
    LB: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    LB::Error: Into<axum::BoxError>,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Either<BoxFuture<'static, Result<Response<Body>, S::Error>>, WithVary<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if request.headers().contains_key(&self.asked.asks_with) {
            let layered = self.asked.layer.layer(self.inner.clone());
            let answer = layered.oneshot(request).map(|answer| answer.map(|response| response.map(Body::new)));
            return Either::Left(answer.boxed());
        }
        // Not boxed: most requests take this way, and a box is an allocation and a copy.
        let vary = request.headers().contains_key(ORIGIN).then(|| self.asked.vary.clone());
        Either::Right(WithVary { answer: self.inner.call(request), vary })
    }
}

pin_project! {
    /// The route's own answer, with the `Vary` the layer would have added.
    pub struct WithVary<F> {
        #[pin]
        answer: F,
        vary: Option<HeaderValue>,
    }
}

impl<F, E> Future for WithVary<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.answer.poll(cx))?;
        if let Some(vary) = this.vary.take() {
            response.headers_mut().append(VARY, vary);
        }
        Poll::Ready(Ok(response))
    }
}
