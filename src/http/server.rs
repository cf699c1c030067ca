//! Serving connections. axum's `serve` has no header-read timeout, so a client that sends
//! its headers a byte a minute holds its connection for ever; here each connection has one
//! (`watchdog`), and the number of open connections is capped: past the cap, the next
//! connection is accepted only when one closes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tracing::Instrument;

use super::watchdog::{self, Activity, Watched};

/// Bounds of the connections themselves.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's headers, once connected or answered.
    pub header_read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// How long in-flight requests may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections
/// finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http2().timer(TokioTimer::new());
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tracing::trace!(%peer, "connection accepted");
        // Live frames are small and must leave at once: Nagle's algorithm would hold a frame
        // back until the previous one is acknowledged (up to 40 ms with delayed ACKs).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let activity = Arc::new(Activity::default());
        let requests = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            let in_flight = requests.start();
            let span = crate::telemetry::request_span(&request);
            let router = router.clone();
            async move {
                let started = std::time::Instant::now();
                let response = router.oneshot(request).await;
                if let Ok(response) = &response {
                    let status = response.status().as_u16();
                    tracing::debug!(status, micros = started.elapsed().as_micros() as u64, "answered");
                }
                response.map(|response| in_flight_while_streaming(response, in_flight))
            }
            .instrument(span)
        });
        let stream = TokioIo::new(Watched::new(stream, activity.clone()));
        let connection = builder.serve_connection_with_upgrades(stream, service).into_owned();
        let connection = graceful.watch(connection);
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => match ended {
                    Ok(()) => tracing::trace!(%peer, "connection closed"),
                    Err(error) => tracing::debug!(%peer, %error, "connection ended with an error"),
                },
                () = watchdog::idle(activity, header_read_timeout) => {
                    tracing::debug!(%peer, "no request headers within the header-read timeout; closing");
                }
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
    Ok(())
}

/// An event stream is a request in flight for as long as it streams: the idle watchdog
/// would otherwise cut a quiet one off. Any other answer's request ends with its head.
fn in_flight_while_streaming(
    response: axum::response::Response,
    in_flight: watchdog::InFlight,
) -> axum::response::Response {
    use futures_util::StreamExt;
    let streams = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    if !streams {
        return response;
    }
    response.map(|body| {
        axum::body::Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _held = &in_flight;
            chunk
        }))
    })
}
