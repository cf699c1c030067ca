//! The customer portal: `createCustomerPortalSession` for read-write keys only, a link bound
//! to one customer that grants nothing else, and each action the API's own use case.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::payments::{active_subscription, create_and_pay};
use crate::support::*;

const CREATE: &str = "mutation($input: CreateCustomerPortalSessionInput!) {
    createCustomerPortalSession(input: $input) {
        customerPortalSession { id url expiresAt customer { id } } userErrors { field code message } } }";

const SUBSCRIPTION: &str = "query($id: ID!) { node(id: $id) { ... on Subscription {
    status cancelAtPeriodEnd defaultPaymentProfile { id last4 } } } }";

const METHODS: &str = "query($id: ID!) { node(id: $id) { ... on Customer {
    preferredLocale paymentProfiles { edges { node { id last4 isDefault } } } } } }";

/// What `createCustomerPortalSession` answers.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    customer_portal_session: Option<Portal>,
    user_errors: Vec<UserError>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Portal {
    id: String,
    url: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    customer: Named,
}

/// A portal of `customer`, with `extra` input.
async fn portal_of(app: &TestApp, customer: &str, extra: Value) -> Created {
    let mut input = json!({ "customerId": customer });
    input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    read(&app.gql(CREATE, json!({ "input": input })).await, "createCustomerPortalSession")
}

async fn portal_url(app: &TestApp, customer: &str) -> String {
    let created = portal_of(app, customer, json!({})).await;
    created.customer_portal_session.unwrap_or_else(|| panic!("{:?}", created.user_errors)).url
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts a portal form; the answer's status and where it sends the browser.
async fn act(url: &str, action: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = browser().post(format!("{url}/{action}")).form(form).send().await.unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), location)
}

