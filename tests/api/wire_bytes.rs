//! Bytes on the wire, headers included, of the hosted page's status check and the
//! dashboard's table of sessions, sent by text (POST) and by hash (GET, a persisted query),
//! measured on a raw socket. The table in docs/api.md comes from this test's output:
//!
//!     cargo test --test api wire_bytes -- --nocapture

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::persisted::{DASHBOARD_SESSIONS, HOSTED_STATUS, by_hash};
use crate::support::*;

/// Sends `request` on a fresh connection and reads the whole answer; returns the bytes sent
/// and received, and the answer's body.
async fn exchange(app: &TestApp, request: String) -> (usize, usize, String) {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer));
    read.await.expect("the server answers within 10 s").unwrap();
    let text = String::from_utf8(answer.clone()).unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (request.len(), answer.len(), body)
}

fn host(app: &TestApp) -> &str {
    app.address.trim_start_matches("http://")
}

fn by_text(app: &TestApp, token: &str, document: &str, variables: &Value) -> String {
    let body = json!({ "query": document, "variables": variables }).to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        host(app),
        body.len()
    )
}

fn by_post_hash(app: &TestApp, token: &str, document: &str, variables: &Value) -> String {
    let body = json!({ "extensions": by_hash(document), "variables": variables }).to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        host(app),
        body.len()
    )
}

fn by_get(app: &TestApp, token: &str, document: &str, variables: &Value) -> String {
    let query = format!(
        "extensions={}&variables={}",
        urlencoding(&by_hash(document).to_string()),
        urlencoding(&variables.to_string())
    );
    format!(
        "GET /graphql?{query} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n",
        host(app)
    )
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn persisted_queries_send_fewer_bytes_than_their_text() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    for _ in 0..4 {
        app.create_payment_session(1000, "USD").await;
    }
    let checks = [
        ("hosted page: session status", HOSTED_STATUS, secret.as_str(), json!({ "id": id })),
        ("dashboard: 20 recent sessions", DASHBOARD_SESSIONS, app.key.as_str(), json!({ "first": 20 })),
    ];
    eprintln!("| query | by text (POST): sent / received | by hash (POST) | by hash (GET) |");
    eprintln!("| --- | --- | --- | --- |");
    for (name, document, token, variables) in checks {
        let (text_sent, text_received, text_body) = exchange(&app, by_text(&app, token, document, &variables)).await;
        assert!(text_body.contains("\"data\""), "{name}: {text_body}");
        // The first text registers nothing (no hash); the client registers as Apollo's would.
        let register = json!({ "query": document, "variables": variables, "extensions": by_hash(document) });
        app.post_graphql(Some(token), &register).await;
        let (hash_sent, hash_received, hash_body) = exchange(&app, by_get(&app, token, document, &variables)).await;
        assert_eq!(
            serde_json::from_str::<Value>(&hash_body).unwrap()["data"],
            serde_json::from_str::<Value>(&text_body).unwrap()["data"],
            "{name}: the same answer either way"
        );
        let (post_sent, post_received, _) = exchange(&app, by_post_hash(&app, token, document, &variables)).await;
        eprintln!(
            "| {name} | {text_sent} / {text_received} | {post_sent} / {post_received} | {hash_sent} / {hash_received} |"
        );
        assert!(hash_sent < text_sent, "{name}: {hash_sent} bytes by hash, {text_sent} by text");
        // The answers are the same data; their sizes may differ by a digit of the cost
        // budget's `currentlyAvailable`, which refills between requests.
        assert!(post_received.abs_diff(text_received) <= 8 && hash_received.abs_diff(text_received) <= 8, "{name}");
    }
}

/// A phone's status check: a client secret's `paymentSession(id) { status }` by persisted
/// GET, `Connection: close`, no `Origin`, no compression asked. At most 200 bytes down,
/// headers included (the floor, with the body, is about 172).
#[tokio::test]
async fn a_status_check_by_a_client_secret_is_at_most_200_bytes_down() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let document = "query($id: ID!) { paymentSession(id: $id) { status } }";
    let variables = json!({ "id": id });
    let register = json!({ "query": document, "variables": variables, "extensions": by_hash(document) });
    assert!(app.post_graphql(Some(&app.key), &register).await.status().is_success());
    let request = by_get(&app, &secret, document, &variables);
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8(answer).unwrap();
    assert!(text.contains(r#"{"data":{"paymentSession":{"status":"OPEN"}}}"#), "{text}");
    eprintln!("a status check by a client secret: {} bytes sent, {} received", request.len(), text.len());
    assert!(text.len() <= 200, "{} bytes down:\n{text}", text.len());
    // The merchant's backend still sees its budget.
    let read = app.gql(document, variables).await;
    assert!(read["extensions"]["cost"]["throttleStatus"].is_object(), "{read}");
}
