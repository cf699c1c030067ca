//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket, in both `graphql-transport-ws`
//! and the legacy `graphql-ws` (subscriptions-transport-ws) protocol.
//!
//! Credentials come in `connection_init` (`{"authorization": "Bearer …"}`); none or wrong
//! closes the connection. Around async-graphql's protocol handling this loop adds what a
//! long-lived connection needs: a server ping every `ping_seconds` (a peer that answers none
//! of two is dropped), a deadline for `connection_init`, an idle timeout for a
//! connection that holds no subscription, and the door (`door`): every operation passes the
//! rules HTTP applies, and a credential revoked, or rolled past its grace, closes its
//! sockets (4403 `Forbidden`) as soon as any instance hears of it.

mod door;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket as GraphqlWebSocket, WebSocketProtocols, WsMessage};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::header::SEC_WEBSOCKET_PROTOCOL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt, future};

use self::door::{SocketCredential, SocketExecutor};
use super::AppState;
use super::client_ip::ClientIp;
use super::door::Provenance;
use super::throttling;
use crate::graphql::RequestData;
use crate::graphql::socket::{ConnectionState, CredentialSubscriptions, SocketLimits};
use crate::service::credentials::Verified;
use crate::throttle::counter::Permit;
use crate::throttle::{By, Route, ip_key};

/// Counts a socket in the metrics for as long as it lives.
struct SocketGauge(Arc<crate::telemetry::Metrics>);

impl Drop for SocketGauge {
    fn drop(&mut self) {
        self.0.socket_closed();
    }
}

pub async fn upgrade(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The first subprotocol the client offers that we speak; none: 400.
    let protocol = headers
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| offered.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok()));
    let from = Provenance::of(&headers);
    let Some(protocol) = protocol else {
        return (StatusCode::BAD_REQUEST, "offer the graphql-transport-ws or graphql-ws subprotocol").into_response();
    };
    if let Err(limited) = state.throttle_ip(Route::Socket, client_ip, 1).await {
        let refusal = (StatusCode::TOO_MANY_REQUESTS, throttling::message(limited)).into_response();
        return throttling::too_many_requests(refusal, limited);
    }
    // Sockets held open at once by this address (upgrades per minute are the rate limit).
    let ip_permit = match client_ip {
        Some(ip) => match state.sockets.acquire(format!("ip:{}", ip_key(ip)), state.live.max_connections_per_ip) {
            Some(permit) => Some(permit),
            None => return (StatusCode::TOO_MANY_REQUESTS, "too many open sockets from this address").into_response(),
        },
        None => None,
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Small buffers: a dashboard's socket is idle most of the time, and tungstenite's
        // defaults (128 KiB each way) would dominate the memory of an idle subscription.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| serve(state, socket, protocol, Peer { client_ip, from }, ip_permit))
}

/// Read buffer per socket; it grows as needed for a larger message.
const READ_BUFFER: usize = 1024;
/// Largest message a client may send (a subscribe message with its query and variables).
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;

/// Where a socket comes from.
struct Peer {
    client_ip: Option<IpAddr>,
    from: Provenance,
}

/// Why the server closes a socket: the credential may no longer open it.
const FORBIDDEN: (u16, &str) = (4403, "Forbidden");

