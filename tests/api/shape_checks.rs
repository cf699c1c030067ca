//! The production shape driven through its balancer (`shape`): what a customer, a merchant's
//! backend and a dashboard do, what must not be served, and what the instances must agree on.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::live::{CANCEL, EVENTS};
use crate::shape::Shape;
use crate::support::payments::CONFIRM;
use crate::support::receiver::Receiver;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

async fn tokenize(shape: &Shape, secret: &str) -> String {
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    let sent = shape.client.post(format!("{}/vault/cards", shape.url)).bearer_auth(secret).json(&card).send().await;
    let answer: Value = sent.unwrap().json().await.unwrap();
    answer["token"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}

#[tokio::test]
async fn through_the_balancer_a_customer_pays_and_nothing_internal_is_served() {
    let test = "through_the_balancer_a_customer_pays_and_nothing_internal_is_served";
    let Some(shape) = Shape::up(test, &[]).await else { return };
    let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" } });
    let (id, secret) = created(shape.gql(CREATE_SESSION, json!({ "input": input })).await);
    let token = tokenize(&shape, &secret).await;
    let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
    let paid = shape.gql_at(&shape.url, &secret, CONFIRM, json!({ "input": input })).await;
    assert_eq!(paid["data"]["confirmPaymentSession"]["payment"]["status"], "SUCCEEDED", "{paid}");
    assert_eq!(paid["data"]["confirmPaymentSession"]["paymentSession"]["status"], "COMPLETED", "{paid}");
    let hosted = shape.client.get(format!("{}/pay/{secret}", shape.url)).send().await.unwrap();
    assert_eq!(hosted.status(), 200, "the hosted page through the balancer");

    let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 900, "currency": "EUR" } });
    let (other, _) = created(shape.gql(CREATE_SESSION, json!({ "input": input })).await);
    let canceled = shape.gql(CANCEL, json!({ "id": other })).await;
    assert_eq!(canceled["data"]["cancelPaymentSession"]["userErrors"], json!([]), "{canceled}");
    let read = shape.gql("query($id: ID!) { paymentSession(id: $id) { status } }", json!({ "id": other })).await;
    assert_eq!(read["data"]["paymentSession"]["status"], "CANCELED");

    // Twice each: the balancer takes turns, so both instances answer.
    for _ in 0..2 {
        let page = shape.client.get(format!("{}/graphql", shape.url)).header("accept", "text/html").send().await;
        let page = page.unwrap();
        let html = page.headers().get("content-type").is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        assert!(!html, "GraphiQL is off in production");
        let metrics = shape.client.get(format!("{}/metrics", shape.url)).send().await.unwrap();
        assert_eq!(metrics.status(), 404, "/metrics is not served through the balancer");
    }
    for address in &shape.metrics {
        let metrics = shape.client.get(format!("{address}/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("paygraph_graphql_requests_total"), "each instance's own metrics address");
    }
}

#[tokio::test]
async fn a_subscriber_through_the_balancer_sees_changes_made_on_either_instance() {
    let test = "a_subscriber_through_the_balancer_sees_changes_made_on_either_instance";
    let Some(shape) = Shape::up(test, &[]).await else { return };
    // Two sockets in a row through the balancer: one on each instance.
    let mut subscribers = Vec::new();
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::with_token(&shape.url, protocol, &shape.key).await;
        ws.subscribe("1", EVENTS, json!({})).await;
        subscribers.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A change made on each instance, past the balancer: each subscriber sees one made on
    // the other instance, whichever it is on.
    let mut sessions = Vec::new();
    for instance in &shape.instances {
        let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "USD" } });
        let (id, _) = created(shape.gql_at(instance, &shape.key, CREATE_SESSION, json!({ "input": input })).await);
        sessions.push(id);
    }
    for ws in &mut subscribers {
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let data = ws.next_event().await;
            seen.push(data["paymentSessionEvents"]["paymentSession"]["id"].as_str().unwrap().to_owned());
        }
        seen.sort();
        let mut expected = sessions.clone();
        expected.sort();
        assert_eq!(seen, expected, "both changes reach a subscriber on either instance");
    }
}

