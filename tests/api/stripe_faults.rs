//! Exactly once against Stripe when the processor fails the way a real one does: killed
//! before it was reached, killed after it charged but before paygraph read the answer, a
//! 500, an answer slower than the connector waits. After each, with Stripe back, the
//! background passes settle from Stripe's word: the session reaches its right status once,
//! and Stripe holds one charge for it (the fake has no idempotency keys, so nothing here
//! leans on them).

use std::sync::Arc;

use chrono::Duration;
use paygraph::config::Config;
use serde_json::{Value, json};

use crate::captures::capture;
use crate::refunds::refund;
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::payments::create_and_pay;
use crate::support::stripe_fake::{Fake, connected, payment, payment_input, uuid_of};
use crate::support::*;

const SESSION: &str = "query($id: ID!) { paymentSession(id: $id) { status version attemptCount } }";

struct Rig {
    app: TestApp,
    /// The connected account's id.
    account: String,
    clock: Arc<TestClock>,
    proxy: FaultProxy,
    fake: Fake,
}

/// An app whose Stripe is the fake behind a fault proxy, a connector that waits 2 s, and
/// no background job of its own (the test runs the passes).
async fn rig(test: &str) -> Option<Rig> {
    let url = test_stripe_url(test)?;
    let proxy = FaultProxy::start(&url).await;
    let clock = Arc::new(TestClock::default());
    let (base, secrets) = (proxy.url.clone(), paygraph::processor::accounts::sealing::SecretsKey::generate_text());
    let app = spawn_app_on(clock.clone(), move |config: &mut Config| {
        quiet(config);
        config.stripe_api_base = base;
        config.secrets_key = Some(secrets);
        config.stripe_timeout_ms = 2_000;
    })
    .await;
    let account = connected(&app).await;
    Some(Rig { app, account, clock, proxy, fake: Fake::new(&url) })
}

impl Rig {
    async fn session(&self, id: &str) -> Value {
        self.app.gql(SESSION, json!({ "id": id })).await["data"]["paymentSession"].clone()
    }

    /// The session's PaymentIntents at Stripe, by status.
    async fn intents(&self, session: &str) -> Vec<String> {
        let mut statuses: Vec<String> = (self.fake.intents_of_session(&uuid_of(session)).await)
            .iter()
            .map(|pi| pi["status"].as_str().unwrap().to_owned())
            .collect();
        statuses.sort();
        statuses
    }

