//! Subscriptions: the first payment starts them, the renewal job charges each period
//! off-session, a failed renewal makes them PAST_DUE with a session to pay, and they cancel
//! at once or at period end. Time moves by a test clock; the job is run by hand.

use std::sync::Arc;

use chrono::Duration;
use paygraph::config::Config;
use paygraph::service::renewals::RenewalPass;
use serde_json::{Value, json};

use crate::support::payments::{active_subscription, confirm, create_and_pay, create_subscription, tokenize};
use crate::support::*;

const SUBSCRIPTION: &str = "query($id: ID!) { node(id: $id) { ... on Subscription {
    status currentPeriodStart currentPeriodEnd cancelAtPeriodEnd canceledAt
    defaultPaymentProfile { last4 }
    renewalSession { id status attemptCount }
    paymentSessions { totalCount }
    payments { totalCount edges { node { status offSession declineCode paymentProfile { last4 } } } } } } }";

const CANCEL: &str = "mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) {
    subscription { status cancelAtPeriodEnd canceledAt } userErrors { field code message } } }";

/// An app on `clock` and on the database at `url`, whose own background job never runs
/// during the test: the test runs it.
async fn app_on(clock: Arc<TestClock>, url: String) -> TestApp {
    let mut config = Config::for_database(url);
    quiet(&mut config);
    start(config, clock).await
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    let body = app.gql(SUBSCRIPTION, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

fn period_end(sub: &Value) -> chrono::DateTime<chrono::Utc> {
    sub["currentPeriodEnd"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_first_payment_starts_a_subscription_and_each_period_renews_off_session() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (_, id) = active_subscription(&app, "renews@example.com", "4242424242424242").await;

    let started = subscription(&app, &id).await;
    assert_eq!(started["status"], "ACTIVE");
    assert_eq!(started["defaultPaymentProfile"]["last4"], "4242", "the first payment's card renews it");
    let start: chrono::DateTime<chrono::Utc> = started["currentPeriodStart"].as_str().unwrap().parse().unwrap();
    let first_end = period_end(&started);
    assert!(first_end > start + Duration::days(27) && first_end <= start + Duration::days(31), "{started}");

    // Nothing is due before the period ends.
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass::default());

    clock.advance(Duration::days(32));
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass { renewed: 1, ..RenewalPass::default() });
    let renewed = subscription(&app, &id).await;
    assert_eq!(renewed["status"], "ACTIVE", "{renewed}");
    assert_eq!(renewed["currentPeriodStart"], started["currentPeriodEnd"]);
    assert!(period_end(&renewed) > first_end + Duration::days(27));
    assert_eq!(renewed["renewalSession"], Value::Null, "paid: no renewal waits");
    assert_eq!(renewed["paymentSessions"]["totalCount"], 2);
    assert_eq!(renewed["payments"]["totalCount"], 2);
    let latest = &renewed["payments"]["edges"][0]["node"];
    assert_eq!(latest["status"], "SUCCEEDED");
    assert_eq!(latest["offSession"], true);
    assert_eq!(latest["paymentProfile"]["last4"], "4242");
    assert_eq!(renewed["payments"]["edges"][1]["node"]["offSession"], false);

    // Already renewed for this period: another pass charges nothing.
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass::default());
    assert_eq!(subscription(&app, &id).await["payments"]["totalCount"], 2);
}