async fn get(url: &str) -> (u16, String) {
    let response = browser().get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The customer's saved methods: (id, last4, is default).
async fn methods(app: &TestApp, customer: &str) -> Vec<(String, String, bool)> {
    let body = node_of(app, METHODS, customer).await;
    let edges = body["paymentProfiles"]["edges"].as_array().cloned().unwrap_or_default();
    edges
        .iter()
        .map(|e| {
            let n = &e["node"];
            (n["id"].as_str().unwrap().to_owned(), n["last4"].as_str().unwrap().to_owned(), n["isDefault"] == true)
        })
        .collect()
}

/// A customer with an active subscription on a Visa (their default) and a saved Mastercard.
async fn subscriber(app: &TestApp, email: &str) -> (String, String) {
    let (customer, subscription) = active_subscription(app, email, "4242424242424242").await;
    let setup = json!({ "purpose": "SETUP", "customerId": customer });
    let (_, saved) = create_and_pay(app, setup, "5555555555554444").await;
    assert_eq!(saved["paymentSession"]["status"], "COMPLETED", "{saved}");
    (customer, subscription)
}

#[tokio::test]
async fn a_portal_session_is_opened_by_a_read_write_key_for_its_own_customer() {
    let app = spawn_app().await;
    let customer = app.create_customer("ines@example.com").await;
    let created = portal_of(&app, &customer, json!({ "returnUrl": "https://shop.example/account" })).await;
    assert_eq!(created.user_errors, vec![]);
    let portal = created.customer_portal_session.unwrap();
    assert_eq!(portal.customer.id, customer);
    assert!(portal.url.starts_with(&format!("{}/portal/cps_", app.address)), "{}", portal.url);
    let lifetime = portal.expires_at - chrono::Utc::now();
    assert!(lifetime > chrono::Duration::seconds(3_590) && lifetime <= chrono::Duration::seconds(3_600), "{lifetime}");

    // The merchant reads it again as a node; another merchant does not see it.
    let query = "query($id: ID!) { node(id: $id) { ... on CustomerPortalSession { url } } }";
    let again = app.gql(query, json!({ "id": portal.id })).await;
    assert_eq!(read::<String>(&again, "node.url"), portal.url);
    let other = app.other_merchant_key().await;
    let foreign =
        app.gql_as(Some(&other), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": portal.id })).await;
    assert_eq!(read::<Option<Named>>(&foreign, "node"), None, "{foreign}");

    // Bad input is a user error that opens nothing.
    for (extra, field, code) in [
        (json!({ "expiresInSeconds": 299 }), "expiresInSeconds", "EXPIRY_OUT_OF_RANGE"),
        (json!({ "expiresInSeconds": 86_401 }), "expiresInSeconds", "EXPIRY_OUT_OF_RANGE"),
        (json!({ "locale": "fr" }), "locale", "UNSUPPORTED_LOCALE"),
        (json!({ "returnUrl": "javascript:alert(1)" }), "returnUrl", "INVALID"),
    ] {
        let refused = portal_of(&app, &customer, extra).await;
        assert!(refused.customer_portal_session.is_none());
        let error = &refused.user_errors[0];
        assert_eq!(
            (error.code.as_str(), error.field.clone()),
            (code, Some(vec!["input".to_owned(), field.to_owned()]))
        );
    }
    // Another merchant's customer is not found.
    let theirs = app
        .gql_as(
            Some(&other),
            "mutation { createCustomer(input: { email: \"x@example.com\" }) { customer { id } } }",
            json!({}),
        )
        .await;
    let theirs = theirs["data"]["createCustomer"]["customer"]["id"].as_str().unwrap();
    assert_eq!(portal_of(&app, theirs, json!({})).await.user_errors[0].code, "NOT_FOUND");
}

#[tokio::test]
async fn a_read_only_key_or_a_client_secret_is_forbidden() {
    let app = spawn_app().await;
    let customer = app.create_customer("forbidden@example.com").await;
    let reader = app.gql("mutation { createApiKey(input: { scope: READ_ONLY }) { secretKey } }", json!({})).await;
    let reader = reader["data"]["createApiKey"]["secretKey"].as_str().unwrap().to_owned();
    let (_, client_secret) = app.create_payment_session(1000, "EUR").await;
    for token in [reader, client_secret] {
        let body = app.gql_as(Some(&token), CREATE, json!({ "input": { "customerId": customer } })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        assert_eq!(body["data"]["createCustomerPortalSession"], Value::Null);
    }
}

#[tokio::test]
async fn a_portal_shows_and_changes_its_own_customer_only() {
    let app = spawn_app().await;
    let (mine, _) = subscriber(&app, "mine@example.com").await;
    let (theirs, their_subscription) = subscriber(&app, "theirs@example.com").await;
    let url = portal_url(&app, &mine).await;
    let (status, page) = get(&url).await;
    assert_eq!(status, 200);
    let their_methods = methods(&app, &theirs).await;
    for (id, _, _) in &methods(&app, &mine).await {
        assert!(page.contains(id.as_str()), "the page lists the customer's method {id}");
    }
    for (id, _, _) in &their_methods {
        assert!(!page.contains(id.as_str()), "another customer's method is not on the page");
    }

    // Another customer's method or subscription, named in a form, is not found and stays.
    let (_, other_card, _) = their_methods.iter().find(|(_, _, default)| !default).unwrap();
    let other_card = their_methods.iter().find(|(_, last4, _)| last4 == other_card).unwrap().0.clone();
    for (action, form) in [
        ("default", vec![("id", other_card.as_str())]),
        ("remove", vec![("id", other_card.as_str())]),
        ("cancel", vec![("id", their_subscription.as_str())]),
    ] {
        let (status, location) = act(&url, action, &form).await;
        assert_eq!((status, location.ends_with("?error=NOT_FOUND")), (303, true), "{action}: {location}");
    }
    assert_eq!(methods(&app, &theirs).await, their_methods, "nothing of theirs changed");
    let sub = node_of(&app, SUBSCRIPTION, &their_subscription).await;
    assert_eq!(sub["cancelAtPeriodEnd"], false);

    // Their receipt is not found; an unknown secret or action is a 404.
    let their_payment = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { payments(first: 1) { edges { node { id } } } } } }",
            json!({ "id": theirs }),
        )
        .await;
    let their_payment =
        their_payment["data"]["node"]["payments"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&format!("{url}/receipts/{their_payment}")).await.0, 404);
    assert_eq!(get(&format!("{}/portal/cps_unknown", app.address)).await.0, 404);
    assert_eq!(act(&url, "delete-everything", &[]).await.0, 404);
}

