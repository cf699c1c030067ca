//! Responses are compressed when the client asks for gzip or br, and only then.

use std::io::Read;

use serde_json::{Value, json};

use crate::support::*;

const PAGE: &str = "{ paymentSessions(first: 30) { edges { node { id status purpose amount { amount currency formatted } expiresAt } } } }";

async fn graphql_with(app: &TestApp, encoding: Option<&str>) -> reqwest::Response {
    let mut request =
        app.client.post(format!("{}/graphql", app.address)).bearer_auth(&app.key).json(&json!({ "query": PAGE }));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn graphql_answers_gzip_or_br_when_asked_and_plain_otherwise() {
    let app = spawn_app().await;
    for _ in 0..30 {
        app.create_payment_session(1234, "EUR").await;
    }
    let plain = graphql_with(&app, None).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.headers().get("vary").is_none(), "a server's request: no cache keys its answer on Vary");
    let from_a_page = app.client.post(format!("{}/graphql", app.address)).bearer_auth(&app.key);
    let from_a_page = from_a_page.header("origin", &app.address).json(&json!({ "query": "{ __typename }" }));
    let from_a_page = from_a_page.send().await.unwrap();
    let vary: Vec<_> = from_a_page.headers().get_all("vary").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(
        vary.iter().any(|v| v == "accept-encoding"),
        "a browser's cache must keep the plain answer apart: {vary:?}"
    );
    let plain_body = plain.bytes().await.unwrap();
    let expected: Value = serde_json::from_slice(&plain_body).unwrap();
    assert_eq!(expected["data"]["paymentSessions"]["edges"].as_array().unwrap().len(), 30);

    let gzip = graphql_with(&app, Some("gzip")).await;
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let compressed = gzip.bytes().await.unwrap();
    assert!(compressed.len() * 3 < plain_body.len(), "{} bytes gzip, {} plain", compressed.len(), plain_body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_end(&mut unzipped).unwrap();
    let got: Value = serde_json::from_slice(&unzipped).unwrap();
    assert_eq!(got["data"], expected["data"]);

    let br = graphql_with(&app, Some("br")).await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(br.bytes().await.unwrap().len() * 3 < plain_body.len());
}

#[tokio::test]
async fn the_hosted_page_is_compressed_when_asked() {
    let app = spawn_app().await;
    let (_, secret) = app.create_payment_session(100, "USD").await;
    let page =
        app.client.get(format!("{}/pay/{secret}", app.address)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "gzip");
    assert!(page.headers().get("content-security-policy").is_some(), "the page keeps its policy");
    let mut html = String::new();
    flate2::read::GzDecoder::new(&page.bytes().await.unwrap()[..]).read_to_string(&mut html).unwrap();
    assert!(html.contains("session-data"));
}
