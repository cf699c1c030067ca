//! Bounds of the connections themselves: slow headers, slow bodies, big bodies, and a cap on
//! open connections. Raw sockets, as a slow or hostile client would hold them.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes; what it said, and whether it closed within `bound`.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(bound, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off_while_others_are_served() {
    let app = spawn_app_with(|c| c.transport.header_timeout_seconds = 1).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: paygraph\r\nX-Slow: ").await.unwrap();
        slow.push(stream);
    }
    // Meanwhile everyone else is served.
    let healthy = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(healthy.status(), 200);
    let started = Instant::now();
    for stream in &mut slow {
        let answer = read_until_closed(stream, Duration::from_secs(5)).await;
        assert!(answer.is_some(), "a half-sent request is held open");
        assert!(!answer.unwrap().contains("200 OK"));
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Sends `GET /healthz` on `stream` and reads its answer (small enough for one read).
async fn ask_health(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: paygraph\r\n\r\n").await.unwrap();
    let mut buffer = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await.unwrap().unwrap();
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

#[tokio::test]
async fn a_connection_is_closed_once_idle_for_the_header_timeout_but_not_while_it_keeps_asking() {
    let app = spawn_app_with(|c| c.transport.header_timeout_seconds = 1).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    // 10 requests 300 ms apart: 3 s in all, twice the time an idle connection is given.
    for _ in 0..10 {
        assert!(ask_health(&mut stream).await.starts_with("HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let closed = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(closed.as_deref(), Some(""), "an idle keep-alive connection is closed without a word");
}

#[tokio::test]
async fn a_slow_body_is_the_request_timeouts_business_not_the_header_timeouts() {
    let app = spawn_app_with(|c| {
        c.transport.header_timeout_seconds = 1;
        c.transport.request_timeout_seconds = 10;
    })
    .await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    let body = r#"{"query":"{ __typename }"}"#;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: paygraph\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.key,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    // Longer than an idle connection is given: the request is in flight all along.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut buffer = [0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&buffer[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_body_that_never_arrives_ends_in_408() {
    let app = spawn_app_with(|c| c.transport.request_timeout_seconds = 1).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: paygraph\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"query\":",
        app.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered in time");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn bodies_past_the_limit_are_refused_on_every_route() {
    let app = spawn_app().await;
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123", "pad": "x".repeat(8 * 1024) });
    let vault = app.client.post(format!("{}/vault/cards", app.address)).bearer_auth(&app.key).json(&card).send().await;
    assert_eq!(vault.unwrap().status(), 413);
    let query = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(300 * 1024) } });
    assert_eq!(app.post_graphql(Some(&app.key), &query).await.status(), 413);
    let page = app.client.get(format!("{}/healthz", app.address)).body("x".repeat(300 * 1024)).send().await;
    assert_eq!(page.unwrap().status(), 413);
}

#[tokio::test]
async fn a_body_past_the_limit_without_a_length_is_refused_as_it_arrives() {
    let app = spawn_app().await;
    for (path, auth) in [("/graphql", app.key.clone()), ("/vault/cards", app.key.clone())] {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: paygraph\r\nAuthorization: Bearer {auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // 300 KiB in chunks of 4 KiB, past both limits (256 KiB, and 4 KiB for a card).
        let chunk = format!("1000\r\n{}\r\n", " ".repeat(4096));
        for _ in 0..75 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                break; // refused and closed before the end
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn past_the_connection_cap_the_next_client_waits_for_a_free_place() {
    let app = spawn_app_with(|c| c.transport.max_connections = 3).await;
    // Three keep-alive connections that each finished a request.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: paygraph\r\n\r\n").await.unwrap();
        let mut buffer = [0u8; 512];
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"));
        held.push(stream);
    }
    let fourth = reqwest::Client::builder().timeout(Duration::from_millis(700)).build().unwrap();
    let url = format!("{}/healthz", app.address);
    assert!(fourth.get(&url).send().await.is_err(), "a fourth connection is not served while three are open");
    drop(held.pop());
    let served = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap().get(&url).send().await;
    assert_eq!(served.unwrap().status(), 200);
}

#[tokio::test]
async fn large_answers_read_slowly_are_not_cut_off_while_they_move() {
    let app = spawn_app_with(|c| c.transport.header_timeout_seconds = 1).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    // Three answers of 3.5 MB, pipelined: more than the kernel's buffers hold, so the
    // server's writes wait on this reader for several header timeouts in a row.
    let ask = b"GET /graphiql/graphiql.min.js HTTP/1.1\r\nHost: paygraph\r\n\r\n";
    stream.write_all(&ask.repeat(3)).await.unwrap();
    let (mut received, mut buffer, started) = (Vec::new(), vec![0u8; 64 * 1024], Instant::now());
    let mut expected = None;
    // About 1.6 MB/s.
    while started.elapsed() < Duration::from_secs(40) {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => received.extend_from_slice(&buffer[..n]),
            _ => break,
        }
        if expected.is_none()
            && let Some(head_end) = received.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
            let length: usize =
                head.lines().find_map(|l| l.strip_prefix("content-length:")?.trim().parse().ok()).unwrap();
            expected = Some(3 * (head_end + 4 + length)); // the three heads are alike
        }
        if expected.is_some_and(|total| received.len() >= total) {
            assert!(started.elapsed() > Duration::from_secs(3), "reading them must take several timeouts");
            return;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    panic!("cut off after {} of {expected:?} bytes and {:?}", received.len(), started.elapsed());
}

#[tokio::test]
async fn a_websocket_outlives_the_header_timeout() {
    let app = spawn_app_with(|c| c.transport.header_timeout_seconds = 1).await;
    let mut socket = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    // Longer than an idle HTTP connection is given: once upgraded, the socket is not one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    socket.subscribe("q", "{ __typename }", json!({})).await;
    assert!(matches!(socket.frame_of("q").await, Frame::Next(_)));
}