#[tokio::test]
async fn an_expired_portal_grants_nothing() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (customer, subscription) = subscriber(&app, "expired@example.com").await;
    let url = portal_of(&app, &customer, json!({ "expiresInSeconds": 300 })).await.customer_portal_session.unwrap().url;
    assert_eq!(get(&url).await.0, 200);
    clock.advance(chrono::Duration::seconds(300));
    let (status, page) = get(&url).await;
    assert_eq!(status, 410);
    assert!(page.contains("This link has expired"), "{page}");
    assert_eq!(get(&format!("{url}/live")).await.0, 410);
    assert_eq!(act(&url, "cancel", &[("id", &subscription)]).await.0, 410);
    assert_eq!(node_of(&app, SUBSCRIPTION, &subscription).await["cancelAtPeriodEnd"], false);
}

#[tokio::test]
async fn each_portal_action_is_the_api_use_case_for_the_customer() {
    let app = spawn_app().await;
    let (customer, subscription) = subscriber(&app, "acts@example.com").await;
    let url = portal_url(&app, &customer).await;
    let saved = methods(&app, &customer).await;
    let visa = saved.iter().find(|(_, last4, _)| last4 == "4242").unwrap().0.clone();
    let mastercard = saved.iter().find(|(_, last4, _)| last4 == "4444").unwrap().0.clone();

    // The method the subscription renews on cannot go until another is chosen.
    let (status, location) = act(&url, "remove", &[("id", &visa)]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/portal/{}?error=PAYMENT_METHOD_IN_USE", secret_of(&url)).as_str())
    );
    let (_, page) = get(&format!("{}{location}", app.address)).await;
    assert!(page.contains("A subscription renews with this method"), "the refusal in words");
    assert_eq!(methods(&app, &customer).await.len(), 2);

    // The subscription renews on the Mastercard; then the Visa goes. The Mastercard becomes the default.
    let (_, renewing) = act(&url, "renew-on", &[("id", &subscription), ("method", &mastercard)]).await;
    assert!(renewing.ends_with("?done=renew_on"), "{renewing}");
    let sub = node_of(&app, SUBSCRIPTION, &subscription).await;
    assert_eq!(sub["defaultPaymentProfile"]["last4"], "4444", "{sub}");
    assert!(act(&url, "default", &[("id", &mastercard)]).await.1.ends_with("?done=default"));
    assert!(act(&url, "remove", &[("id", &visa)]).await.1.ends_with("?done=removed"));
    let left = methods(&app, &customer).await;
    assert_eq!(left, vec![(mastercard.clone(), "4444".to_owned(), true)]);

    // Cancel at period end, then take it back.
    assert!(act(&url, "cancel", &[("id", &subscription)]).await.1.ends_with("?done=canceled"));
    assert_eq!(node_of(&app, SUBSCRIPTION, &subscription).await["cancelAtPeriodEnd"], true);
    let (_, page) = get(&url).await;
    assert!(page.contains("Keep subscription") && page.contains("Ends on"), "{page}");
    assert!(act(&url, "keep", &[("id", &subscription)]).await.1.ends_with("?done=kept"));
    let sub = node_of(&app, SUBSCRIPTION, &subscription).await;
    assert_eq!((sub["status"].as_str(), sub["cancelAtPeriodEnd"].as_bool()), (Some("ACTIVE"), Some(false)));

    // What the customer owes is paid through an OUTSTANDING_BALANCE session that comes back here.
    let (_, nothing) = act(&url, "pay-balance", &[("currency", "EUR")]).await;
    assert!(nothing.ends_with("?error=NOTHING_OUTSTANDING"), "{nothing}");
    let charge =
        "mutation($input: CreateBalanceChargeInput!) { createBalanceCharge(input: $input) { userErrors { code } } }";
    let posted = app
        .gql(charge, json!({ "input": { "customerId": customer, "amount": { "amount": 2500, "currency": "EUR" } } }))
        .await;
    assert_eq!(posted["data"]["createBalanceCharge"]["userErrors"], json!([]), "{posted}");
    let (_, page) = get(&url).await;
    assert!(page.contains("You owe €25.00"), "{page}");
    let (status, hosted) = act(&url, "pay-balance", &[("currency", "EUR")]).await;
    assert_eq!(status, 303);
    assert!(hosted.starts_with("/pay/pscs_"), "{hosted}");
    let sessions = app
        .gql("query($id: ID!) { node(id: $id) { ... on Customer { paymentSessions(first: 1) { edges { node { purpose successUrl amount { amount currency } } } } } } }", json!({ "id": customer }))
        .await;
    let newest = &sessions["data"]["node"]["paymentSessions"]["edges"][0]["node"];
    assert_eq!(newest["purpose"], "OUTSTANDING_BALANCE", "{sessions}");
    assert_eq!(newest["amount"], json!({ "amount": 2500, "currency": "EUR" }));
    assert_eq!(newest["successUrl"], url.as_str(), "back to the portal once paid");

    // A card is added through a SETUP session on the hosted page.
    let (status, hosted) = act(&url, "add-card", &[]).await;
    assert_eq!((status, hosted.starts_with("/pay/pscs_")), (303, true), "{hosted}");

    // The language is kept as the customer's preference, and the page speaks it.
    assert!(act(&url, "language", &[("locale", "sv")]).await.1.ends_with("?done=language"));
    assert_eq!(node_of(&app, METHODS, &customer).await["preferredLocale"], "sv");
    let (_, page) = get(&url).await;
    assert!(page.contains("<html lang=\"sv\">") && page.contains("Betalsätt"), "{page}");
    assert!(act(&url, "language", &[("locale", "xx")]).await.1.ends_with("?error=UNSUPPORTED_LOCALE"));

    // Every change is in the audit trail as the customer's, naming the portal.
    let audit =
        app.gql("{ auditEvents(first: 50) { nodes { actor { kind } action outcome nodeIds } } }", json!({})).await;
    let portal_events: Vec<&Value> = audit["data"]["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["kind"] == "CUSTOMER_PORTAL")
        .collect();
    let outcomes: Vec<(&str, &str)> =
        portal_events.iter().map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert!(outcomes.contains(&("removePaymentProfile", "PAYMENT_METHOD_IN_USE")), "{outcomes:?}");
    assert!(outcomes.contains(&("removePaymentProfile", "OK")), "{outcomes:?}");
    assert!(outcomes.contains(&("updateSubscription", "OK")), "{outcomes:?}");
    assert_eq!(portal_events.len(), 11, "{outcomes:?}");
}

fn secret_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn a_form_another_site_sent_changes_nothing() {
    let app = spawn_app().await;
    let (customer, subscription) = subscriber(&app, "csrf@example.com").await;
    let url = portal_url(&app, &customer).await;
    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response = browser()
            .post(format!("{url}/cancel"))
            .header(header, value)
            .form(&[("id", &subscription)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{header}: {value}");
    }
    assert_eq!(node_of(&app, SUBSCRIPTION, &subscription).await["cancelAtPeriodEnd"], false);
    // The portal's own page may, whether its form says `Origin: null` (no referrer) or not.
    let response = browser()
        .post(format!("{url}/cancel"))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&[("id", &subscription)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(node_of(&app, SUBSCRIPTION, &subscription).await["cancelAtPeriodEnd"], true);
}

/// Reads an event stream until it has said `changed` `count` more times; what each said.
async fn changes(stream: &mut reqwest::Response, count: usize) -> Vec<String> {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let said: Vec<String> = seen
            .split("\n\n")
            .filter(|frame| frame.contains("event: changed") && seen.contains(&format!("{frame}\n\n")))
            .map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or_default().to_owned())
            .collect();
        if said.len() >= count {
            return said;
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.expect("a change within 10 s").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
}

#[tokio::test]
async fn the_live_stream_tells_an_open_portal_of_its_customer_changes_only() {
    let app = spawn_app().await;
    let (customer, subscription) = subscriber(&app, "live@example.com").await;
    let (other, _) = subscriber(&app, "other-live@example.com").await;
    let url = portal_url(&app, &customer).await;
    let mut stream = app.client.get(format!("{url}/live")).send().await.unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut theirs = app.client.get(format!("{}/live", portal_url(&app, &other).await)).send().await.unwrap();

    // Another customer's change reaches their portal and not this one: the first this one
    // hears of is its own session, opened after.
    let rename = "mutation($id: ID!) { updateCustomer(input: { id: $id, name: \"Other\" }) { userErrors { code } } }";
    app.gql(rename, json!({ "id": other })).await;
    assert_eq!(changes(&mut theirs, 1).await, ["account"]);
    let session =
        json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 500, "currency": "EUR" } });
    created(app.create_session(session).await);
    assert_eq!(changes(&mut stream, 1).await, ["sessions"]);

    // A cancel made through the API.
    let cancel =
        "mutation($id: ID!) { cancelSubscription(input: { id: $id, atPeriodEnd: true }) { userErrors { code } } }";
    app.gql(cancel, json!({ "id": subscription })).await;
    // Its event (SUBSCRIPTION_UPDATED of the session that started it), then the notice.
    assert_eq!(changes(&mut stream, 2).await, ["sessions", "account"]);
}

