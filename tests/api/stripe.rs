//! The Stripe connector through the real server, against localstripe (a stateful fake of
//! Stripe's API started by `.ci/run`): connecting an account, its key sealed at rest, and
//! every card flow reaching Stripe once, by the PaymentIntent stored on the payment.

use paygraph::config::Config;
use serde_json::{Value, json};

use crate::captures::{capture, void};
use crate::refunds::refund;
use crate::support::payments::{CONFIRM, create_and_pay};
use crate::support::stripe_fake::*;
use crate::support::*;

#[tokio::test]
async fn a_key_stripe_refuses_stores_nothing() {
    let Some((app, _)) = app_with_fake("a_key_stripe_refuses_stores_nothing").await else { return };
    // A restricted key the fake does not take (it takes `sk_` keys only), then not a secret key at all.
    for (key, field) in [("rk_test_refusedbystripe", "secretKey"), ("pk_test_publishable", "secretKey")] {
        let payload = connect(&app, key).await;
        assert_eq!(user_error_code(&json!({ "data": { "c": payload } }), "c"), "INVALID_PROCESSOR_CREDENTIALS");
        assert_eq!(payload["userErrors"][0]["field"], json!(["input", field]));
        assert_eq!(payload["processorAccount"], Value::Null);
    }
    assert_eq!(app.gql(ACCOUNT, json!({})).await["data"]["merchant"]["processorAccount"], Value::Null);

    // Only a read-write secret key connects one.
    let (_, secret) = app.create_payment_session(100, "EUR").await;
    let input = json!({ "input": { "kind": "STRIPE", "secretKey": stripe_key() } });
    assert_eq!(error_code(&app.gql_as(Some(&secret), CONNECT, input.clone()).await), "FORBIDDEN");
    let reader = app
        .gql("mutation { createApiKey(input: {name: \"r\", scope: READ_ONLY}) { secretKey } }", json!({}))
        .await["data"]["createApiKey"]["secretKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(error_code(&app.gql_as(Some(&reader), CONNECT, input).await), "FORBIDDEN");
    assert_eq!(app.gql(ACCOUNT, json!({})).await["data"]["merchant"]["processorAccount"], Value::Null);
}

#[tokio::test]
async fn a_connected_account_is_shown_by_its_label_and_its_key_is_sealed() {
    let test = "a_connected_account_is_shown_by_its_label_and_its_key_is_sealed";
    let Some(url) = test_stripe_url(test) else { return };
    let (database_url, _db) = test_database().await;
    let mut config = Config::for_database(database_url.clone());
    config.stripe_api_base = url;
    config.secrets_key = Some(paygraph::processor::accounts::sealing::SecretsKey::generate_text());
    let mut app = start(config, std::sync::Arc::new(paygraph::service::SystemClock)).await;
    app.key = app.services.auth.create_merchant("Sealed").await.unwrap().secret_key;

    let key = stripe_key();
    let payload = connect(&app, &key).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let account = &payload["processorAccount"];
    assert_eq!(account["kind"], "STRIPE");
    assert_eq!(account["label"], format!("sk_test_…{}", &key[key.len() - 4..]));
    let id = account["id"].as_str().unwrap();
    assert_eq!(account["webhookUrl"], format!("{}/processors/stripe/{id}/webhooks", app.address));
    let shown = app.gql(ACCOUNT, json!({})).await;
    assert_eq!(shown["data"]["merchant"]["processorAccount"]["id"], id);
    assert!(!shown.to_string().contains(&key[8..]), "the key is never read back: {shown}");

    // Neither the key nor the signing secret is anywhere in a copy of the database.
    let copy = database_copy(&database_url).await;
    assert!(!copy.is_empty());
    for secret in [key.as_bytes(), b"whsec_test_signing".as_slice(), &key.as_bytes()[8..]] {
        assert!(!copy.windows(secret.len()).any(|w| w == secret), "a secret is in the database");
    }

    // Disconnected: the test processor again; a second disconnect finds nothing.
    let gone =
        app.gql(DISCONNECT, json!({ "input": { "id": id } })).await["data"]["disconnectProcessorAccount"].clone();
    assert_eq!(gone["processorAccount"]["id"], id, "{gone}");
    assert_eq!(app.gql(ACCOUNT, json!({})).await["data"]["merchant"]["processorAccount"], Value::Null);
    let again =
        app.gql(DISCONNECT, json!({ "input": { "id": id } })).await["data"]["disconnectProcessorAccount"].clone();
    assert_eq!(again["userErrors"][0]["code"], "NOT_FOUND");
}

/// The bytes of the database: the SQLite file (with its WAL), or a `pg_dump` of it.
async fn database_copy(database_url: &str) -> Vec<u8> {
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        return bytes;
    }
    let dump =
        std::process::Command::new("pg_dump").arg("--data-only").arg(database_url).output().expect("pg_dump runs");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    dump.stdout
}

