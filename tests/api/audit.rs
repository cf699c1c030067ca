//! The audit trail: every change through the API or the CLI, with who made it (the key and
//! its name, a client secret, the CLI), what it touched, from where and how it ended;
//! appended in the change's own transaction; readable by read-write keys only; exported
//! as JSON lines; never holding a secret; pruned after its retention.

use std::sync::Arc;

use paygraph::config::Config;
use paygraph::domain::audit::{Actor, AuditEvent};
use paygraph::domain::{MerchantId, TypedId};
use paygraph::service::audit::{Scope, within};
use serde_json::{Value, json};

use crate::support::payments::{confirm, tokenize};
use crate::support::*;

const AUDIT: &str = "query($filter: AuditEventFilterInput) { auditEvents(first: 50, filter: $filter) {
    totalCount nodes { id occurredAt actor { kind keyId keyName paymentSessionId } action nodeIds ip origin outcome } } }";
const CREATE_KEY: &str = "mutation($name: String) { createApiKey(input: { name: $name }) {
    apiKey { id } secretKey userErrors { code } } }";
const REFUND: &str = "mutation($id: ID!, $amount: Int) { refundPayment(input: { paymentId: $id, amount: $amount }) {
    refund { id } payment { id } userErrors { code } } }";
const WEBHOOK: &str = "mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) {
    webhookEndpoint { id } signingSecret userErrors { code } } }";
const EVIDENCE_TEXT: &str = "the customer signed for the parcel at the door";

fn audit_nodes(body: &Value) -> Vec<Value> {
    body["data"]["auditEvents"]["nodes"].as_array().unwrap_or_else(|| panic!("{body}")).clone()
}

/// The newest event of `action` in `events` (newest first).
fn of<'a>(events: &'a [Value], action: &str) -> &'a Value {
    events.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action} in {events:#?}"))
}

/// A named read-write key of the app's merchant: (id, secret).
async fn ops_key(app: &TestApp) -> (String, String) {
    let made = app.gql(CREATE_KEY, json!({ "name": "ops laptop" })).await;
    let payload = &made["data"]["createApiKey"];
    (payload["apiKey"]["id"].as_str().unwrap().to_owned(), payload["secretKey"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn each_change_is_recorded_with_the_key_that_made_it_and_how_it_ended() {
    let app = spawn_app().await;
    let (key_id, ops) = ops_key(&app).await;

    // Through the ops key, from a browser origin: a session paid by its customer, a refund
    // too large (refused), a refund, an endpoint.
    let created = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&ops)
        .header("Origin", "https://dashboard.example")
        .json(&json!({ "query": CREATE_SESSION, "variables": { "input": {
            "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" } } } }))
        .send()
        .await
        .unwrap();
    // The origin is not the merchant's: refused at the door, before any mutation ran.
    assert_eq!(created.status(), 403);
    let (session, secret) = crate::support::created(
        app.gql_as(
            Some(&ops),
            CREATE_SESSION,
            json!({ "input": {
            "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" } } }),
        )
        .await,
    );
    let token = tokenize(&app, &secret, "4242424242424242").await;
    let paid = confirm(&app, &secret, &session, &token, None).await;
    let payment = paid["payment"]["id"].as_str().unwrap().to_owned();
    let too_much = app.gql_as(Some(&ops), REFUND, json!({ "id": payment, "amount": 9999 })).await;
    assert_eq!(user_error_code(&too_much, "refundPayment"), "AMOUNT_TOO_LARGE", "{too_much}");
    let refunded = app.gql_as(Some(&ops), REFUND, json!({ "id": payment, "amount": 500 })).await;
    let refund = refunded["data"]["refundPayment"]["refund"]["id"].as_str().unwrap().to_owned();
    let endpoint = app.gql_as(Some(&ops), WEBHOOK, json!({ "url": "https://hooks.example/paygraph" })).await;
    let endpoint_id = endpoint["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"].as_str().unwrap().to_owned();

    let body = app.gql(AUDIT, json!({ "filter": { "actorKeyId": key_id } })).await;
    let events = audit_nodes(&body);
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["createWebhookEndpoint", "refundPayment", "refundPayment", "createPaymentSession"],
        "newest first, only the ops key's: {body}"
    );
    let made = of(&events, "createPaymentSession");
    assert_eq!(
        made["actor"],
        json!({ "kind": "SECRET_KEY", "keyId": key_id, "keyName": "ops laptop", "paymentSessionId": null })
    );
    assert_eq!(made["outcome"], "OK");
    assert_eq!(made["ip"], "127.0.0.1");
    assert!(made["nodeIds"].as_array().unwrap().contains(&json!(session)), "{made}");
    let refused = &events[2];
    assert_eq!(refused["outcome"], "AMOUNT_TOO_LARGE");
    assert_eq!(refused["nodeIds"], json!([payment]), "the payment it named, nothing else");
    let refund_event = &events[1];
    assert_eq!(refund_event["outcome"], "OK");
    let ids = refund_event["nodeIds"].as_array().unwrap();
    assert!(ids.contains(&json!(refund)) && ids.contains(&json!(payment)), "{refund_event}");
    assert_eq!(events[0]["nodeIds"], json!([endpoint_id]));

    // The customer's confirmation, by the session's client secret.
    let all = audit_nodes(&app.gql(AUDIT, json!({ "filter": { "action": ["confirmPaymentSession"] } })).await);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["actor"]["kind"], "CLIENT_SECRET");
    assert_eq!(all[0]["actor"]["paymentSessionId"], json!(session));
    assert_eq!(all[0]["actor"]["keyId"], Value::Null);
    assert_eq!(all[0]["outcome"], "OK");
    assert!(all[0]["nodeIds"].as_array().unwrap().contains(&json!(payment)), "{}", all[0]);

    // A declined card: the attempt is a change, and it ended as the decline.
    let (declined, secret) = app.create_payment_session(700, "EUR").await;
    let token = tokenize(&app, &secret, "4000000000000002").await;
    confirm(&app, &secret, &declined, &token, None).await;
    let confirms = audit_nodes(&app.gql(AUDIT, json!({ "filter": { "action": ["confirmPaymentSession"] } })).await);
    assert_eq!(confirms[0]["outcome"], "CARD_DECLINED", "{confirms:#?}");

    // Time filters: nothing since a minute from now.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let none = app.gql(AUDIT, json!({ "filter": { "since": later } })).await;
    assert_eq!(none["data"]["auditEvents"]["totalCount"], 0, "{none}");
}

