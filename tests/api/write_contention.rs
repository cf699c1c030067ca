//! Every mutation family at once, as a busy merchant's backend drives it: 16 clients for
//! 10 seconds (`CONTENTION_SECONDS`), the background pass every 200 ms and a webhook
//! endpoint receiving. A write that another write was in the way of waits its turn: no
//! answer is INTERNAL, no success is refused, and every success is in the database after.
//!
//! The server runs on a runtime of its own threads, apart from the clients, so requests
//! really overlap inside the database.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::receiver::Receiver;
use crate::support::*;

const WORKERS: usize = 16;

/// One client of the load: it counts what each operation answered and keeps what the
/// database must show at the end.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    worker: usize,
    log: Arc<Mutex<Log>>,
}

#[derive(Default)]
struct Log {
    /// Successes per mutation.
    ok: BTreeMap<&'static str, usize>,
    /// Every answer that was not a success, with its body.
    failures: Vec<String>,
    /// `(node id, selection, what it must read)` once the load is over.
    expected: Vec<(String, &'static str, Value)>,
    /// Each worker's last origin list: the merchant's must be one of them.
    last_origins: BTreeMap<usize, Value>,
}

impl Client {
    /// Runs mutation `name` and returns its payload; anything but a payload without
    /// `userErrors` is logged as a failure (and answers `Value::Null`).
    async fn run(&self, name: &'static str, query: &str, input: Value) -> Value {
        self.run_refused(name, query, input, None).await
    }

    /// [`Client::run`] where the one user error `refusal` is the answer expected.
    async fn run_refused(&self, name: &'static str, query: &str, input: Value, refusal: Option<&str>) -> Value {
        let request = self.http.post(format!("{}/graphql", self.base)).bearer_auth(&self.key);
        let sent = request.json(&json!({ "query": query, "variables": { "input": input } })).send().await;
        let body: Value = match sent {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(e) => Value::String(format!("transport: {e}")),
        };
        let payload = &body["data"][name];
        let mut log = self.log.lock().unwrap();
        let expected = refusal.map_or(json!([]), |code| json!([{ "code": code }]));
        if body["errors"].is_null() && payload["userErrors"] == expected {
            *log.ok.entry(name).or_default() += 1;
            payload.clone()
        } else {
            log.failures.push(format!("{name}: {body}"));
            Value::Null
        }
    }

    fn expect(&self, id: &Value, selection: &'static str, reads: Value) {
        if let Some(id) = id.as_str() {
            self.log.lock().unwrap().expected.push((id.to_owned(), selection, reads));
        }
    }

    async fn session(&self, input: Value) -> (Value, String) {
        let created = self.run("createPaymentSession", CREATE_SESSION, input).await;
        let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
        (created["paymentSession"]["id"].clone(), secret)
    }

    /// Tokenizes `card` with the session's secret and pays the session with it.
    async fn pay(&self, session: &Value, secret: &str, card: &str) -> Value {
        self.pay_refused(session, secret, card, None).await
    }

    /// [`Client::pay`] with a card refused with `refusal`.
    async fn pay_refused(&self, session: &Value, secret: &str, card: &str, refusal: Option<&str>) -> Value {
        let card = json!({ "number": card, "expMonth": 12, "expYear": 2040, "cvc": "123" });
        let vault = self.http.post(format!("{}/vault/cards", self.base)).bearer_auth(secret).json(&card).send().await;
        let token = match vault {
            Ok(response) => response.json::<Value>().await.unwrap_or(Value::Null)["token"].clone(),
            Err(_) => Value::Null,
        };
        if token.is_null() {
            self.log.lock().unwrap().failures.push(format!("vault: no token for {session}"));
            return Value::Null;
        }
        let input = json!({ "id": session, "paymentMethod": { "cardToken": token } });
        self.run_refused("confirmPaymentSession", CONFIRM, input, refusal).await
    }
}

const CONFIRM: &str = "mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
    paymentSession { id status } payment { id status } userErrors { code } } }";
const STATUS: &str = "... on PaymentSession { status }";
const PAID: &str = "... on Payment { status amountCaptured { amount } amountRefunded { amount } }";

fn payment_input(capture: &str) -> Value {
    json!({ "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" }, "captureMethod": capture })
}