#[tokio::test]
async fn a_card_payment_is_one_payment_intent_with_paygraphs_ids() {
    let Some((app, fake)) = app_with_fake("a_card_payment_is_one_payment_intent_with_paygraphs_ids").await else {
        return;
    };
    // Made while the merchant is on the test processor, which takes wallets.
    let (early, early_secret) = created(app.create_session(payment_input(900)).await);
    connected(&app).await;
    let (session, paid) = create_and_pay(&app, payment_input(2500), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    assert_eq!(paid["payment"]["status"], "SUCCEEDED");
    let payment_id = paid["payment"]["id"].as_str().unwrap();
    let reference = payment(&app, payment_id).await["processorReference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("pi_"), "{reference}");

    let intent = fake.intent(&reference).await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    assert_eq!(intent["amount"], 2500);
    assert_eq!(intent["currency"], "eur");
    assert_eq!(intent["metadata"]["paygraph_payment"], uuid_of(payment_id));
    assert_eq!(intent["metadata"]["paygraph_session"], uuid_of(&session));
    let intents = fake.intents_of_session(&uuid_of(&session)).await;
    assert_eq!(intents.len(), 1, "one PaymentIntent for the session: {intents:?}");

    // A session offers what the account takes: by default cards; a wallet asked for by name
    // is refused at creation.
    let offered = app.create_session(payment_input(900)).await;
    let offered = &offered["data"]["createPaymentSession"]["paymentSession"]["allowedPaymentMethods"];
    assert_eq!(offered, &json!(["CARD"]), "{offered}");
    let named = json!({ "purpose": "PAYMENT", "amount": { "amount": 900, "currency": "EUR" },
        "allowedPaymentMethods": ["CARD", "WALLET"] });
    let refused = app.create_session(named).await;
    assert_eq!(user_error_code(&refused, "createPaymentSession"), "METHOD_NOT_SUPPORTED_BY_PROCESSOR");

    // A wallet on a session made before the account was connected: refused, nothing written.
    let input = json!({ "id": early, "paymentMethod": { "wallet": { "type": "APPLE_PAY", "token": "x" } } });
    let refused = app.gql_as(Some(&early_secret), CONFIRM, json!({ "input": input })).await;
    let payload = &refused["data"]["confirmPaymentSession"];
    assert_eq!(payload["userErrors"][0]["code"], "METHOD_NOT_SUPPORTED_BY_PROCESSOR", "{refused}");
    let status =
        app.gql("query($id: ID!) { paymentSession(id: $id) { status version } }", json!({ "id": early })).await;
    assert_eq!(status["data"]["paymentSession"], json!({ "status": "OPEN", "version": 1 }));
}

#[tokio::test]
async fn a_declined_card_keeps_stripes_code() {
    let Some((app, fake)) = app_with_fake("a_declined_card_keeps_stripes_code").await else { return };
    connected(&app).await;
    // 4000…0341 is the card the fake declines when charged.
    let (_, declined) = create_and_pay(&app, payment_input(1200), "4000000000000341").await;
    assert_eq!(declined["paymentSession"]["status"], "OPEN", "{declined}");
    assert_eq!(declined["payment"]["status"], "FAILED");
    assert_eq!(declined["payment"]["declineCode"], "card_declined");
    assert_eq!(declined["userErrors"][0]["code"], "CARD_DECLINED");
    let reference = payment(&app, declined["payment"]["id"].as_str().unwrap()).await["processorReference"].clone();
    let intent = fake.intent(reference.as_str().unwrap()).await;
    assert_eq!(intent["status"], "requires_payment_method", "{intent}");
}

#[tokio::test]
async fn a_held_payment_is_captured_in_part_or_voided_at_stripe() {
    let Some((app, fake)) = app_with_fake("a_held_payment_is_captured_in_part_or_voided_at_stripe").await else {
        return;
    };
    connected(&app).await;
    let manual =
        json!({ "purpose": "PAYMENT", "amount": { "amount": 2500, "currency": "EUR" }, "captureMethod": "MANUAL" });
    let (_, held) = create_and_pay(&app, manual.clone(), "4242424242424242").await;
    assert_eq!(held["payment"]["status"], "AUTHORIZED", "{held}");
    let id = held["payment"]["id"].as_str().unwrap();
    let reference = payment(&app, id).await["processorReference"].as_str().unwrap().to_owned();
    assert_eq!(fake.intent(&reference).await["status"], "requires_capture");

    let captured = capture(&app, json!({ "paymentId": id, "amount": 1500 })).await;
    assert_eq!(captured["payment"]["status"], "SUCCEEDED", "{captured}");
    assert_eq!(captured["payment"]["amountCaptured"]["amount"], 1500);
    let intent = fake.intent(&reference).await;
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["latest_charge"]["amount_refunded"], 1000, "the rest released: {intent}");
    // Asked again: captured once.
    let again = capture(&app, json!({ "paymentId": id, "amount": 1500 })).await;
    assert_eq!(again["userErrors"][0]["code"], "PAYMENT_NOT_CAPTURABLE", "{again}");

    let (_, held) = create_and_pay(&app, manual, "4242424242424242").await;
    let id = held["payment"]["id"].as_str().unwrap();
    let voided = void(&app, json!({ "paymentId": id })).await;
    assert_eq!(voided["payment"]["status"], "VOIDED", "{voided}");
    let reference = payment(&app, id).await["processorReference"].as_str().unwrap().to_owned();
    assert_eq!(fake.intent(&reference).await["status"], "canceled");
}

#[tokio::test]
async fn refunds_full_and_partial_reach_stripe_once() {
    let Some((app, fake)) = app_with_fake("refunds_full_and_partial_reach_stripe_once").await else { return };
    connected(&app).await;
    let (_, paid) = create_and_pay(&app, payment_input(3000), "4242424242424242").await;
    let id = paid["payment"]["id"].as_str().unwrap();
    let reference = payment(&app, id).await["processorReference"].as_str().unwrap().to_owned();

    let part = refund(&app, json!({ "paymentId": id, "amount": 1000, "idempotencyKey": "r-1" })).await;
    assert_eq!(part["refund"]["status"], "SUCCEEDED", "{part}");
    let replayed = refund(&app, json!({ "paymentId": id, "amount": 1000, "idempotencyKey": "r-1" })).await;
    assert_eq!(replayed["refund"]["id"], part["refund"]["id"], "a replay is the same refund");
    let rest = refund(&app, json!({ "paymentId": id })).await;
    assert_eq!(rest["refund"]["amount"]["amount"], 2000, "{rest}");
    assert_eq!(rest["refund"]["status"], "SUCCEEDED");
    assert_eq!(payment(&app, id).await["amountRefunded"]["amount"], 3000);

    let refunds = fake.refunds_of(&reference).await;
    let mut amounts: Vec<i64> = refunds.iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [1000, 2000], "each refund reached Stripe once: {refunds:?}");
    let over = refund(&app, json!({ "paymentId": id, "amount": 1 })).await;
    assert_eq!(over["userErrors"][0]["code"], "ALREADY_REFUNDED", "{over}");
    assert_eq!(fake.refunds_of(&reference).await.len(), 2);
}