#[tokio::test]
async fn a_renewal_run_twice_at_once_charges_once() {
    let (url, _db) = test_database().await;
    let clock = Arc::new(TestClock::default());
    let mut app = app_on(clock.clone(), url.clone()).await;
    app.key = app.services.auth.create_merchant("M").await.unwrap().secret_key;
    // A second instance on the same database, as in production.
    let other = app_on(clock.clone(), url).await;
    let mut subscriptions = Vec::new();
    for n in 0..3 {
        subscriptions.push(active_subscription(&app, &format!("race{n}@example.com"), "4242424242424242").await.1);
    }
    clock.advance(Duration::days(32));

    let (a, b, c) = tokio::join!(
        app.services.renewals.renew_once(),
        other.services.renewals.renew_once(),
        app.services.renewals.renew_once()
    );
    let renewed = a.unwrap().renewed + b.unwrap().renewed + c.unwrap().renewed;
    assert_eq!(renewed, 3, "each subscription is claimed by exactly one pass");
    for id in &subscriptions {
        let sub = subscription(&app, id).await;
        assert_eq!(sub["payments"]["totalCount"], 2, "one first payment and one renewal: {sub}");
        assert_eq!(sub["paymentSessions"]["totalCount"], 2);
        assert_eq!(sub["status"], "ACTIVE");
    }
    // Where the money moves: three first payments and three renewals, over both instances'
    // processors, each charge once.
    let (mine, theirs) = (app.ledger().charges, other.ledger().charges);
    assert_eq!(mine.len() + theirs.len(), 6, "{mine:?} {theirs:?}");
}

#[tokio::test]
async fn a_declined_renewal_is_past_due_until_the_customer_pays_its_session() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (customer, id) = active_subscription(&app, "declines@example.com", "4242424242424242").await;
    let first_end = period_end(&subscription(&app, &id).await);

    // The customer saves a card whose charges fail, as their default; the subscription's
    // own card is removed, so renewals fall back to the default.
    let setup = json!({ "purpose": "SETUP", "customerId": customer, "setProfileAsDefault": true });
    let (_, saved) = create_and_pay(&app, setup, "4000000000000341").await;
    assert_eq!(saved["paymentSession"]["status"], "COMPLETED", "{saved}");
    let profiles = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { edges { node { id last4 } } } } } }",
            json!({ "id": customer }),
        )
        .await;
    let edges = profiles["data"]["node"]["paymentProfiles"]["edges"].as_array().unwrap().clone();
    let visa = edges.iter().find(|e| e["node"]["last4"] == "4242").unwrap()["node"]["id"].clone();
    let removed = app
        .gql("mutation($id: ID!) { removePaymentProfile(input: {id: $id}) { removedId } }", json!({ "id": visa }))
        .await;
    assert_eq!(removed["data"]["removePaymentProfile"]["removedId"], visa, "{removed}");

    clock.advance(Duration::days(32));
    assert_eq!(app.services.renewals.renew_once().await.unwrap().renewed, 1);
    let past_due = subscription(&app, &id).await;
    assert_eq!(past_due["status"], "PAST_DUE", "{past_due}");
    assert_eq!(period_end(&past_due), first_end, "an unpaid period does not move the subscription on");
    assert_eq!(past_due["renewalSession"]["status"], "OPEN");
    assert_eq!(past_due["renewalSession"]["attemptCount"], 1);
    let attempt = &past_due["payments"]["edges"][0]["node"];
    assert_eq!((attempt["status"].as_str(), attempt["declineCode"].as_str()), (Some("FAILED"), Some("card_declined")));
    assert_eq!(attempt["offSession"], true);
    assert_eq!(attempt["paymentProfile"]["last4"], "0341");

    // A later pass leaves it alone: the customer's session is open.
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass::default());

    // The customer pays the renewal session with another card: ACTIVE again, one period on,
    // and that card is what the next renewal charges.
    let session = past_due["renewalSession"]["id"].as_str().unwrap();
    let token = tokenize(&app, &app.key, "5555555555554444").await;
    let paid = confirm(&app, &app.key, session, &token, None).await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let active = subscription(&app, &id).await;
    assert_eq!(active["status"], "ACTIVE", "{active}");
    assert_eq!(active["renewalSession"], Value::Null);
    assert_eq!(active["defaultPaymentProfile"]["last4"], "4444");
    assert!(period_end(&active) > first_end + Duration::days(27));
    assert_eq!(active["payments"]["totalCount"], 3);
}