#[tokio::test]
async fn origin_is_kept_and_a_read_only_keys_refused_mutation_is_recorded() {
    let app = spawn_app().await;
    let settings =
        "mutation($o: [String!]) { updateMerchantSettings(input: { allowedOrigins: $o }) { userErrors { code } } }";
    app.gql(settings, json!({ "o": ["https://shop.example"] })).await;
    let made = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.key)
        .header("Origin", "https://shop.example")
        .json(
            &json!({ "query": "mutation { createCustomer(input: { email: \"o@example.com\" }) { customer { id } } }" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let reader = app
        .gql(
            "mutation { createApiKey(input: { name: \"reader\", scope: READ_ONLY }) { apiKey { id } secretKey } }",
            json!({}),
        )
        .await;
    let reader_id = reader["data"]["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_owned();
    let reader_key = reader["data"]["createApiKey"]["secretKey"].as_str().unwrap().to_owned();
    let refused = app
        .gql_as(
            Some(&reader_key),
            REFUND,
            json!({ "id": "UGF5bWVudDowMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA", "amount": 1 }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    let events = audit_nodes(&app.gql(AUDIT, json!({})).await);
    let customer = of(&events, "createCustomer");
    assert_eq!(customer["origin"], "https://shop.example");
    let attempt = of(&events, "refundPayment");
    assert_eq!(attempt["outcome"], "FORBIDDEN");
    assert_eq!(attempt["actor"]["keyId"], json!(reader_id));
    assert_eq!(attempt["actor"]["keyName"], "reader");
    assert_eq!(of(&events, "updateMerchantSettings")["outcome"], "OK");
}

#[tokio::test]
async fn only_read_write_keys_read_the_trail_and_another_merchant_sees_none_of_it() {
    let app = spawn_app().await;
    app.create_customer("mine@example.com").await;
    let reader = app.gql("mutation { createApiKey(input: { scope: READ_ONLY }) { secretKey } }", json!({})).await;
    let reader = reader["data"]["createApiKey"]["secretKey"].as_str().unwrap().to_owned();
    assert_eq!(error_code(&app.gql_as(Some(&reader), AUDIT, json!({})).await), "FORBIDDEN");
    let (_, secret) = app.create_payment_session(100, "EUR").await;
    assert_eq!(error_code(&app.gql_as(Some(&secret), AUDIT, json!({})).await), "FORBIDDEN");
    let other = app.other_merchant_key().await;
    let theirs = app.gql_as(Some(&other), AUDIT, json!({})).await;
    assert_eq!(theirs["data"]["auditEvents"]["totalCount"], 0, "{theirs}");
    let mine = app.gql(AUDIT, json!({})).await;
    assert!(mine["data"]["auditEvents"]["totalCount"].as_i64().unwrap() >= 3, "{mine}");
}

/// No secret of any kind reaches the trail: the key a mutation made, a webhook signing
/// secret, a client secret, a card number, the text of dispute evidence.
#[tokio::test]
async fn the_trail_holds_no_secret_card_or_evidence_text() {
    let app = spawn_app().await;
    let (_, ops) = ops_key(&app).await;
    let endpoint = app.gql(WEBHOOK, json!({ "url": "https://hooks.example/in" })).await;
    let signing = endpoint["data"]["createWebhookEndpoint"]["signingSecret"].as_str().unwrap().to_owned();
    let (session, secret) = app.create_payment_session(2500, "EUR").await;
    let token = tokenize(&app, &secret, "4000000000000259").await;
    confirm(&app, &secret, &session, &token, None).await;
    // Evidence for a dispute that does not exist: the text is in the input all the same.
    let update = "mutation($e: DisputeEvidenceInput!) { updateDisputeEvidence(input: {
        disputeId: \"RGlzcHV0ZTowMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA\", evidence: $e }) { userErrors { code } } }";
    app.gql(update, json!({ "e": { "explanation": EVIDENCE_TEXT } })).await;
    // Positive control: the dump below does hold what the trail may hold.
    let rows = dump(&app).await;
    assert!(rows.contains("createWebhookEndpoint") && rows.contains("updateDisputeEvidence"), "{rows}");
    for secret in [&app.key, &ops, &signing, &secret, &token] {
        assert!(!rows.contains(secret.as_str()), "a secret in the trail: {rows}");
    }
    for text in ["4000000000000259", EVIDENCE_TEXT, "sk_", "cs_", "whsec_"] {
        assert!(!rows.contains(text), "{text} in the trail: {rows}");
    }
}

/// Every column of every row of the trail, as text.
async fn dump(app: &TestApp) -> String {
    use paygraph::storage::entities::audit_event;
    use sea_orm::EntityTrait;
    let rows = audit_event::Entity::find().all(&app.services.core.db).await.unwrap();
    rows.iter().map(|row| format!("{row:?}")).collect::<Vec<_>>().join("\n")
}

async fn count_rows(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.services.core.db;
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM audit_events"))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// The event commits with the change, not after it: inside a scope, a change that commits
/// has its event before the scope ends; a change its guard refused has none (the event of
/// the refusal comes when the scope ends).
#[tokio::test]
async fn the_event_commits_with_the_change_and_not_with_a_refused_one() {
    let app = spawn_app().await;
    let merchant = app.services.auth.create_merchant("Scoped").await.unwrap().merchant.id;
    let before = count_rows(&app).await;
    let scope = Scope::new(AuditEvent::new(merchant, Actor::cli(), "test change", chrono::Utc::now()));
    let work = app.services.customers.create(
        merchant,
        paygraph::service::customers::CustomerInput {
            email: Some("in-scope@example.com".into()),
            ..Default::default()
        },
    );
    within(scope.clone(), work).await.unwrap();
    assert_eq!(count_rows(&app).await, before + 1, "appended in the customer's transaction");
    app.services.audit.finish(&scope).await;
    assert_eq!(count_rows(&app).await, before + 1, "finishing completes it, adds none");

    // The merchant's only key cannot be revoked: the refusal rolls its transaction back.
    let keys = app.services.keys.list(merchant, false).await.unwrap();
    let scope = Scope::new(AuditEvent::new(merchant, Actor::cli(), "key revoke", chrono::Utc::now()));
    let refused = within(scope.clone(), app.services.keys.revoke(merchant, keys[0].id)).await;
    assert!(refused.is_err());
    assert_eq!(count_rows(&app).await, before + 1, "no event without its change");
    scope.note(Some("LAST_KEY"), &[]);
    app.services.audit.finish(&scope).await;
    assert_eq!(count_rows(&app).await, before + 2, "the refusal recorded when the scope ends");
}

#[tokio::test]
async fn forged_keys_are_counted_not_stored() {
    let app = spawn_app().await;
    let before = count_rows(&app).await;
    for _ in 0..5 {
        let body = app
            .gql_as(
                Some("sk_test_forged"),
                "mutation { createCustomer(input: { email: \"x@example.com\" }) { customer { id } } }",
                json!({}),
            )
            .await;
        assert!(body["errors"].is_array(), "{body}");
    }
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    let failures: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("paygraph_auth_failures_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the failure counter in /metrics");
    assert_eq!(failures, 5, "{text}");
    assert_eq!(count_rows(&app).await, before, "a flood of forged keys writes nothing");
}

#[tokio::test]
async fn the_trail_is_pruned_after_its_retention_and_the_cli_exports_what_is_kept() {
    let clock = Arc::new(TestClock::default());
    let (url, _db) = test_database().await;
    let mut config = Config::for_database(url.clone());
    config.audit_retention_days = 90;
    config.live.background_interval_ms = 0;
    let app = start(config, clock.clone()).await;
    let created = app.services.auth.create_merchant("Exporter").await.unwrap();
    let merchant: MerchantId = created.merchant.id;
    let key = created.secret_key;
    let create = "mutation($e: String!) { createCustomer(input: { email: $e }) { customer { id } } }";
    app.gql_as(Some(&key), create, json!({ "e": "old@example.com" })).await;
    clock.advance(chrono::Duration::days(91));
    let recent = app.gql_as(Some(&key), create, json!({ "e": "new@example.com" })).await;
    let customer = recent["data"]["createCustomer"]["customer"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.services.audit.prune().await.unwrap(), 1, "only the event older than 90 days");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["audit", "export", "--merchant", &merchant.0.to_string()])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["action"], "createCustomer");
    assert_eq!(lines[0]["nodeIds"], json!([customer]));
    assert_eq!(lines[0]["actor"]["kind"], "SECRET_KEY");
    assert_eq!(lines[0]["outcome"], "OK");
    let since_later = (clock_now(&clock) + chrono::Duration::minutes(1)).to_rfc3339();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["audit", "export", "--merchant", &merchant.0.to_string(), "--since", &since_later])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = merchant.to_global();
}

fn clock_now(clock: &TestClock) -> chrono::DateTime<chrono::Utc> {
    paygraph::service::Clock::now(clock)
}

#[test]
fn a_retention_under_90_days_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["schema"])
        .env("PAYGRAPH_AUDIT_RETENTION_DAYS", "30")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PAYGRAPH_AUDIT_RETENTION_DAYS")
            || String::from_utf8_lossy(&out.stderr).contains("audit-retention-days"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The operator's commands are recorded as the CLI's, in the trail the API reads.
#[tokio::test]
async fn cli_commands_are_recorded_as_the_operators() {
    let (url, _db) = test_database().await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let made = run(&["merchant", "create", "--name", "Operated"]);
    let stderr = String::from_utf8_lossy(&made.stderr);
    let merchant = stderr[stderr.rfind('(').unwrap() + 1..stderr.rfind(')').unwrap()].to_owned();
    let key = String::from_utf8(made.stdout).unwrap().lines().last().unwrap().to_owned();
    let second = run(&["key", "create", "--merchant", &merchant, "--name", "spare"]);
    let second_id = String::from_utf8_lossy(&second.stderr).split_whitespace().nth(2).unwrap().to_owned();
    run(&["key", "revoke", "--merchant", &merchant, "--id", &second_id]);
    let exported = String::from_utf8(run(&["audit", "export", "--merchant", &merchant]).stdout).unwrap();
    let lines: Vec<Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["merchant create", "key create", "key revoke"], "oldest first: {lines:#?}");
    assert!(lines.iter().all(|l| l["actor"]["kind"] == "CLI" && l["outcome"] == "OK"), "{lines:#?}");
    assert_eq!(lines[1]["nodeIds"], json!([second_id]));
    assert_eq!(lines[2]["nodeIds"], json!([second_id]));
    assert!(!exported.contains(&key), "no secret in the export");
}

/// A mutation over the socket is recorded as over HTTP (one door), and an event is a node
/// only for the merchant's read-write keys.
#[tokio::test]
async fn socket_mutations_are_recorded_and_events_are_nodes_for_read_write_keys() {
    use crate::support::ws::{Frame, Protocol, WsClient};
    let app = spawn_app().await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    let made = ws
        .run(
            "c",
            "mutation($e: String!) { createCustomer(input: { email: $e }) { customer { id } } }",
            json!({ "e": "ws@example.com" }),
        )
        .await;
    let Frame::Next(made) = made else { panic!("{made:?}") };
    let customer = made["createCustomer"]["customer"]["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_owned();
    let events = audit_nodes(&app.gql(AUDIT, json!({ "filter": { "action": ["createCustomer"] } })).await);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["nodeIds"], json!([customer]));
    assert_eq!(events[0]["ip"], "127.0.0.1");

    let id = events[0]["id"].as_str().unwrap();
    let node = "query($id: ID!) { node(id: $id) { id ... on AuditEvent { action outcome } } }";
    let found = app.gql(node, json!({ "id": id })).await;
    assert_eq!(found["data"]["node"], json!({ "id": id, "action": "createCustomer", "outcome": "OK" }), "{found}");
    let reader = app.gql("mutation { createApiKey(input: { scope: READ_ONLY }) { secretKey } }", json!({})).await;
    let reader = reader["data"]["createApiKey"]["secretKey"].as_str().unwrap().to_owned();
    let other = app.other_merchant_key().await;
    for key in [reader, other] {
        let hidden = app.gql_as(Some(&key), node, json!({ "id": id })).await;
        assert_eq!(hidden["data"]["node"], Value::Null, "{hidden}");
    }
}
