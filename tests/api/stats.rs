//! `paymentSessionStats`: sessions over time for dashboards, counted by the database in one
//! statement per call whatever the range, every bucket listed, only the caller's sessions.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use crate::captures::{authorized, capture, void};
use crate::refunds::refund;
use crate::support::payments::pay;
use crate::support::*;

const STATS: &str = "query($since: DateTime!, $until: DateTime, $interval: StatsInterval!) {
  paymentSessionStats(since: $since, until: $until, interval: $interval) { interval buckets {
    start end count statuses { status count amounts { amount currency } } } } }";

async fn stats(app: &TestApp, token: &str, since: DateTime<Utc>, until: DateTime<Utc>, interval: &str) -> Value {
    let variables = json!({ "since": since, "until": until, "interval": interval });
    app.gql_as(Some(token), STATS, variables).await
}

fn status<'a>(bucket: &'a Value, name: &str) -> Option<&'a Value> {
    bucket["statuses"].as_array().unwrap().iter().find(|s| s["status"] == name)
}

#[tokio::test]
async fn sessions_are_counted_per_bucket_status_and_currency() {
    let clock = Arc::new(TestClock::default());
    // No background passes: after the clock moves two hours on, the expiry sweeper would
    // expire the open USD session before the stats are read, whenever its next pass fell.
    let app = spawn_app_on(clock.clone(), |c| c.live.background_interval_ms = 0).await;
    let since = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    // Hour 0: a completed EUR session, an open USD one. Hour 2: two canceled EUR sessions.
    pay(&app, "4242424242424242").await;
    app.create_payment_session(700, "USD").await;
    clock.advance(Duration::hours(2));
    for amount in [300, 400] {
        let (id, _) = app.create_payment_session(amount, "EUR").await;
        let canceled = app
            .gql(
                "mutation($id: ID!) { cancelPaymentSession(input: { id: $id }) { paymentSession { status } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(canceled["data"]["cancelPaymentSession"]["paymentSession"]["status"], "CANCELED", "{canceled}");
    }
    // Another merchant's session in the same hour is not counted.
    let other = app.other_merchant_key().await;
    let mine_only = "mutation { createPaymentSession(input: { purpose: PAYMENT, amount: { amount: 9, currency: \"EUR\" } }) { clientSecret } }";
    app.gql_as(Some(&other), mine_only, json!({})).await;

    let body = stats(&app, &app.key, since, since + Duration::hours(4), "HOUR").await;
    assert_eq!(body["data"]["paymentSessionStats"]["interval"], "HOUR", "{body}");
    let buckets = body["data"]["paymentSessionStats"]["buckets"].as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(buckets.len(), 4, "every hour is listed, empty ones too");
    assert_eq!(buckets[0]["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), since);
    assert_eq!(buckets[0]["count"], 2);
    assert_eq!(status(&buckets[0], "COMPLETED").unwrap()["amounts"], json!([{ "amount": 2500, "currency": "EUR" }]));
    assert_eq!(status(&buckets[0], "OPEN").unwrap()["amounts"], json!([{ "amount": 700, "currency": "USD" }]));
    assert_eq!(buckets[1]["count"], 0);
    assert_eq!(buckets[1]["statuses"], json!([]));
    let canceled = status(&buckets[2], "CANCELED").unwrap();
    assert_eq!(canceled["count"], 2);
    assert_eq!(canceled["amounts"], json!([{ "amount": 700, "currency": "EUR" }]));
    assert_eq!(buckets[3]["count"], 0);

    let daily = stats(&app, &app.key, since, since + Duration::days(1), "DAY").await;
    let day = &daily["data"]["paymentSessionStats"]["buckets"][0];
    assert_eq!(day["count"], 4, "{daily}");
    assert_eq!(status(day, "CANCELED").unwrap()["count"], 2);
}

#[tokio::test]
async fn one_statement_answers_any_range() {
    let app = spawn_quiet_app().await;
    for _ in 0..3 {
        app.create_payment_session(1000, "EUR").await;
    }
    let now = Utc::now();
    stats(&app, &app.key, now - Duration::hours(1), now, "MINUTE").await; // the key, remembered
    for (span, interval) in [(Duration::hours(1), "MINUTE"), (Duration::days(30), "HOUR"), (Duration::days(900), "DAY")]
    {
        let before = app.statement_count().await;
        let body = stats(&app, &app.key, now - span, now + Duration::minutes(1), interval).await;
        let buckets = body["data"]["paymentSessionStats"]["buckets"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(buckets.iter().map(|b| b["count"].as_i64().unwrap()).sum::<i64>(), 3, "{interval}");
        assert_eq!(app.statement_count().await - before, 1, "{interval} over {span}");
    }
}

#[tokio::test]
async fn bad_ranges_and_other_callers_are_refused() {
    let app = spawn_app().await;
    let now = Utc::now();
    let backwards = stats(&app, &app.key, now, now - Duration::hours(1), "HOUR").await;
    assert_eq!(error_code(&backwards), "INVALID_PERIOD", "{backwards}");
    let too_many = stats(&app, &app.key, now - Duration::days(2), now, "MINUTE").await;
    assert_eq!(error_code(&too_many), "TOO_MANY_BUCKETS", "{too_many}");
    let (_, secret) = app.create_payment_session(100, "EUR").await;
    let secret_asks = stats(&app, &secret, now - Duration::hours(1), now, "HOUR").await;
    assert!(secret_asks["data"].is_null(), "a client secret reads no aggregate: {secret_asks}");
    // `until` defaults to now.
    let body = app
        .gql(
            "query($since: DateTime!) { paymentSessionStats(since: $since, interval: HOUR) { buckets { count } } }",
            json!({ "since": now - Duration::minutes(90) }),
        )
        .await;
    let counts: Vec<i64> = body["data"]["paymentSessionStats"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts.len(), 2, "{body}");
    assert_eq!(counts.iter().sum::<i64>(), 1);
}

#[tokio::test]
async fn what_was_captured_and_refunded_is_counted_apart_from_what_sessions_were_for() {
    let app = spawn_app().await;
    let since = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    // Four sessions of 25.00 EUR, all COMPLETED: an authorization captured in part (10.00),
    // one voided, one captured whole and refunded 5.00, and one paid at once.
    let part = authorized(&app).await;
    assert_eq!(capture(&app, json!({ "paymentId": part, "amount": 1000 })).await["userErrors"], json!([]));
    let voided = authorized(&app).await;
    assert_eq!(void(&app, json!({ "paymentId": voided })).await["userErrors"], json!([]));
    let whole = authorized(&app).await;
    assert_eq!(capture(&app, json!({ "paymentId": whole })).await["userErrors"], json!([]));
    assert_eq!(refund(&app, json!({ "paymentId": whole, "amount": 500 })).await["userErrors"], json!([]));
    // Declined twice, then paid: three attempts, one session, counted once.
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    for card in ["4000000000000002", "4000000000000002", "4242424242424242"] {
        let token = crate::support::payments::tokenize(&app, &secret, card).await;
        crate::support::payments::confirm(&app, &secret, &id, &token, None).await;
    }

    let query = "query($since: DateTime!, $until: DateTime) { paymentSessionStats(since: $since, until: $until,
        interval: DAY) { buckets { statuses { status count amounts { amount currency }
        capturedAmounts { amount currency } refundedAmounts { amount currency } } } } }";
    let body = app.gql(query, json!({ "since": since, "until": since + Duration::days(1) })).await;
    let bucket = &body["data"]["paymentSessionStats"]["buckets"][0];
    let completed = status(bucket, "COMPLETED").unwrap_or_else(|| panic!("{body}"));
    assert_eq!(completed["count"], 4, "{body}");
    assert_eq!(completed["amounts"], json!([{ "amount": 10000, "currency": "EUR" }]), "what they were for");
    let taken = 1000 + 2500 + 2500;
    assert_eq!(completed["capturedAmounts"], json!([{ "amount": taken, "currency": "EUR" }]), "what was taken");
    assert_eq!(completed["refundedAmounts"], json!([{ "amount": 500, "currency": "EUR" }]));
    // A session nobody paid took nothing: its currency is left out, not listed as 0.
    app.create_payment_session(900, "USD").await;
    let body = app.gql(query, json!({ "since": since, "until": since + Duration::days(1) })).await;
    let open = status(&body["data"]["paymentSessionStats"]["buckets"][0], "OPEN").unwrap_or_else(|| panic!("{body}"));
    assert_eq!((open["capturedAmounts"].clone(), open["refundedAmounts"].clone()), (json!([]), json!([])));
}