#[tokio::test]
async fn a_merchant_on_the_test_processor_is_untouched_by_anothers_account() {
    let test = "a_merchant_on_the_test_processor_is_untouched_by_anothers_account";
    let Some((mut app, fake)) = app_with_fake(test).await else { return };
    connected(&app).await;
    let other_key = app.other_merchant_key().await;
    let stripe_merchant = std::mem::replace(&mut app.key, other_key);

    let (session, paid) = create_and_pay(&app, payment_input(700), "4242424242424242").await;
    assert_eq!(paid["payment"]["status"], "SUCCEEDED", "{paid}");
    let id = paid["payment"]["id"].as_str().unwrap();
    assert_eq!(payment(&app, id).await["processorReference"], Value::Null, "the test processor took it");
    assert!(fake.intents_of_session(&uuid_of(&session)).await.is_empty(), "nothing reached Stripe");
    let ledger = app.ledger();
    assert_eq!(ledger.charges, [(uuid_of(id), 700)], "the test processor charged it once");
    // The Stripe merchant's own payments go to Stripe meanwhile.
    app.key = stripe_merchant;
    let (_, stripe_paid) = create_and_pay(&app, payment_input(800), "4242424242424242").await;
    let reference = payment(&app, stripe_paid["payment"]["id"].as_str().unwrap()).await["processorReference"].clone();
    assert!(reference.as_str().is_some_and(|r| r.starts_with("pi_")), "{reference}");
    assert_eq!(app.ledger().charges.len(), 1, "the test processor saw none of it");
}

