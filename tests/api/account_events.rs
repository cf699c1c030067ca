//! Changes to what a customer keeps are events of the log, through the API and the portal
//! alike: a subscription's end or renewing method is a SUBSCRIPTION_UPDATED event of the
//! session that started it, a saved method made the default or removed a PAYMENT_METHOD_*
//! event of the session that saved it. Each commits with its change (the version rises by
//! one), reaches a merchant's subscriber and its webhooks, and a refused change writes none.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::payments::{active_subscription, create_and_pay};
use crate::support::receiver::Receiver;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;
use crate::webhook_deliveries::endpoint;

const EVENTS: &str = "subscription($after: String) { paymentSessionEvents(after: $after) {
    version kind status paymentSession { id } paymentProfile { id } } }";

const SESSION: &str = "query($id: ID!) { paymentSession(id: $id) { version
    events(last: 1) { edges { node { version kind status paymentProfile { id } } } } } }";

/// The session `id`'s version and newest event.
async fn newest(app: &TestApp, id: &str) -> (i64, Value) {
    let body = app.gql(SESSION, json!({ "id": id })).await;
    let session = &body["data"]["paymentSession"];
    (session["version"].as_i64().unwrap_or_else(|| panic!("{body}")), session["events"]["edges"][0]["node"].clone())
}

/// The subscription's first (COMPLETED) session and the Mastercard's SETUP session and profile.
async fn sessions_of(app: &TestApp, subscription: &str, customer: &str) -> (String, String, String) {
    let sub = node_of(
        app,
        "query($id: ID!) { node(id: $id) { ... on Subscription {
        paymentSessions(first: 5) { edges { node { id status } } } } } }",
        subscription,
    )
    .await;
    let started =
        sub["paymentSessions"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["status"] == "COMPLETED");
    let started = started.unwrap()["node"]["id"].as_str().unwrap().to_owned();
    let customer = node_of(
        app,
        "query($id: ID!) { node(id: $id) { ... on Customer {
        paymentProfiles { edges { node { id last4 paymentSession { id } } } } } } }",
        customer,
    )
    .await;
    let edges = customer["paymentProfiles"]["edges"].as_array().unwrap().clone();
    let mastercard = &edges.iter().find(|e| e["node"]["last4"] == "4444").unwrap()["node"];
    let profile = mastercard["id"].as_str().unwrap().to_owned();
    (started, mastercard["paymentSession"]["id"].as_str().unwrap().to_owned(), profile)
}

#[tokio::test]
async fn changes_of_subscriptions_and_saved_methods_are_events_of_the_sessions_that_made_them() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(|c| c.live.background_interval_ms = 50).await;
    endpoint(&app, &receiver.url).await;
    let (customer, subscription) = active_subscription(&app, "events@example.com", "4242424242424242").await;
    let setup = json!({ "purpose": "SETUP", "customerId": customer });
    assert_eq!(create_and_pay(&app, setup, "5555555555554444").await.1["paymentSession"]["status"], "COMPLETED");
    let (started, saving, mastercard) = sessions_of(&app, &subscription, &customer).await;
    let after = app.event_cursor_now().await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &app.key).await;
    ws.subscribe("events", EVENTS, json!({ "after": after })).await;
    let (started_before, _) = newest(&app, &started).await;
    let (saving_before, _) = newest(&app, &saving).await;

    // Through the API: cancel at period end, then the Mastercard as the default.
    let cancel =
        "mutation($id: ID!) { cancelSubscription(input: { id: $id, atPeriodEnd: true }) { userErrors { code } } }";
    assert_eq!(
        app.gql(cancel, json!({ "id": subscription })).await["data"]["cancelSubscription"]["userErrors"],
        json!([])
    );
    let default = "mutation($id: ID!) { setDefaultPaymentProfile(input: { id: $id }) { userErrors { code } } }";
    app.gql(default, json!({ "id": mastercard })).await;
    // Through the portal: the subscription renews on the Mastercard, the cancel is taken back.
    let portal = app
        .gql(
            "mutation($id: ID!) { createCustomerPortalSession(input: { customerId: $id }) { customerPortalSession { url } } }",
            json!({ "id": customer }),
        )
        .await;
    let url =
        portal["data"]["createCustomerPortalSession"]["customerPortalSession"]["url"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (action, form) in [
        ("renew-on", vec![("id", subscription.as_str()), ("method", mastercard.as_str())]),
        ("keep", vec![("id", subscription.as_str())]),
    ] {
        let response = client.post(format!("{url}/{action}")).form(&form).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.contains("?done="), "{action}: {location}");
    }

    // Each change raised its session's version by one, with its event.
    let (version, event) = newest(&app, &started).await;
    assert_eq!(version, started_before + 3, "cancel, renew-on, keep");
    assert_eq!((event["kind"].as_str(), event["version"].as_i64()), (Some("SUBSCRIPTION_UPDATED"), Some(version)));
    let (version, event) = newest(&app, &saving).await;
    assert_eq!(version, saving_before + 1);
    assert_eq!(event["kind"], "PAYMENT_METHOD_UPDATED");
    assert_eq!(event["paymentProfile"]["id"], mastercard.as_str());

    // The merchant's subscriber hears all four, in commit order.
    let mut heard = Vec::new();
    while heard.len() < 4 {
        let event = ws.next_event().await["paymentSessionEvents"].clone();
        heard.push((
            event["paymentSession"]["id"].as_str().unwrap().to_owned(),
            event["kind"].as_str().unwrap().to_owned(),
        ));
    }
    let expected = [
        (started.clone(), "SUBSCRIPTION_UPDATED"),
        (saving.clone(), "PAYMENT_METHOD_UPDATED"),
        (started.clone(), "SUBSCRIPTION_UPDATED"),
        (started.clone(), "SUBSCRIPTION_UPDATED"),
    ];
    let expected: Vec<(String, String)> = expected.into_iter().map(|(s, k)| (s, k.to_owned())).collect();
    assert_eq!(heard, expected);

    // So do the webhooks, the method's id in the body.
    let method_event = |r: &[crate::support::receiver::Received]| {
        r.iter()
            .any(|r| r.body["kind"] == "PAYMENT_METHOD_UPDATED" && r.body["paymentProfileId"] == mastercard.as_str())
    };
    assert!(receiver.wait_until(Duration::from_secs(15), method_event).await, "the webhook carries the method");
    let updates = |r: &[crate::support::receiver::Received]| {
        r.iter()
            .filter(|r| r.body["kind"] == "SUBSCRIPTION_UPDATED" && r.body["paymentSessionId"] == started.as_str())
            .count()
            == 3
    };
    assert!(receiver.wait_until(Duration::from_secs(15), updates).await, "three subscription updates delivered");
}