#[tokio::test]
async fn update_subscription_keeps_a_canceling_one_and_changes_its_method() {
    let app = spawn_app().await;
    let (customer, subscription) = subscriber(&app, "update@example.com").await;
    let (other, _) = subscriber(&app, "not-theirs@example.com").await;
    let mastercard = methods(&app, &customer).await.into_iter().find(|m| m.1 == "4444").unwrap().0;
    let foreign = methods(&app, &other).await[0].0.clone();
    let update = "mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) {
        subscription { cancelAtPeriodEnd defaultPaymentProfile { last4 } } userErrors { field code } } }";
    let refused = app.gql(update, json!({ "input": { "id": subscription, "paymentProfileId": foreign } })).await;
    assert_eq!(refused["data"]["updateSubscription"]["userErrors"][0]["code"], "NOT_FOUND", "{refused}");
    assert_eq!(refused["data"]["updateSubscription"]["userErrors"][0]["field"], json!(["input", "paymentProfileId"]));

    app.gql(
        "mutation($id: ID!) { cancelSubscription(input: { id: $id, atPeriodEnd: true }) { userErrors { code } } }",
        json!({ "id": subscription }),
    )
    .await;
    let body = app
        .gql(
            update,
            json!({ "input": { "id": subscription, "cancelAtPeriodEnd": false, "paymentProfileId": mastercard } }),
        )
        .await;
    let updated = &body["data"]["updateSubscription"];
    assert_eq!(updated["userErrors"], json!([]), "{body}");
    assert_eq!(
        updated["subscription"],
        json!({ "cancelAtPeriodEnd": false, "defaultPaymentProfile": { "last4": "4444" } })
    );
}