#[tokio::test]
async fn a_saved_card_is_charged_again_off_session() {
    let Some((app, fake)) = app_with_fake("a_saved_card_is_charged_again_off_session").await else { return };
    connected(&app).await;
    let customer = app.create_customer("saver@example.com").await;
    let setup = json!({ "purpose": "SETUP", "customerId": customer, "setProfileAsDefault": true });
    let (_, saved) = create_and_pay(&app, setup, "4242424242424242").await;
    assert_eq!(saved["paymentSession"]["status"], "COMPLETED", "{saved}");
    let profiles = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { edges { node { id } } } } } }",
            json!({ "id": customer }),
        )
        .await;
    let profile = profiles["data"]["node"]["paymentProfiles"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();

    let input =
        json!({ "purpose": "PAYMENT", "amount": { "amount": 1500, "currency": "EUR" }, "customerId": customer });
    let (session, _) = created(app.create_session(input).await);
    let confirm_input = json!({ "id": session, "paymentMethod": { "paymentProfileId": profile } });
    let paid = app.gql(CONFIRM, json!({ "input": confirm_input })).await["data"]["confirmPaymentSession"].clone();
    assert_eq!(paid["payment"]["status"], "SUCCEEDED", "{paid}");
    let reference = payment(&app, paid["payment"]["id"].as_str().unwrap()).await["processorReference"].clone();
    let intent = fake.intent(reference.as_str().unwrap()).await;
    assert!(intent["customer"].as_str().is_some_and(|c| c.starts_with("cus_")), "saved to a Stripe customer: {intent}");
}

