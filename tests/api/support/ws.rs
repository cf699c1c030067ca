//! A GraphQL-over-WebSocket client speaking both protocols, for the live-status tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// `graphql-ws` (the legacy subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        }
    }
}

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    protocol: Protocol,
}

/// What one subscription said next.
#[derive(Debug)]
pub enum Frame {
    Next(Value),
    Error(Value),
    Complete,
}

const WAIT: Duration = Duration::from_secs(15);

impl WsClient {
    /// Connects and completes `connection_init`; `Err` carries why the server refused.
    pub async fn connect(http_address: &str, protocol: Protocol, init: Value) -> Result<WsClient, String> {
        let mut client = Self::open(http_address, protocol).await?;
        client.send(json!({ "type": "connection_init", "payload": init })).await;
        loop {
            match client.read().await {
                Some(message) if message["type"] == "connection_ack" => return Ok(client),
                Some(message) if message["type"] == "ka" => continue,
                Some(message) => return Err(message.to_string()),
                None => return Err("closed".into()),
            }
        }
    }

    /// Opens the socket and says nothing yet.
    pub async fn open(http_address: &str, protocol: Protocol) -> Result<WsClient, String> {
        Self::open_from(http_address, protocol, None).await
    }

    /// Connects as a browser page of `origin` would, and sends `connection_init`; `Err`
    /// carries the server's refusal (a close: `{"type":"closed","code":…}`).
    pub async fn connect_from(
        http_address: &str,
        protocol: Protocol,
        init: Value,
        origin: &str,
    ) -> Result<WsClient, String> {
        let mut client = Self::open_from(http_address, protocol, Some(origin)).await?;
        client.send(json!({ "type": "connection_init", "payload": init })).await;
        loop {
            match client.read().await {
                Some(message) if message["type"] == "connection_ack" => return Ok(client),
                Some(message) if message["type"] == "ka" => continue,
                // The legacy protocol says why before it closes: the close's code is the answer.
                Some(message) if message["type"] == "connection_error" => continue,
                Some(message) => return Err(message.to_string()),
                None => return Err("closed".into()),
            }
        }
    }

    /// Opens the socket (with `Origin`, as a browser does) and says nothing yet.
    pub async fn open_from(http_address: &str, protocol: Protocol, origin: Option<&str>) -> Result<WsClient, String> {
        let url = format!("{}/graphql/ws", http_address.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", protocol.name().parse().unwrap());
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
        Ok(WsClient { socket, protocol })
    }

    /// Connects with a bearer token.
    pub async fn with_token(http_address: &str, protocol: Protocol, token: &str) -> WsClient {
        Self::with_token_checked(http_address, protocol, token).await.unwrap()
    }

    /// Connects with a bearer token, or says why the server refused.
    pub async fn with_token_checked(http_address: &str, protocol: Protocol, token: &str) -> Result<WsClient, String> {
        Self::connect(http_address, protocol, json!({ "authorization": format!("Bearer {token}") })).await
    }

    pub async fn send(&mut self, message: Value) {
        self.socket.send(Message::Text(message.to_string().into())).await.unwrap();
    }

    /// The next protocol message, answering pings; `None` once the socket closes.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next()).await.expect("no message within 15 s")?;
            match message {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Ok(Message::Close(frame)) => {
                    let code = frame.as_ref().map(|f| u16::from(f.code));
                    let reason = frame.as_ref().map(|f| f.reason.to_string());
                    return Some(json!({ "type": "closed", "code": code, "reason": reason }));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == Protocol::TransportWs { "subscribe" } else { "start" };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } })).await;
    }

    pub async fn unsubscribe(&mut self, id: &str) {
        let kind = if self.protocol == Protocol::TransportWs { "complete" } else { "stop" };
        self.send(json!({ "id": id, "type": kind })).await;
    }

    /// The next frame of any subscription: (id, frame).
    pub async fn next_frame(&mut self) -> (String, Frame) {
        loop {
            let message = self.read().await.expect("socket closed");
            let id = message["id"].as_str().unwrap_or_default().to_owned();
            match message["type"].as_str().unwrap_or_default() {
                "next" | "data" => {
                    let payload = message["payload"].clone();
                    if payload["errors"].is_array() && payload["data"].is_null() {
                        return (id, Frame::Error(payload["errors"].clone()));
                    }
                    return (id, Frame::Next(payload["data"].clone()));
                }
                "error" => return (id, Frame::Error(message["payload"].clone())),
                "complete" => return (id, Frame::Complete),
                "ka" | "pong" => continue,
                other => panic!("unexpected message {other}: {message}"),
            }
        }
    }

    /// The next frame of subscription `id`, passing over the others' frames.
    pub async fn frame_of(&mut self, id: &str) -> Frame {
        loop {
            let (of, frame) = self.next_frame().await;
            if of == id {
                return frame;
            }
        }
    }

    /// The next event payload; panics on anything else.
    pub async fn next_event(&mut self) -> Value {
        match self.next_frame().await {
            (_, Frame::Next(data)) => data,
            (id, other) => panic!("expected an event on {id}, got {other:?}"),
        }
    }

    /// Runs a query or mutation over the socket and returns its one frame.
    pub async fn run(&mut self, id: &str, query: &str, variables: Value) -> Frame {
        self.subscribe(id, query, variables).await;
        self.frame_of(id).await
    }

    /// Waits for the socket to close; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.read().await {
                None => return None,
                Some(message) if message["type"] == "closed" => return message["code"].as_u64().map(|c| c as u16),
                Some(_) => continue,
            }
        }
    }
}