/// Sessions: one paid, one declined (it stays OPEN), one canceled.
async fn sessions(c: &Client) {
    let (paid, secret) = c.session(payment_input("AUTOMATIC")).await;
    c.pay(&paid, &secret, "4242424242424242").await;
    c.expect(&paid, STATUS, json!({ "status": "COMPLETED" }));
    let (declined, secret) = c.session(payment_input("AUTOMATIC")).await;
    let answer = c.pay_refused(&declined, &secret, "4000000000000002", Some("CARD_DECLINED")).await;
    c.expect(&answer["payment"]["id"], "... on Payment { status }", json!({ "status": "FAILED" }));
    let canceled = c
        .run("cancelPaymentSession", "mutation($input: CancelPaymentSessionInput!) { cancelPaymentSession(input: $input) { paymentSession { id } userErrors { code } } }", json!({ "id": declined }))
        .await;
    c.expect(&canceled["paymentSession"]["id"], STATUS, json!({ "status": "CANCELED" }));
}

/// Keys: a read-only key made, rolled with no grace, and its successor revoked.
async fn keys(c: &Client) {
    let made = c
        .run("createApiKey", "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } userErrors { code } } }", json!({ "name": format!("load {}", c.worker), "scope": "READ_ONLY" }))
        .await;
    let rolled = c
        .run(
            "rollApiKey",
            "mutation($input: RollApiKeyInput!) { rollApiKey(input: $input) { apiKey { id } userErrors { code } } }",
            json!({ "id": made["apiKey"]["id"] }),
        )
        .await;
    c.run(
        "revokeApiKey",
        "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id } userErrors { code } } }",
        json!({ "id": rolled["apiKey"]["id"] }),
    )
    .await;
}