#[tokio::test]
async fn a_renewal_with_no_profile_waits_for_the_customer_then_lapses() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (_, id) = active_subscription(&app, "no-card@example.com", "4242424242424242").await;
    let profile = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Subscription { defaultPaymentProfile { id } } } }",
            json!({ "id": id }),
        )
        .await["data"]["node"]["defaultPaymentProfile"]["id"]
        .clone();
    app.gql("mutation($id: ID!) { removePaymentProfile(input: {id: $id}) { removedId } }", json!({ "id": profile }))
        .await;

    clock.advance(Duration::days(32));
    assert_eq!(app.services.renewals.renew_once().await.unwrap().renewed, 1);
    let past_due = subscription(&app, &id).await;
    assert_eq!(past_due["status"], "PAST_DUE", "{past_due}");
    assert_eq!(past_due["renewalSession"]["status"], "OPEN");
    assert_eq!(past_due["payments"]["totalCount"], 1, "nothing to charge: no attempt");

    // A client secret sees its own session only: not the subscription, nor its renewal session.
    let (other, secret) = created(app.create_session(json!({ "purpose": "SUBSCRIPTION", "subscriptionId": id })).await);
    let seen = app
        .gql_as(
            Some(&secret),
            "query($id: ID!) { paymentSession(id: $id) { subscription { renewalSession { id } } } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(error_code(&seen), "FORBIDDEN", "{seen}");
    assert_eq!(seen["data"]["paymentSession"], Value::Null, "{seen}");
    app.gql(
        "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }",
        json!({ "id": other }),
    )
    .await;

    // Unpaid through its window, the session expires and the subscription ends.
    clock.advance(Duration::days(8));
    assert_eq!(app.services.sweep_once().await.unwrap(), 1);
    assert_eq!(
        app.services.renewals.renew_once().await.unwrap(),
        RenewalPass { canceled: 1, ..RenewalPass::default() }
    );
    let lapsed = subscription(&app, &id).await;
    assert_eq!(lapsed["status"], "CANCELED", "{lapsed}");
    assert!(lapsed["canceledAt"].is_string());
    let refused = app.create_session(json!({ "purpose": "SUBSCRIPTION", "subscriptionId": id })).await;
    assert_eq!(user_error_code(&refused, "createPaymentSession"), "SUBSCRIPTION_NOT_PAYABLE");
}

#[tokio::test]
async fn subscriptions_cancel_at_period_end_or_at_once() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;

    // At period end: it runs out the period it paid for, then ends instead of renewing.
    let (_, id) = active_subscription(&app, "leaving@example.com", "4242424242424242").await;
    let end = period_end(&subscription(&app, &id).await);
    let body = app.gql(CANCEL, json!({ "input": { "id": id, "atPeriodEnd": true } })).await;
    let canceled = &body["data"]["cancelSubscription"]["subscription"];
    assert_eq!((canceled["status"].as_str(), canceled["cancelAtPeriodEnd"].as_bool()), (Some("ACTIVE"), Some(true)));
    clock.advance(Duration::days(32));
    assert_eq!(
        app.services.renewals.renew_once().await.unwrap(),
        RenewalPass { canceled: 1, ..RenewalPass::default() }
    );
    let ended = subscription(&app, &id).await;
    assert_eq!(ended["status"], "CANCELED", "{ended}");
    assert_eq!(ended["canceledAt"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(), end);
    assert_eq!(ended["payments"]["totalCount"], 1, "no renewal charged");
    let again = app.gql(CANCEL, json!({ "input": { "id": id } })).await;
    assert_eq!(user_error_code(&again, "cancelSubscription"), "ILLEGAL_TRANSITION");

    // At once: an INCOMPLETE subscription's open session is canceled with it.
    let customer = app.create_customer("never-paid@example.com").await;
    let id = create_subscription(&app, &customer).await;
    let (session, _) = created(app.create_session(json!({ "purpose": "SUBSCRIPTION", "subscriptionId": id })).await);
    let at_end = app.gql(CANCEL, json!({ "input": { "id": id, "atPeriodEnd": true } })).await;
    assert_eq!(user_error_code(&at_end, "cancelSubscription"), "NOT_ALLOWED");
    assert_eq!(subscription(&app, &id).await["status"], "INCOMPLETE");
    let body = app.gql(CANCEL, json!({ "input": { "id": id } })).await;
    assert_eq!(body["data"]["cancelSubscription"]["subscription"]["status"], "CANCELED", "{body}");
    let closed =
        app.gql("query($id: ID!) { paymentSession(id: $id) { status version } }", json!({ "id": session })).await;
    assert_eq!(closed["data"]["paymentSession"], json!({ "status": "CANCELED", "version": 2 }));

    let unknown = app.gql(CANCEL, json!({ "input": { "id": "nope" } })).await;
    assert_eq!(user_error_code(&unknown, "cancelSubscription"), "INVALID_ID");
    let foreign = app.other_merchant_key().await;
    let refused = app.gql_as(Some(&foreign), CANCEL, json!({ "input": { "id": id } })).await;
    assert_eq!(user_error_code(&refused, "cancelSubscription"), "NOT_FOUND");
}

