//! Traces: the server binary, with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP
//! receiver in this test, exports one trace per request, continued from the caller's
//! `traceparent`, holding the request's span down to the processor's charge; the request's
//! log lines carry the trace's id.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};

use crate::support::payments::CONFIRM;
use crate::support::*;

/// Every span the receiver was sent.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

impl Collector {
    async fn start(&self) -> String {
        let spans = self.0.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| {
                let spans = spans.clone();
                async move {
                    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
                    let mut all = spans.lock().unwrap();
                    for resource in request.resource_spans {
                        for scope in resource.scope_spans {
                            all.extend(scope.spans);
                        }
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    fn spans(&self) -> Vec<Span> {
        self.0.lock().unwrap().clone()
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    let value = span.attributes.iter().find(|a| a.key == key)?.value.as_ref()?.value.as_ref()?;
    match value {
        V::StringValue(s) => Some(s.clone()),
        other => Some(format!("{other:?}")),
    }
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn a_request_is_one_trace_down_to_the_processor_call_and_its_logs_carry_its_id() {
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("traced.db").display());
    let merchant = merchant_by_cli(&database, "Traced");
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["serve"])
        .env("DATABASE_URL", &database)
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("RUST_LOG", "info,paygraph=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&client, &base).await;
    let gql = |token: &str, query: &'static str, variables: Value, traceparent: Option<&str>| {
        let mut request = client.post(format!("{base}/graphql")).bearer_auth(token);
        if let Some(parent) = traceparent {
            request = request.header("traceparent", parent);
        }
        let body = json!({ "query": query, "variables": variables });
        async move { request.json(&body).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let receiver = crate::support::receiver::Receiver::start().await;
    let hook = "mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { userErrors { code } } }";
    let hooked = gql(&merchant, hook, json!({ "url": receiver.url }), None).await;
    assert_eq!(hooked["data"]["createWebhookEndpoint"]["userErrors"], json!([]), "{hooked}");
    let made = gql(
        &merchant,
        CREATE_SESSION,
        json!({ "input": { "purpose": "PAYMENT",
        "amount": { "amount": 1800, "currency": "EUR" } } }),
        None,
    )
    .await;
    let (session, secret) = created(made);
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    let vault = client.post(format!("{base}/vault/cards")).bearer_auth(&secret).json(&card).send().await.unwrap();
    let token = vault.json::<Value>().await.unwrap()["token"].clone();
    let input = json!({ "id": session, "paymentMethod": { "cardToken": token } });
    let parent = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    let paid = gql(&secret, CONFIRM, json!({ "input": input }), Some(&parent)).await;
    assert_eq!(paid["data"]["confirmPaymentSession"]["payment"]["status"], "SUCCEEDED", "{paid}");

    let trace = hex_decode(TRACE_ID);
    let mut ours = Vec::new();
    for _ in 0..100 {
        ours = collector.spans().into_iter().filter(|s| s.trace_id == trace).collect::<Vec<_>>();
        let names = ["processor call", "request", "webhook delivery"];
        if names.iter().all(|name| ours.iter().any(|s| s.name == *name)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    let request = ours.iter().find(|s| s.name == "request").unwrap_or_else(|| panic!("no request span: {ours:#?}"));
    assert_eq!(request.parent_span_id, hex_decode("00f067aa0ba902b7"), "continued from the caller's traceparent");
    assert_eq!(attribute(request, "route").as_deref(), Some("/graphql"));
    let charge = ours
        .iter()
        .find(|s| s.name == "processor call" && attribute(s, "call").as_deref() == Some("charge"))
        .unwrap_or_else(|| panic!("no charge span: {ours:#?}"));
    assert_eq!(attribute(charge, "processor").as_deref(), Some("test"));
    // The charge's chain of parents leads to the request.
    let mut at = charge.clone();
    while at.span_id != request.span_id {
        at = ours
            .iter()
            .find(|s| s.span_id == at.parent_span_id)
            .unwrap_or_else(|| panic!("a parent of {} outside the trace: {ours:#?}", at.name))
            .clone();
    }
    // The webhook delivery of the change's event, sent later by the worker, joins the trace.
    let delivery = ours.iter().find(|s| s.name == "webhook delivery").unwrap_or_else(|| {
        let all: Vec<(String, String)> =
            collector.spans().iter().map(|s| (s.name.clone(), format!("{:x?}", &s.trace_id[..4]))).collect();
        panic!("no delivery span in the trace ({} received); all spans: {all:?}", receiver.received().len())
    });
    assert!(ours.iter().any(|s| s.span_id == delivery.parent_span_id), "its parent is in the request's trace");
    // Other requests are traces of their own.
    let others: std::collections::HashSet<Vec<u8>> =
        collector.spans().iter().filter(|s| s.name == "request").map(|s| s.trace_id.clone()).collect();
    assert!(others.len() >= 3, "session, vault and confirmation: {} traces", others.len());

    let text = std::fs::read_to_string(&log).unwrap();
    let carrying: Vec<&str> = text.lines().filter(|l| l.contains(&format!("trace_id={TRACE_ID}"))).collect();
    assert!(!carrying.is_empty(), "the request's log lines carry its trace id:\n{text}");
    assert!(!text.contains(secret.as_str()) && !text.contains("4242424242424242"), "no secret in the logs");
}

fn hex_decode(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}
