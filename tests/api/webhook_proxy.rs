//! Deliveries go straight to the receiver: a proxy named by the environment would resolve
//! the receiver's name itself, past the check that refuses private addresses.

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::receiver::Receiver;
use crate::support::*;

/// A listener that counts the connections made to it and answers none.
async fn proxy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (url, connections)
}

fn server(database_url: &str, port: u16, proxy: &str) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygraph"));
    for variable in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        command.env(variable, proxy);
    }
    command
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("DATABASE_URL", database_url)
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYGRAPH_BACKGROUND_INTERVAL_MS", "50")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("paygraph starts")
}

async fn gql(client: &reqwest::Client, base: &str, key: &str, query: &str) -> Value {
    let body = json!({ "query": query, "variables": {} });
    client.post(format!("{base}/graphql")).bearer_auth(key).json(&body).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn deliveries_ignore_the_proxy_variables() {
    let receiver = Receiver::start().await;
    let (proxy_url, proxied) = proxy().await;
    let (url, _db) = test_database().await;
    let key = merchant_by_cli(&url, "Proxied");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut running = server(&url, port, &proxy_url);
    wait_until_up(&client, &base).await;
    let create = format!(
        "mutation {{ createWebhookEndpoint(input: {{ url: \"{}\" }}) {{ userErrors {{ code }} }} }}",
        receiver.url
    );
    assert_eq!(gql(&client, &base, &key, &create).await["data"]["createWebhookEndpoint"]["userErrors"], json!([]));
    let session =
        "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 900, currency: \"EUR\" } }) {
        userErrors { code } } }";
    gql(&client, &base, &key, session).await;
    let arrived = receiver.wait_until(Duration::from_secs(10), |r| !r.is_empty()).await;
    running.kill().unwrap();
    running.wait().unwrap();
    assert!(arrived, "the delivery reached the receiver");
    assert_eq!(proxied.load(Ordering::SeqCst), 0, "nothing went through the proxy");
}