/// A customer renamed, two cards saved, the second made default, the first removed.
async fn customers(c: &Client) {
    let customer = c
        .run("createCustomer", "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }", json!({ "email": "load@example.com" }))
        .await["customer"]["id"]
        .clone();
    c.run("updateCustomer", "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { id } userErrors { code } } }", json!({ "id": customer, "name": "Renamed" }))
        .await;
    let mut profiles = vec![];
    for card in ["4242424242424242", "5555555555554444"] {
        let input = json!({ "purpose": "SETUP", "customerId": customer });
        let (session, secret) = c.session(input).await;
        c.pay(&session, &secret, card).await;
        let read = c.http.post(format!("{}/graphql", c.base)).bearer_auth(&c.key);
        let query = "query($id: ID!) { paymentSession(id: $id) { paymentProfile { id } } }";
        let body = read.json(&json!({ "query": query, "variables": { "id": session } })).send().await;
        let body: Value = match body {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        profiles.push(body["data"]["paymentSession"]["paymentProfile"]["id"].clone());
    }
    let profile = "mutation($input: PaymentProfileIdInput!) { setDefaultPaymentProfile(input: $input) { paymentProfile { id } userErrors { code } } }";
    c.run("setDefaultPaymentProfile", profile, json!({ "id": profiles[1] })).await;
    let remove = "mutation($input: PaymentProfileIdInput!) { removePaymentProfile(input: $input) { removedId userErrors { code } } }";
    c.run("removePaymentProfile", remove, json!({ "id": profiles[0] })).await;
    let reads = json!({ "name": "Renamed", "defaultPaymentProfile": { "id": profiles[1] }, "paymentProfiles": { "totalCount": 1 } });
    c.expect(&customer, "... on Customer { name defaultPaymentProfile { id } paymentProfiles { totalCount } }", reads);
}

/// A subscription made for a new customer and canceled at once.
async fn subscriptions(c: &Client) {
    let customer = c
        .run("createCustomer", "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }", json!({ "name": "Subscriber" }))
        .await["customer"]["id"]
        .clone();
    let made = c
        .run("createSubscription", "mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } userErrors { code } } }", json!({ "customerId": customer, "price": { "amount": 900, "currency": "EUR" }, "interval": "MONTH" }))
        .await;
    let id = made["subscription"]["id"].clone();
    c.run("cancelSubscription", "mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { id } userErrors { code } } }", json!({ "id": id }))
        .await;
    c.expect(&id, "... on Subscription { status }", json!({ "status": "CANCELED" }));
}

/// A payment refunded in two parts.
async fn refunds(c: &Client) {
    let (session, secret) = c.session(payment_input("AUTOMATIC")).await;
    let payment = c.pay(&session, &secret, "4242424242424242").await["payment"]["id"].clone();
    let refund =
        "mutation($input: RefundPaymentInput!) { refundPayment(input: $input) { refund { id } userErrors { code } } }";
    for _ in 0..2 {
        c.run("refundPayment", refund, json!({ "paymentId": payment, "amount": 1000 })).await;
    }
    let reads =
        json!({ "status": "SUCCEEDED", "amountCaptured": { "amount": 2500 }, "amountRefunded": { "amount": 2000 } });
    c.expect(&payment, PAID, reads);
}

/// One hold captured in part, one voided.
async fn captures(c: &Client) {
    let capture = "mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { payment { id } userErrors { code } } }";
    let void =
        "mutation($input: VoidPaymentInput!) { voidPayment(input: $input) { payment { id } userErrors { code } } }";
    let (session, secret) = c.session(payment_input("MANUAL")).await;
    let held = c.pay(&session, &secret, "4242424242424242").await["payment"]["id"].clone();
    c.run("capturePayment", capture, json!({ "paymentId": held, "amount": 1500 })).await;
    let reads =
        json!({ "status": "SUCCEEDED", "amountCaptured": { "amount": 1500 }, "amountRefunded": { "amount": 0 } });
    c.expect(&held, PAID, reads);
    let (session, secret) = c.session(payment_input("MANUAL")).await;
    let held = c.pay(&session, &secret, "4242424242424242").await["payment"]["id"].clone();
    c.run("voidPayment", void, json!({ "paymentId": held })).await;
    c.expect(
        &held,
        PAID,
        json!({ "status": "VOIDED", "amountCaptured": { "amount": 0 }, "amountRefunded": { "amount": 0 } }),
    );
}

/// An endpoint made, described, its secret rolled, and deleted.
async fn endpoints(c: &Client, url: &str) {
    let made = c
        .run("createWebhookEndpoint", "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }", json!({ "url": url }))
        .await;
    let id = made["webhookEndpoint"]["id"].clone();
    c.run("updateWebhookEndpoint", "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }", json!({ "id": id, "description": "load" }))
        .await;
    c.run("rollWebhookSecret", "mutation($input: WebhookEndpointIdInput!) { rollWebhookSecret(input: $input) { webhookEndpoint { id } userErrors { code } } }", json!({ "id": id }))
        .await;
    c.run("deleteWebhookEndpoint", "mutation($input: WebhookEndpointIdInput!) { deleteWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }", json!({ "id": id }))
        .await;
}

/// The merchant's settings and branding; a payment link made and deactivated.
async fn merchant_and_links(c: &Client, round: usize) {
    let origins = json!([format!("https://w{}-{round}.example", c.worker)]);
    let settings = "mutation($input: UpdateMerchantSettingsInput!) { updateMerchantSettings(input: $input) { merchant { name } userErrors { code } } }";
    if !c.run("updateMerchantSettings", settings, json!({ "allowedOrigins": origins })).await.is_null() {
        c.log.lock().unwrap().last_origins.insert(c.worker, origins);
    }
    let branding = "mutation($input: UpdateMerchantBrandingInput!) { updateMerchantBranding(input: $input) { merchant { name } userErrors { code } } }";
    c.run("updateMerchantBranding", branding, json!({ "accentColor": format!("#{:06x}", round % 0xffffff) })).await;
    let link = c
        .run("createPaymentLink", "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) { paymentLink { id } userErrors { code } } }", json!({ "currency": "EUR", "amount": 700 }))
        .await["paymentLink"]["id"]
        .clone();
    c.run("deactivatePaymentLink", "mutation($input: DeactivatePaymentLinkInput!) { deactivatePaymentLink(input: $input) { paymentLink { id } userErrors { code } } }", json!({ "id": link }))
        .await;
    c.expect(&link, "... on PaymentLink { active }", json!({ "active": false }));
}

async fn drive(c: Client, until: Instant, hook: String) {
    let mut round = c.worker;
    while Instant::now() < until {
        match round % 7 {
            0 => sessions(&c).await,
            1 => keys(&c).await,
            2 => customers(&c).await,
            3 => subscriptions(&c).await,
            4 => refunds(&c).await,
            5 => captures(&c).await,
            _ => {
                endpoints(&c, &hook).await;
                merchant_and_links(&c, round).await;
            }
        }
        round += 1;
    }
}

#[test]
fn every_mutation_family_at_once_never_answers_internal_and_loses_nothing() {
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = server.block_on(spawn_app_with(|config| {
        config.live.background_interval_ms = 200;
        config.throttle = paygraph::config::ThrottleConfig { cost_bucket: 0, ..zero_rates() };
        config.fraud.card_velocity = 1_000_000;
        config.fraud.ip_velocity = 1_000_000;
        config.fraud.customer_velocity = 1_000_000;
    }));
    let receiver = server.block_on(Receiver::start());
    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    clients.block_on(async {
        let hook = "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }";
        let made = app.gql(hook, json!({ "input": { "url": receiver.url } })).await;
        assert_eq!(made["data"]["createWebhookEndpoint"]["userErrors"], json!([]), "{made}");

        let seconds = std::env::var("CONTENTION_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
        let until = Instant::now() + Duration::from_secs(seconds);
        let log = Arc::new(Mutex::new(Log::default()));
        let http = reqwest::Client::new();
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let c = Client { http: http.clone(), base: app.address.clone(), key: app.key.clone(), worker, log: log.clone() };
                tokio::spawn(drive(c, until, receiver.url.clone()))
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }

        let log = std::mem::take(&mut *log.lock().unwrap());
        let writes: usize = log.ok.values().sum();
        eprintln!(
            "write contention: {writes} mutations answered success in {seconds} s ({}/s), {} did not; per mutation {:?}",
            writes as u64 / seconds,
            log.failures.len(),
            log.ok
        );
        assert!(log.failures.is_empty(), "{} answers were not successes, first: {:#?}", log.failures.len(), &log.failures[..log.failures.len().min(5)]);
        for family in ["revokeApiKey", "refundPayment", "capturePayment", "voidPayment", "deleteWebhookEndpoint", "removePaymentProfile", "cancelSubscription", "updateMerchantSettings"] {
            assert!(log.ok.get(family).copied().unwrap_or(0) > 0, "{family} never ran: {:?}", log.ok);
        }
        assert_stored(&app, &log).await;
        assert!(receiver.wait_until(Duration::from_secs(10), |r| !r.is_empty()).await, "the endpoint received nothing");
    });
    drop(clients);
    server.block_on(async move { drop(app) });
}

fn zero_rates() -> paygraph::config::ThrottleConfig {
    paygraph::config::ThrottleConfig {
        graphql: 0,
        graphql_ip: 0,
        socket: 0,
        socket_ip: 0,
        vault: 0,
        vault_key: 0,
        vault_ip: 0,
        link: 0,
        link_ip: 0,
        page: 0,
        page_ip: 0,
        ..Default::default()
    }
}

/// Every success of the load reads back from the database as it answered.
async fn assert_stored(app: &TestApp, log: &Log) {
    for (id, selection, reads) in &log.expected {
        let query = format!("query($id: ID!) {{ node(id: $id) {{ {selection} }} }}");
        let body = app.gql(&query, json!({ "id": id })).await;
        assert_eq!(&body["data"]["node"], reads, "{id} after the load: {body}");
    }
    let keys = app.gql("{ apiKeys(includeRevoked: true) { name revokedAt expiresAt } }", json!({})).await;
    let loaded: Vec<&Value> = keys["data"]["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"].as_str().is_some_and(|n| n.starts_with("load")))
        .collect();
    let made = log.ok.get("createApiKey").copied().unwrap_or(0) + log.ok.get("rollApiKey").copied().unwrap_or(0);
    assert_eq!(loaded.len(), made, "every key made or rolled is kept");
    let revoked = loaded.iter().filter(|k| !k["revokedAt"].is_null()).count();
    assert_eq!(revoked, log.ok.get("revokeApiKey").copied().unwrap_or(0), "every revocation is kept");
    let endpoints = app.gql("{ webhookEndpoints { totalCount } }", json!({})).await;
    assert_eq!(
        endpoints["data"]["webhookEndpoints"]["totalCount"], 1,
        "every deleted endpoint stays deleted: {endpoints}"
    );
    let merchant = app.gql("{ merchant { allowedOrigins } }", json!({})).await;
    let origins = &merchant["data"]["merchant"]["allowedOrigins"];
    assert!(log.last_origins.values().any(|o| o == origins), "the origins are one worker's last write: {origins}");
}
