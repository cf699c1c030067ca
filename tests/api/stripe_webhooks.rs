//! Outcomes that come later: 3-D Secure passed at Stripe and settled by Stripe's signed
//! webhook or by the customer coming back, and the webhook door itself (a forged, stale or
//! another account's signature changes nothing; an event taken twice is applied once).

use paygraph::config::Config;
use paygraph::domain::webhook_signature;
use serde_json::{Value, json};

use crate::support::payments::{CONFIRM, create_and_pay, tokenize};
use crate::support::stripe_fake::{Fake, payment, payment_input, uuid_of};
use crate::support::*;

pub const SIGNING_SECRET: &str = "whsec_test_signing";
const SESSION: &str = "query($id: ID!) { paymentSession(id: $id) { status version attemptCount hostedUrl
    events(first: 20) { nodes { version status } } } }";
const CHALLENGE: &str = "mutation($input: CompleteTestChallengeInput!) { completeTestChallenge(input: $input) {
    userErrors { code } } }";

/// The card the fake asks 3-D Secure for.
const THREE_D_SECURE: &str = "4000002760003184";

/// An app whose Stripe is the fake, with a connected account: (app, fake, webhook URL).
pub async fn app(test: &str) -> Option<(TestApp, Fake, String)> {
    let url = test_stripe_url(test)?;
    let (base, secrets) = (url.clone(), paygraph::processor::accounts::sealing::SecretsKey::generate_text());
    let app = spawn_app_with(move |config: &mut Config| {
        config.stripe_api_base = base;
        config.secrets_key = Some(secrets);
    })
    .await;
    let webhook_url = connect(&app, SIGNING_SECRET).await;
    Some((app, Fake::new(&url), webhook_url))
}

/// Connects a fresh key with `signing_secret`; its webhook URL.
async fn connect(app: &TestApp, signing_secret: &str) -> String {
    let input = json!({ "kind": "STRIPE", "secretKey": crate::support::stripe_fake::stripe_key(), "webhookSigningSecret": signing_secret });
    let body = app
        .gql(
            "mutation($input: ConnectProcessorAccountInput!) { connectProcessorAccount(input: $input) {
                processorAccount { webhookUrl } userErrors { code } } }",
            json!({ "input": input }),
        )
        .await;
    body["data"]["connectProcessorAccount"]["processorAccount"]["webhookUrl"].as_str().unwrap().to_owned()
}

async fn session(app: &TestApp, id: &str) -> Value {
    app.gql(SESSION, json!({ "id": id })).await["data"]["paymentSession"].clone()
}