#[tokio::test]
async fn a_refused_change_writes_no_event() {
    let app = spawn_app().await;
    let (customer, subscription) = active_subscription(&app, "refused@example.com", "4242424242424242").await;
    let setup = json!({ "purpose": "SETUP", "customerId": customer });
    create_and_pay(&app, setup, "5555555555554444").await;
    let (started, _, _) = sessions_of(&app, &subscription, &customer).await;
    let visa = node_of(&app, "query($id: ID!) { node(id: $id) { ... on Subscription { defaultPaymentProfile { id paymentSession { id } } } } }", &subscription).await;
    let visa_session = visa["defaultPaymentProfile"]["paymentSession"]["id"].as_str().unwrap().to_owned();
    let visa = visa["defaultPaymentProfile"]["id"].as_str().unwrap().to_owned();
    let (started_before, _) = newest(&app, &started).await;
    let (visa_before, _) = newest(&app, &visa_session).await;

    // Taking back a cancel that was never asked changes nothing and is no error.
    let keep = "mutation($id: ID!) { updateSubscription(input: { id: $id, cancelAtPeriodEnd: false }) { userErrors { code } } }";
    assert_eq!(
        app.gql(keep, json!({ "id": subscription })).await["data"]["updateSubscription"]["userErrors"],
        json!([])
    );
    // The portal may not remove the method the subscription renews on.
    let portal = app
        .gql(
            "mutation($id: ID!) { createCustomerPortalSession(input: { customerId: $id }) { customerPortalSession { url } } }",
            json!({ "id": customer }),
        )
        .await;
    let url =
        portal["data"]["createCustomerPortalSession"]["customerPortalSession"]["url"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.post(format!("{url}/remove")).form(&[("id", visa.as_str())]).send().await.unwrap();
    assert!(response.headers()["location"].to_str().unwrap().ends_with("?error=PAYMENT_METHOD_IN_USE"));
    // A canceled subscription cannot be given a method.
    let now = "mutation($id: ID!) { cancelSubscription(input: { id: $id }) { userErrors { code } } }";
    app.gql(now, json!({ "id": subscription })).await;
    let update = "mutation($id: ID!, $p: ID!) { updateSubscription(input: { id: $id, paymentProfileId: $p }) { userErrors { code } } }";
    let refused = app.gql(update, json!({ "id": subscription, "p": visa })).await;
    assert_eq!(refused["data"]["updateSubscription"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION", "{refused}");

    assert_eq!(newest(&app, &started).await.0, started_before, "no event on the subscription's session");
    assert_eq!(newest(&app, &visa_session).await.0, visa_before, "no event on the method's session");
}