    /// Stripe is back and nobody waits for the answer any more: the reconciliation pass.
    async fn reconcile(&self) -> usize {
        self.proxy.heal();
        self.clock.advance(Duration::minutes(3));
        self.app.services.payments.reconcile_once().await.unwrap()
    }
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_completes_once_from_stripes_word() {
    let Some(rig) = rig("a_charge_whose_answer_was_lost_completes_once_from_stripes_word").await else { return };
    for fault in [Fault::LostAnswer, Fault::ServerError, Fault::Slow] {
        rig.proxy.fail(fault, "/confirm");
        let (session, paid) = create_and_pay(&rig.app, payment_input(2100), "4242424242424242").await;
        assert_eq!(paid["paymentSession"]["status"], "PROCESSING", "{fault:?}: the outcome is unknown: {paid}");
        assert_eq!(rig.intents(&session).await, ["succeeded"], "{fault:?}: Stripe charged");

        assert_eq!(rig.reconcile().await, 1, "{fault:?}");
        let settled = rig.session(&session).await;
        assert_eq!(settled["status"], "COMPLETED", "{fault:?}: {settled}");
        let id = paid["payment"]["id"].as_str().unwrap();
        assert_eq!(payment(&rig.app, id).await["status"], "SUCCEEDED");
        assert_eq!(rig.reconcile().await, 0, "{fault:?}: settled once");
        assert_eq!(rig.session(&session).await["version"], settled["version"]);
        assert_eq!(rig.intents(&session).await, ["succeeded"], "{fault:?}: one charge, never a second");
    }
}

#[tokio::test]
async fn a_stripe_not_reached_charges_nothing_and_the_customer_pays_again() {
    let Some(rig) = rig("a_stripe_not_reached_charges_nothing_and_the_customer_pays_again").await else { return };
    // The confirmation never arrives: the intent exists, unconfirmed.
    rig.proxy.fail(Fault::Unreachable, "/confirm");
    let (session, paid) = create_and_pay(&rig.app, payment_input(1300), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "PROCESSING", "{paid}");
    assert_eq!(rig.intents(&session).await, ["requires_confirmation"]);
    assert_eq!(rig.reconcile().await, 1);
    let failed = rig.session(&session).await;
    assert_eq!(failed["status"], "OPEN", "no charge: the customer may try again: {failed}");
    let id = paid["payment"]["id"].as_str().unwrap();
    assert_eq!(payment(&rig.app, id).await["declineCode"], "processing_error");
    assert_eq!(rig.intents(&session).await, ["canceled"], "canceled, so it can never be confirmed later");

    // The create's answer is lost: Stripe made an intent paygraph never learnt of.
    rig.proxy.fail(Fault::LostAnswer, "/v1/payment_intents");
    let (second, paid) = create_and_pay(&rig.app, payment_input(1400), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "PROCESSING", "{paid}");
    assert_eq!(rig.reconcile().await, 1);
    assert_eq!(rig.session(&second).await["status"], "OPEN");
    assert_eq!(rig.intents(&second).await, ["requires_confirmation"], "at worst an unconfirmed intent, never a charge");

    // Stripe is back: the customer pays, once.
    let secret = own_secret(&rig.app, &session).await;
    let card = crate::support::payments::tokenize(&rig.app, &secret, "4242424242424242").await;
    let again = crate::support::payments::confirm(&rig.app, &secret, &session, &card, None).await;
    assert_eq!(again["paymentSession"]["status"], "COMPLETED", "{again}");
    assert_eq!(rig.intents(&session).await, ["canceled", "succeeded"]);
}

/// A session's client secret, from its hosted URL.
async fn own_secret(app: &TestApp, session: &str) -> String {
    let body = app.gql("query($id: ID!) { paymentSession(id: $id) { hostedUrl } }", json!({ "id": session })).await;
    let url = body["data"]["paymentSession"]["hostedUrl"].as_str().unwrap().to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_capture_and_a_refund_whose_answers_were_lost_happen_once() {
    let Some(rig) = rig("a_capture_and_a_refund_whose_answers_were_lost_happen_once").await else { return };
    let manual =
        json!({ "purpose": "PAYMENT", "amount": { "amount": 5000, "currency": "EUR" }, "captureMethod": "MANUAL" });
    let (_, held) = create_and_pay(&rig.app, manual, "4242424242424242").await;
    let id = held["payment"]["id"].as_str().unwrap();
    let reference = payment(&rig.app, id).await["processorReference"].as_str().unwrap().to_owned();

    rig.proxy.fail(Fault::LostAnswer, "/capture");
    let _ = capture(&rig.app, json!({ "paymentId": id, "amount": 4000 })).await;
    assert_eq!(payment(&rig.app, id).await["status"], "AUTHORIZED", "the answer is unknown: the hold waits");
    rig.proxy.heal();
    rig.clock.advance(Duration::minutes(10));
    assert_eq!(rig.app.services.captures.resume_stalled().await.unwrap(), 1);
    let captured = payment(&rig.app, id).await;
    assert_eq!(captured["status"], "SUCCEEDED", "{captured}");
    assert_eq!(captured["amountCaptured"]["amount"], 4000);
    assert_eq!(rig.fake.intent(&reference).await["latest_charge"]["amount_refunded"], 1000, "captured once");

    rig.proxy.fail(Fault::LostAnswer, "/v1/refunds");
    let pending = refund(&rig.app, json!({ "paymentId": id, "amount": 1500 })).await;
    assert_eq!(pending["refund"]["status"], "PENDING", "{pending}");
    assert_eq!(rig.fake.refunds_of(&reference).await.len(), 1, "Stripe refunded");
    rig.proxy.heal();
    rig.clock.advance(Duration::minutes(10));
    assert_eq!(rig.app.services.refunds.settle_pending().await.unwrap(), 1);
    let refunded = payment(&rig.app, id).await;
    assert_eq!(refunded["amountRefunded"]["amount"], 1500, "{refunded}");
    let refunds = rig.fake.refunds_of(&reference).await;
    assert_eq!(refunds.len(), 1, "found again by its metadata, not sent twice: {refunds:?}");
}

#[tokio::test]
async fn a_pending_refund_is_settled_by_stripes_refund_event() {
    let Some(rig) = rig("a_pending_refund_is_settled_by_stripes_refund_event").await else { return };
    let (_, paid) = create_and_pay(&rig.app, payment_input(2600), "4242424242424242").await;
    let id = paid["payment"]["id"].as_str().unwrap();
    rig.proxy.fail(Fault::LostAnswer, "/v1/refunds");
    let pending = refund(&rig.app, json!({ "paymentId": id, "amount": 600 })).await;
    assert_eq!(pending["refund"]["status"], "PENDING", "{pending}");
    rig.proxy.heal();

    // Stripe says the refund moved; paygraph reads the refund from Stripe and settles it.
    let refund_id = uuid_of(pending["refund"]["id"].as_str().unwrap());
    let event = json!({ "id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "type": "refund.updated",
        "data": { "object": { "object": "refund", "metadata": { "paygraph_refund": refund_id } } } })
    .to_string();
    let url = format!("{}/processors/stripe/{}/webhooks", rig.app.address, rig.account);
    let signature = paygraph::domain::webhook_signature::sign(
        "whsec_test_signing",
        chrono::Utc::now().timestamp(),
        event.as_bytes(),
    )
    .unwrap();
    let answer = rig.app.client.post(url).header("Stripe-Signature", signature).body(event).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let query = "query($id: ID!) { node(id: $id) { ... on Refund { status } } }";
    let refund_state = rig.app.gql(query, json!({ "id": pending["refund"]["id"] })).await;
    assert_eq!(refund_state["data"]["node"]["status"], "SUCCEEDED", "{refund_state}");
    let settled = payment(&rig.app, id).await;
    assert_eq!(settled["amountRefunded"]["amount"], 600, "{settled}");
    let reference = settled["processorReference"].as_str().unwrap().to_owned();
    assert_eq!(rig.fake.refunds_of(&reference).await.len(), 1, "found by its metadata, not sent again");
}