#[tokio::test]
async fn a_card_saved_with_a_payment_is_charged_again_with_its_stripe_customer() {
    let test = "a_card_saved_with_a_payment_is_charged_again_with_its_stripe_customer";
    let Some((app, fake)) = app_with_fake(test).await else { return };
    connected(&app).await;
    let customer = app.create_customer("keeps@example.com").await;
    let saving = json!({ "purpose": "PAYMENT", "amount": { "amount": 2000, "currency": "EUR" },
        "customerId": customer, "savePaymentProfile": true });
    let (_, paid) = create_and_pay(&app, saving, "4242424242424242").await;
    assert_eq!(paid["payment"]["status"], "SUCCEEDED", "{paid}");
    let first = payment(&app, paid["payment"]["id"].as_str().unwrap()).await["processorReference"].clone();
    let first = fake.intent(first.as_str().unwrap()).await;
    let stripe_customer = first["customer"].as_str().unwrap_or_else(|| panic!("attached before the charge: {first}"));
    assert!(stripe_customer.starts_with("cus_"));

    let profiles = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { edges { node { id } } } } } }",
            json!({ "id": customer }),
        )
        .await;
    let profile = profiles["data"]["node"]["paymentProfiles"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let input = json!({ "purpose": "PAYMENT", "amount": { "amount": 900, "currency": "EUR" }, "customerId": customer });
    let (session, _) = created(app.create_session(input).await);
    let input = json!({ "id": session, "paymentMethod": { "paymentProfileId": profile } });
    let again = app.gql(CONFIRM, json!({ "input": input })).await["data"]["confirmPaymentSession"].clone();
    assert_eq!(again["payment"]["status"], "SUCCEEDED", "{again}");
    let reference = payment(&app, again["payment"]["id"].as_str().unwrap()).await["processorReference"].clone();
    let second = fake.intent(reference.as_str().unwrap()).await;
    assert_eq!(second["customer"], stripe_customer, "the same Stripe customer pays again");
    assert_eq!(second["payment_method"], first["payment_method"]);
}

#[tokio::test]
async fn a_subscription_renews_off_session_at_stripe() {
    let Some(url) = test_stripe_url("a_subscription_renews_off_session_at_stripe") else { return };
    let clock = std::sync::Arc::new(TestClock::default());
    let (base, secrets) = (url.clone(), paygraph::processor::accounts::sealing::SecretsKey::generate_text());
    let app = spawn_app_on(clock.clone(), move |config: &mut Config| {
        quiet(config);
        config.stripe_api_base = base;
        config.secrets_key = Some(secrets);
    })
    .await;
    let fake = Fake::new(&url);
    connected(&app).await;
    let customer = app.create_customer("renews@example.com").await;
    let created = app
        .gql(
            "mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }",
            json!({ "input": { "customerId": customer, "price": { "amount": 999, "currency": "EUR" }, "interval": "MONTH" } }),
        )
        .await;
    let subscription = created["data"]["createSubscription"]["subscription"]["id"].as_str().unwrap().to_owned();
    let first = json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription });
    let (_, paid) = create_and_pay(&app, first, "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");

    clock.advance(chrono::Duration::days(32));
    assert_eq!(app.services.renewals.renew_once().await.unwrap().renewed, 1);
    let query = "query($id: ID!) { node(id: $id) { ... on Subscription { status
        payments { edges { node { status offSession processorReference } } } } } }";
    let renewed = app.gql(query, json!({ "id": subscription })).await["data"]["node"].clone();
    assert_eq!(renewed["status"], "ACTIVE", "{renewed}");
    let latest = &renewed["payments"]["edges"][0]["node"];
    assert_eq!(latest["status"], "SUCCEEDED");
    assert_eq!(latest["offSession"], true);
    let intent = fake.intent(latest["processorReference"].as_str().unwrap()).await;
    let first_intent =
        fake.intent(renewed["payments"]["edges"][1]["node"]["processorReference"].as_str().unwrap()).await;
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount"], 999);
    assert!(intent["customer"].as_str().is_some_and(|c| c.starts_with("cus_")), "{intent}");
    assert_eq!(intent["customer"], first_intent["customer"], "charged through the customer the first payment saved");
}