#[tokio::test]
async fn a_renewal_interrupted_after_its_claim_is_charged_by_a_later_pass() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (_, id) = active_subscription(&app, "interrupted@example.com", "4242424242424242").await;
    let first_end = period_end(&subscription(&app, &id).await);
    clock.advance(Duration::days(32));

    // The instance claims the renewal and dies before charging it.
    use sea_orm::EntityTrait;
    let only = paygraph::storage::entities::subscription::Entity::find().one(&app.services.core.db).await.unwrap();
    let row =
        paygraph::domain::subscription::Subscription::try_from(only.expect("the test's one subscription")).unwrap();
    let claimed = app.services.renewals.claim_renewal(&row).await.unwrap();
    assert!(claimed.is_some());
    assert_eq!(app.services.renewals.claim_renewal(&row).await.unwrap(), None, "a period is claimed once");
    let waiting = subscription(&app, &id).await;
    assert_eq!(
        (waiting["status"].as_str(), waiting["renewalSession"]["status"].as_str()),
        (Some("ACTIVE"), Some("OPEN"))
    );

    // Too early to tell a crash from a slow instance: left alone.
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass::default());
    clock.advance(Duration::minutes(2));
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass { resumed: 1, ..RenewalPass::default() });
    let renewed = subscription(&app, &id).await;
    assert_eq!(renewed["status"], "ACTIVE", "{renewed}");
    assert!(period_end(&renewed) > first_end + Duration::days(27));
    assert_eq!(renewed["payments"]["totalCount"], 2, "charged once");
    assert_eq!(app.services.renewals.renew_once().await.unwrap(), RenewalPass::default());
}

/// A PAST_DUE period can be paid two ways: its renewal session, or a session the merchant
/// opens for it. Whichever pays first pays it; the other cannot charge the same period.
#[tokio::test]
async fn a_past_due_period_paid_through_one_session_is_not_charged_through_the_other() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (_, id) = active_subscription(&app, "two-paths@example.com", "4242424242424242").await;
    let profile = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Subscription { defaultPaymentProfile { id } } } }",
            json!({ "id": id }),
        )
        .await["data"]["node"]["defaultPaymentProfile"]["id"]
        .clone();
    app.gql("mutation($id: ID!) { removePaymentProfile(input: {id: $id}) { removedId } }", json!({ "id": profile }))
        .await;
    clock.advance(Duration::days(32));
    assert_eq!(app.services.renewals.renew_once().await.unwrap().renewed, 1);
    let past_due = subscription(&app, &id).await;
    assert_eq!(past_due["status"], "PAST_DUE", "{past_due}");
    let renewal = past_due["renewalSession"]["id"].as_str().unwrap().to_owned();

    let (_, paid) =
        create_and_pay(&app, json!({ "purpose": "SUBSCRIPTION", "subscriptionId": id }), "5555555555554444").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let token = tokenize(&app, &app.key, "4242424242424242").await;
    let late = confirm(&app, &app.key, &renewal, &token, None).await;
    assert_eq!(late["userErrors"][0]["code"], "SUBSCRIPTION_NOT_PAYABLE", "{late}");
    let active = subscription(&app, &id).await;
    assert_eq!(active["status"], "ACTIVE");
    assert_eq!(active["payments"]["totalCount"], 2, "the first period and this one, once: {active}");
}
