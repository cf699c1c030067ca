//! A card payment end to end through the Stripe connector, against the Stripe fake on
//! loopback: what paygraph adds to each payment, next to the fake's own time for the same
//! Stripe calls.
//!
//! Reported, side by side in one run, for the same number of payments made one after another:
//! - **paygraph**: `createPaymentSession`, `POST /vault/cards` and `confirmPaymentSession`
//!   over HTTP, the session COMPLETED (p50, p99, mean per payment);
//! - **baseline**: the Stripe calls those make, sent straight to the fake by a reqwest
//!   client (create the PaymentMethod, create the PaymentIntent, read it, confirm it): the
//!   fake's own time. paygraph's added time is the difference.
//!
//! Run (the fake started as docs/payments.md, "Connecting Stripe", shows):
//!
//!     STRIPE_URL=http://127.0.0.1:8420 cargo bench --bench stripe
//!     STRIPE_URL=… STRIPE_PAYMENTS=500 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench stripe
//!
//! Loopback only; it stops by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use paygraph::config::Config;
use paygraph::startup::Application;
use serde_json::{Value, json};

const CONFIRM: &str = "mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
    paymentSession { status } userErrors { code } } }";
const CREATE: &str = "mutation($input: CreatePaymentSessionInput!) { createPaymentSession(input: $input) {
    paymentSession { id } clientSecret userErrors { code } } }";
const CONNECT: &str = "mutation($input: ConnectProcessorAccountInput!) { connectProcessorAccount(input: $input) {
    userErrors { code } } }";

fn main() {
    let Ok(stripe) = std::env::var("STRIPE_URL") else {
        eprintln!("set STRIPE_URL to a running localstripe (see docs/payments.md, Connecting Stripe)");
        return;
    };
    let payments: usize = std::env::var("STRIPE_PAYMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run(stripe, payments));
}

async fn run(stripe: String, payments: usize) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));
    let mut config = Config::for_database(database_url);
    config.listen = ([127, 0, 0, 1], 0).into();
    config.stripe_api_base = stripe.clone();
    config.live.background_interval_ms = 0;
    // One card paying again and again: the velocity rule would stop it, as it should a fraudster.
    config.fraud.card_velocity = u64::MAX;
    config.fraud.ip_velocity = u64::MAX;
    // The limits stay on the path, high enough never to refuse the bench.
    let limits = &mut config.throttle;
    for limit in
        [&mut limits.graphql, &mut limits.graphql_ip, &mut limits.vault, &mut limits.vault_key, &mut limits.vault_ip]
    {
        *limit = u32::MAX;
    }
    let app = Application::build(config).await.unwrap();
    let base = format!("http://{}", app.address());
    let services = app.services().clone();
    tokio::spawn(app.run());
    let key = services.auth.create_merchant("Bench").await.unwrap().secret_key;
    let client = reqwest::Client::new();
    let gql = |token: String, query: &'static str, variables: Value| {
        let request = client.post(format!("{base}/graphql")).bearer_auth(token);
        async move {
            request
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let secret_key = format!("sk_test_{}", uuid::Uuid::new_v4().simple());
    let connected = gql(key.clone(), CONNECT, json!({ "input": { "kind": "STRIPE", "secretKey": secret_key } })).await;
    assert_eq!(connected["data"]["connectProcessorAccount"]["userErrors"], json!([]), "{connected}");

    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    let stripe = stripe.trim_end_matches('/');
    // Interleaved, one of each in turn: the fake slows as its store grows (it writes all of it
    // to disk on every change), so both sides meet the same store.
    let (mut through_paygraph, mut straight) = (Vec::with_capacity(payments), Vec::with_capacity(payments));
    for _ in 0..payments {
        let started = Instant::now();
        let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 1000, "currency": "EUR" } });
        let made = gql(key.clone(), CREATE, json!({ "input": input })).await;
        let payload = &made["data"]["createPaymentSession"];
        let (id, secret) =
            (payload["paymentSession"]["id"].clone(), payload["clientSecret"].as_str().unwrap().to_owned());
        let vault = client.post(format!("{base}/vault/cards")).bearer_auth(&secret).json(&card).send().await.unwrap();
        let token = vault.json::<Value>().await.unwrap()["token"].clone();
        let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
        let paid = gql(secret, CONFIRM, json!({ "input": input })).await;
        assert_eq!(paid["data"]["confirmPaymentSession"]["paymentSession"]["status"], "COMPLETED", "{paid}");
        through_paygraph.push(started.elapsed());

        let started = Instant::now();
        let form = [
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2040"),
            ("card[cvc]", "123"),
        ];
        let method: Value = post(&client, &format!("{stripe}/v1/payment_methods"), &secret_key, &form).await;
        let pm = method["id"].as_str().unwrap();
        let form = [
            ("amount", "1000"),
            ("currency", "eur"),
            ("payment_method", pm),
            ("capture_method", "automatic"),
            ("payment_method_types[]", "card"),
        ];
        let intent: Value = post(&client, &format!("{stripe}/v1/payment_intents"), &secret_key, &form).await;
        let pi = intent["id"].as_str().unwrap();
        let read =
            client.get(format!("{stripe}/v1/payment_intents/{pi}")).bearer_auth(&secret_key).send().await.unwrap();
        let _: Value = read.json().await.unwrap();
        let confirmed: Value =
            post(&client, &format!("{stripe}/v1/payment_intents/{pi}/confirm"), &secret_key, &[]).await;
        assert_eq!(confirmed["status"], "succeeded");
        straight.push(started.elapsed());
    }

    println!("card payments one after another, {payments} each, against the fake on loopback");
    report("paygraph (session, vault, confirm)", &mut through_paygraph);
    report("baseline (the same Stripe calls)", &mut straight);
    let mean = |d: &[Duration]| d.iter().sum::<Duration>() / d.len().max(1) as u32;
    let added = mean(&through_paygraph).saturating_sub(mean(&straight));
    println!("paygraph's added time per payment (mean): {:.2} ms", added.as_secs_f64() * 1e3);
}

async fn post(client: &reqwest::Client, url: &str, key: &str, form: &[(&str, &str)]) -> Value {
    let request = client.post(url).bearer_auth(key).header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
    request.form(form).send().await.unwrap().json().await.unwrap()
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("  {name:<38} p50 {:>7.2} ms   p99 {:>7.2} ms   mean {:>7.2} ms", ms(at(0.5)), ms(at(0.99)), ms(mean));
}