/// Waits (at most 10 s) until the session is past 3-D Secure: neither waiting on it nor
/// in the PROCESSING step between it and the outcome.
async fn session_settled(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let now = session(app, id).await;
        if now["status"] != "REQUIRES_ACTION" && now["status"] != "PROCESSING" {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("session {id} was never settled");
}

/// The customer passes (or fails) 3-D Secure on Stripe's side.
async fn authenticate(fake: &Fake, intent: &str, success: bool) {
    let pi = fake.intent(intent).await;
    let client_secret = pi["client_secret"].as_str().unwrap();
    let url = format!("{}/v1/payment_intents/{intent}/_authenticate", fake_base(fake));
    let form =
        [("client_secret", client_secret), ("success", if success { "true" } else { "false" }), ("key", "pk_test_x")];
    let answer = reqwest::Client::new().post(url).form(&form).send().await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
}

fn fake_base(fake: &Fake) -> &str {
    fake.base()
}

/// A REQUIRES_ACTION payment at Stripe: (session id, payment id, PaymentIntent id).
async fn waiting_for_3ds(app: &TestApp) -> (String, String, String) {
    let (session, paid) = create_and_pay(app, payment_input(4200), THREE_D_SECURE).await;
    assert_eq!(paid["paymentSession"]["status"], "REQUIRES_ACTION", "{paid}");
    assert_eq!(paid["nextAction"]["type"], "THREE_D_SECURE_CHALLENGE");
    let id = paid["payment"]["id"].as_str().unwrap().to_owned();
    let intent = payment(app, &id).await["processorReference"].as_str().unwrap().to_owned();
    (session, id, intent)
}

pub async fn post_event(app: &TestApp, url: &str, body: &str, signature: Option<String>) -> u16 {
    let mut request = app.client.post(url).header("content-type", "application/json").body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

pub fn signed(secret: &str, at: i64, body: &str) -> Option<String> {
    Some(webhook_signature::sign(secret, at, body.as_bytes()).unwrap())
}

#[tokio::test]
async fn three_d_secure_at_stripe_completes_by_the_signed_webhook() {
    let Some((app, fake, webhook_url)) = app("three_d_secure_at_stripe_completes_by_the_signed_webhook").await else {
        return;
    };
    // The fake signs its events with the secret the merchant gave paygraph.
    let registration = format!("{}/_config/webhooks/{}", fake_base(&fake), uuid::Uuid::new_v4().simple());
    let form = [("url", webhook_url.as_str()), ("secret", SIGNING_SECRET)];
    assert!(reqwest::Client::new().post(registration).form(&form).send().await.unwrap().status().is_success());

    let (session_id, payment_id, intent) = waiting_for_3ds(&app).await;
    // Test mode's challenge is not Stripe's: refused.
    let refused = app.gql(CHALLENGE, json!({ "input": { "paymentId": payment_id, "passed": true } })).await;
    assert_eq!(refused["data"]["completeTestChallenge"]["userErrors"][0]["code"], "NOT_ALLOWED", "{refused}");

    authenticate(&fake, &intent, true).await;
    let done = session_settled(&app, &session_id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(payment(&app, &payment_id).await["status"], "SUCCEEDED");
    let statuses: Vec<&Value> = done["events"]["nodes"].as_array().unwrap().iter().map(|e| &e["status"]).collect();
    assert_eq!(statuses, ["OPEN", "PROCESSING", "REQUIRES_ACTION", "PROCESSING", "COMPLETED"], "each once: {done}");
    assert_eq!(fake.intent(&intent).await["status"], "succeeded");
}

#[tokio::test]
async fn the_customer_back_from_three_d_secure_settles_it() {
    let Some((app, fake, _)) = app("the_customer_back_from_three_d_secure_settles_it").await else { return };
    let (session_id, payment_id, intent) = waiting_for_3ds(&app).await;
    // Failed at Stripe: the fake sends no event for it; the customer's return settles it.
    authenticate(&fake, &intent, false).await;
    let hosted = session(&app, &session_id).await["hostedUrl"].as_str().unwrap().to_owned();
    let back = app.client.get(format!("{hosted}/return")).send().await.unwrap();
    assert_eq!(back.status(), 200, "redirected to the payment page");
    assert_eq!(back.url().path(), reqwest::Url::parse(&hosted).unwrap().path());
    let failed = session(&app, &session_id).await;
    assert_eq!(failed["status"], "OPEN", "{failed}");
    assert_eq!(failed["attemptCount"], 1);
    assert_eq!(payment(&app, &payment_id).await["declineCode"], "authentication_failed");

    // Coming back again changes nothing; the customer pays with another card.
    app.client.get(format!("{hosted}/return")).send().await.unwrap();
    assert_eq!(session(&app, &session_id).await["version"], failed["version"]);
    let secret = hosted.rsplit('/').next().unwrap().to_owned();
    let token = tokenize(&app, &secret, "4242424242424242").await;
    let input = json!({ "id": session_id, "paymentMethod": { "cardToken": token } });
    let paid = app.gql_as(Some(&secret), CONFIRM, json!({ "input": input })).await;
    assert_eq!(paid["data"]["confirmPaymentSession"]["paymentSession"]["status"], "COMPLETED", "{paid}");
}

#[tokio::test]
async fn forged_stale_and_foreign_signatures_change_nothing() {
    let Some((app, fake, webhook_url)) = app("forged_stale_and_foreign_signatures_change_nothing").await else {
        return;
    };
    let (session_id, payment_id, intent) = waiting_for_3ds(&app).await;
    authenticate(&fake, &intent, true).await;
    let before = session(&app, &session_id).await;
    assert_eq!(before["status"], "REQUIRES_ACTION");

    let event = json!({ "id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "type": "payment_intent.succeeded",
        "data": { "object": { "id": intent, "object": "payment_intent", "metadata": { "paygraph_payment": uuid_of(&payment_id) } } } })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    // Another merchant's account, with its own signing secret.
    let other_key = app.other_merchant_key().await;
    let other = TestApp { key: other_key, ..app_handle(&app) };
    let other_url = connect(&other, "whsec_another_account").await;

    let refusals = [
        ("no signature", None),
        ("a forged one", signed("whsec_guessed", now, &event)),
        ("a stale one", signed(SIGNING_SECRET, now - 600, &event)),
        ("another account's", signed("whsec_another_account", now, &event)),
        ("of another body", signed(SIGNING_SECRET, now, "{}")),
    ];
    for (what, signature) in refusals {
        assert_eq!(post_event(&app, &webhook_url, &event, signature).await, 400, "{what}");
    }
    let unknown = webhook_url.replace("/processors/stripe/", "/processors/stripe/x");
    assert_eq!(post_event(&app, &unknown, &event, signed(SIGNING_SECRET, now, &event)).await, 400);
    // Well signed by the other account, at its own URL: taken there, and our payment is not its.
    let foreign = signed("whsec_another_account", now, &event);
    assert_eq!(post_event(&app, &other_url, &event, foreign).await, 200);
    assert_eq!(session(&app, &session_id).await["version"], before["version"], "nothing changed");

    // Signed by the account's secret: settled from Stripe's word, once.
    assert_eq!(post_event(&app, &webhook_url, &event, signed(SIGNING_SECRET, now, &event)).await, 200);
    let done = session(&app, &session_id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(post_event(&app, &webhook_url, &event, signed(SIGNING_SECRET, now, &event)).await, 200, "taken before");
    assert_eq!(session(&app, &session_id).await["version"], done["version"], "applied once");
}

fn app_handle(app: &TestApp) -> TestApp {
    TestApp {
        address: app.address.clone(),
        client: app.client.clone(),
        key: app.key.clone(),
        services: app.services.clone(),
        processor: app.processor.clone(),
        _db: TestDatabase::None,
    }
}