#[tokio::test]
async fn two_instances_deliver_each_webhook_once_and_both_refuse_a_revoked_key() {
    let test = "two_instances_deliver_each_webhook_once_and_both_refuse_a_revoked_key";
    let loopback = [("PAYGRAPH_WEBHOOK_ALLOW_LOOPBACK", "true"), ("PAYGRAPH_WEBHOOK_RETRY_BASE_MS", "200")];
    let Some(shape) = Shape::up(test, &loopback).await else { return };
    let receiver = Receiver::start().await;
    let endpoint = "mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { userErrors { code } } }";
    let made = shape.gql(endpoint, json!({ "url": receiver.url })).await;
    assert_eq!(made["data"]["createWebhookEndpoint"]["userErrors"], json!([]), "{made}");
    for n in 0..6 {
        let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 100 + n, "currency": "USD" } });
        let (id, _) = created(shape.gql(CREATE_SESSION, json!({ "input": input })).await);
        if n % 2 == 0 {
            shape.gql(CANCEL, json!({ "id": id })).await;
        }
    }
    assert!(receiver.wait_until(Duration::from_secs(20), |r| r.len() >= 9).await, "9 events are delivered");
    // Time for a second delivery, were either instance to send one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for received in receiver.received() {
        *times.entry(received.body["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(times.len(), 9, "{times:?}");
    assert!(times.values().all(|n| *n == 1), "each event once, by one of the two instances: {times:?}");

    let create = "mutation { createApiKey(input: { name: \"ops\", scope: READ_WRITE }) { apiKey { id } secretKey } }";
    let made = shape.gql(create, json!({})).await;
    let (id, secret) = (&made["data"]["createApiKey"]["apiKey"]["id"], &made["data"]["createApiKey"]["secretKey"]);
    let secret = secret.as_str().unwrap();
    let status = |base: &str| {
        let request = shape.client.post(format!("{base}/graphql")).bearer_auth(secret);
        async move { request.json(&json!({ "query": "{ merchant { name } }" })).send().await.unwrap().status() }
    };
    for instance in &shape.instances {
        assert_eq!(status(instance).await, 200, "each instance verified the key, and remembers it");
    }
    let revoke = "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }";
    assert_eq!(shape.gql(revoke, json!({ "id": id })).await["data"]["revokeApiKey"]["userErrors"], json!([]));
    for base in shape.instances.iter().chain([&shape.url, &shape.url]) {
        let mut refused = false;
        for _ in 0..50 {
            if status(base).await == 401 {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "{base} still takes a revoked key");
    }
}

#[tokio::test]
async fn per_ip_limits_count_the_client_nginx_saw_not_nginx() {
    let test = "per_ip_limits_count_the_client_nginx_saw_not_nginx";
    let Some(shape) = Shape::up(test, &[("PAYGRAPH_RATE_LINK_IP", "3")]).await else { return };
    let link = "mutation { createPaymentLink(input: { amount: 500, currency: \"EUR\" }) { paymentLink { url } } }";
    let link = shape.gql(link, json!({})).await;
    let url = link["data"]["createPaymentLink"]["paymentLink"]["url"].as_str().expect("a link").to_owned();
    assert!(url.starts_with(&shape.url), "the link's public URL is the balancer's: {url}");

    let first = Shape::client_from("127.0.0.2");
    for _ in 0..3 {
        assert_eq!(first.get(&url).send().await.unwrap().status(), 303);
    }
    assert_eq!(first.get(&url).send().await.unwrap().status(), 429, "the fourth visit from one address");
    let forged = first.get(&url).header("x-forwarded-for", "198.51.100.7").send().await.unwrap();
    assert_eq!(forged.status(), 429, "an address the client wrote itself is not taken");
    // nginx connects to both instances from 127.0.0.1: were its address counted, this
    // client would be refused too.
    let second = Shape::client_from("127.0.0.3");
    assert_eq!(second.get(&url).send().await.unwrap().status(), 303, "another client has its own count");
}