async fn serve(
    state: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    peer: Peer,
    _ip_permit: Option<Permit>,
) {
    let Peer { client_ip, from } = peer;
    state.services.core.metrics.socket_opened();
    let _gauge = SocketGauge(state.services.core.metrics.clone());
    let live = state.live.clone();
    let connection = ConnectionState::new(SocketLimits {
        max_subscriptions: live.max_subscriptions_per_connection,
        max_in_flight: live.max_in_flight,
    });
    let (mut sink, stream) = socket.split();

    let last_pong = Arc::new(Mutex::new(Instant::now()));
    let pong_seen = last_pong.clone();
    let input = stream
        .take_while(|message| future::ready(!matches!(message, Err(_) | Ok(Message::Close(_)))))
        .filter_map(move |message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                Ok(Message::Pong(_)) => {
                    *pong_seen.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
                    None
                }
                _ => None,
            })
        });

    let (sockets, conn) = (state.sockets.clone(), connection.clone());
    let subscriptions = state.subscriptions.clone();
    let door = state.clone();
    let executor = state.live_executor.clone();
    let (max_per_key, max_subscriptions) = (live.max_connections_per_key, live.max_subscriptions_per_key);
    // What `connection_init` established, for the loop below to look at again.
    let opened: Arc<OnceLock<(String, Verified)>> = Arc::default();
    let (opening, closing) = (opened.clone(), Arc::new(Mutex::new(None::<(u16, &'static str)>)));
    let refusing = closing.clone();
    let socket_executor = SocketExecutor(state.clone());
    let mut graphql =
        GraphqlWebSocket::new(socket_executor, input, protocol).on_connection_init(move |payload| async move {
            let token = token_of(&payload)?;
            let verified = {
                let _turn = executor.admit().await;
                door.services.auth.verified(&token).await.map_err(crate::graphql::errors::gql)?
            };
            let verified = verified.ok_or_else(|| async_graphql::Error::new("unauthorized"))?;
            let caller = verified.caller;
            if door.admit_origin(caller, &from).is_err() {
                *refusing.lock().unwrap_or_else(|p| p.into_inner()) = Some(FORBIDDEN);
                return Err(async_graphql::Error::new(super::door::ORIGIN_REFUSED));
            }
            if let Err(limited) = door.throttle_caller(Route::Socket, By::Credential, caller, 1).await {
                let error = async_graphql::Error::new(throttling::message(limited));
                return Err(async_graphql::ErrorExtensions::extend_with(error, |_, e| e.set("code", "RATE_LIMITED")));
            }
            let permit = sockets
                .acquire(format!("credential:{}", caller.budget_key()), max_per_key)
                .ok_or_else(|| async_graphql::Error::new("too many connections for this credential"))?;
            conn.mark_initialized(CredentialSubscriptions {
                counter: subscriptions,
                key: format!("credential:{}", caller.budget_key()),
                max: max_subscriptions,
            });
            let _ = opening.set((token.clone(), verified));
            let mut data = Data::default();
            data.insert(RequestData::new(Some(caller), client_ip).with_origin(from.origin().map(str::to_owned)));
            data.insert(SocketCredential { token, client_ip, from });
            data.insert(conn);
            data.insert(Arc::new(permit));
            Ok(data)
        });
    let mut credential_changes = state.services.auth.credential_changes();
    credential_changes.mark_unchanged();

    let ping_every = Duration::from_secs(live.ping_seconds.max(1));
    let idle_after = Duration::from_secs(live.idle_seconds.max(1));
    let init_deadline = tokio::time::sleep(Duration::from_secs(live.init_seconds.max(1)));
    tokio::pin!(init_deadline);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    // The end of a rolled key's grace as last looked up (`None`: as `connection_init` found it).
    let mut grace_ends: Option<Option<DateTime<Utc>>> = None;
    loop {
        let grace = grace_ends.unwrap_or_else(|| opened.get().and_then(|(_, verified)| verified.expires_at));
        let grace_left = grace.map(|at| (at - state.services.core.now()).to_std().unwrap_or_default());
        tokio::select! {
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let close = *closing.lock().unwrap_or_else(|p| p.into_inner());
                    let (code, reason) = close.map_or((code, reason), |(code, reason)| (code, reason.to_owned()));
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => {
                    // The legacy protocol refuses `connection_init` with a message, then ends.
                    let close = *closing.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some((code, reason)) = close {
                        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    }
                    break;
                }
            },
            changed = credential_changes.changed(), if opened.get().is_some() => {
                if changed.is_err() {
                    continue;
                }
                match still_open(&state, &opened).await {
                    Some(expires_at) => grace_ends = Some(expires_at),
                    None => {
                        close_forbidden(&mut sink, protocol).await;
                        break;
                    }
                }
            }
            () = tokio::time::sleep(grace_left.unwrap_or_default()), if grace_left.is_some() => {
                match still_open(&state, &opened).await {
                    Some(expires_at) => grace_ends = Some(expires_at),
                    None => {
                        close_forbidden(&mut sink, protocol).await;
                        break;
                    }
                }
            }
            () = &mut init_deadline, if !connection.initialized() => {
                let reason = "Connection initialisation timeout";
                let _ = sink.send(Message::Close(Some(CloseFrame { code: 4408, reason: reason.into() }))).await;
                break;
            }
            _ = ticker.tick() => {
                let silent_for = last_pong.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                let close = if connection.idle_for().is_some_and(|idle| idle >= idle_after) {
                    Some((1000, "idle"))
                } else if silent_for > ping_every * 2 + Duration::from_secs(1) {
                    break; // The peer is gone; nothing to say goodbye to.
                } else {
                    None
                };
                if let Some((code, reason)) = close {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Whether the socket's credential still opens it, looked up again: `Some` with when to look
/// next (the end of a rolled key's grace, if any), `None` once it is revoked or past that
/// end. A database that cannot answer leaves the socket open and asks again in a second, so
/// a grace that ends meanwhile is not forgotten.
async fn still_open(state: &AppState, opened: &OnceLock<(String, Verified)>) -> Option<Option<DateTime<Utc>>> {
    let (token, _) = opened.get()?;
    // After `Notice::Lost` every socket looks again at once: they take turns reading the
    // database, as sockets being opened do, and the first of each credential fills the cache.
    let _turn = state.live_executor.admit().await;
    match state.services.auth.verified(token).await {
        Ok(Some(verified)) => Some(verified.expires_at),
        Ok(None) => None,
        Err(_) => Some(Some(state.services.core.now() + chrono::Duration::seconds(1))),
    }
}

/// Closes the socket of a credential that no longer opens it: 4403 in graphql-transport-ws;
/// the legacy protocol, which has no close codes of its own, hears `connection_error` first.
async fn close_forbidden(sink: &mut SplitSink<WebSocket, Message>, protocol: WebSocketProtocols) {
    if protocol == WebSocketProtocols::SubscriptionsTransportWS {
        let message = r#"{"type":"connection_error","payload":{"message":"Forbidden"}}"#;
        let _ = sink.send(Message::Text(message.into())).await;
    }
    let (code, reason) = FORBIDDEN;
    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

/// Reads the token of `authorization` in the `connection_init` payload.
fn token_of(payload: &serde_json::Value) -> async_graphql::Result<String> {
    let header =
        payload.get("authorization").or_else(|| payload.get("Authorization")).and_then(|v| v.as_str()).ok_or_else(
            || async_graphql::Error::new("send {\"authorization\": \"Bearer <key>\"} in connection_init"),
        )?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).unwrap_or(header).trim();
    Ok(token.to_owned())
}
