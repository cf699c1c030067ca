//! Taking a card payment: every test card's outcome as a state transition with its event,
//! the attempt limit, single-use tokens, the race for one session, replay and expiry.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::payments::*;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const CHALLENGE: &str = "mutation($input: CompleteTestChallengeInput!) { completeTestChallenge(input: $input) {
    paymentSession { status version attemptCount } payment { id status declineCode } nextAction { type }
    userErrors { field code } } }";

#[tokio::test]
async fn each_test_card_ends_as_stripe_documents() {
    let app = spawn_app().await;
    let cases = [
        ("4242424242424242", "COMPLETED", "SUCCEEDED", None),
        ("378282246310005", "COMPLETED", "SUCCEEDED", None),
        ("5555555555554444", "COMPLETED", "SUCCEEDED", None),
        ("4000000000000002", "OPEN", "FAILED", Some(("CARD_DECLINED", "card_declined"))),
        ("4000000000009995", "OPEN", "FAILED", Some(("INSUFFICIENT_FUNDS", "insufficient_funds"))),
        ("4000000000009987", "OPEN", "FAILED", Some(("LOST_CARD", "lost_card"))),
        ("4000000000009979", "OPEN", "FAILED", Some(("STOLEN_CARD", "stolen_card"))),
        ("4000000000000069", "OPEN", "FAILED", Some(("EXPIRED_CARD", "expired_card"))),
        ("4000000000000127", "OPEN", "FAILED", Some(("INCORRECT_CVC", "incorrect_cvc"))),
        ("4000000000000119", "OPEN", "FAILED", Some(("PROCESSING_ERROR", "processing_error"))),
        ("4100000000000019", "OPEN", "FAILED", Some(("FRAUDULENT", "fraudulent"))),
        ("4111111111111111", "OPEN", "FAILED", Some(("TEST_MODE_LIVE_CARD", "test_mode_live_card"))),
        ("4000002500003155", "REQUIRES_ACTION", "REQUIRES_ACTION", None),
    ];
    for (number, session_status, payment_status, declined) in cases {
        let (_, payload) = pay(&app, number).await;
        assert_eq!(payload["paymentSession"]["status"], session_status, "{number}: {payload}");
        assert_eq!(payload["payment"]["status"], payment_status, "{number}: {payload}");
        assert_eq!(payload["payment"]["amount"], json!({ "amount": 2500, "currency": "EUR" }));
        assert_eq!(payload["payment"]["fraudDecision"], "ALLOW");
        assert_eq!(payload["payment"]["methodSummary"]["last4"], &number[number.len() - 4..]);
        match declined {
            Some((code, decline)) => {
                assert_eq!(payload["userErrors"][0]["code"], code, "{number}: {payload}");
                assert_eq!(payload["payment"]["declineCode"], decline);
                assert_eq!(payload["paymentSession"]["attemptCount"], 1);
            }
            None => assert_eq!(payload["userErrors"], json!([]), "{number}: {payload}"),
        }
    }
}

#[tokio::test]
async fn a_subscriber_sees_every_transition_of_a_payment_in_order() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &secret).await;
    ws.subscribe(
        "1",
        "subscription($id: ID!) { paymentSessionUpdated(id: $id) { version previousStatus status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(ws.next_event().await["paymentSessionUpdated"]["status"], "OPEN");
    let declined = tokenize(&app, &secret, "4000000000000002").await;
    confirm(&app, &secret, &id, &declined, None).await;
    let good = tokenize(&app, &secret, "4242424242424242").await;
    confirm(&app, &secret, &id, &good, None).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let e = ws.next_event().await;
        seen.push((
            e["paymentSessionUpdated"]["version"].as_i64().unwrap(),
            e["paymentSessionUpdated"]["status"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(seen, [(2, "PROCESSING".into()), (3, "OPEN".into()), (4, "PROCESSING".into()), (5, "COMPLETED".into())]);
    // COMPLETED does not end the stream: refunds of the payment may follow.
    let next = tokio::time::timeout(std::time::Duration::from_millis(300), ws.frame_of("1")).await;
    assert!(next.is_err(), "nothing more, and no completion: {next:?}");
}

#[tokio::test]
async fn the_third_failed_attempt_fails_the_session() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    for attempt in 1..=3 {
        let token = tokenize(&app, &secret, "4000000000009995").await;
        let payload = confirm(&app, &secret, &id, &token, None).await;
        let expected = if attempt < 3 { "OPEN" } else { "FAILED" };
        assert_eq!(payload["paymentSession"]["status"], expected, "attempt {attempt}");
    }
    // The vault no longer tokenizes for it; a card the merchant's server tokenized cannot
    // pay it either.
    let card = json!({ "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" });
    let refused = app.client.post(format!("{}/vault/cards", app.address)).bearer_auth(&secret).json(&card);
    let refused = refused.send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "SESSION_NOT_OPEN");
    let token = tokenize(&app, &app.key, "4242424242424242").await;
    let after = confirm(&app, &secret, &id, &token, None).await;
    assert_eq!(after["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    let payments =
        app.gql("query($id: ID!) { paymentSession(id: $id) { payments { totalCount } } }", json!({ "id": id })).await;
    assert_eq!(payments["data"]["paymentSession"]["payments"]["totalCount"], 3);
}

#[tokio::test]
async fn tokens_are_single_use_and_methods_must_be_allowed() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let token = tokenize(&app, &secret, "4000000000000002").await;
    confirm(&app, &secret, &id, &token, None).await;
    let reused = confirm(&app, &secret, &id, &token, None).await;
    assert_eq!(reused["userErrors"][0]["code"], "TOKEN_USED");
    assert_eq!(reused["userErrors"][0]["field"], json!(["input", "paymentMethod", "cardToken"]));
    let unknown = confirm(&app, &secret, &id, "tok_nope", None).await;
    assert_eq!(unknown["userErrors"][0]["code"], "NOT_FOUND");

    let wallet_only = app
        .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 1, "currency": "USD" }, "allowedPaymentMethods": ["WALLET"] }))
        .await;
    let wallet_id = wallet_only["data"]["createPaymentSession"]["paymentSession"]["id"].as_str().unwrap().to_owned();
    let card = tokenize(&app, &app.key, "4242424242424242").await;
    let refused = confirm(&app, &app.key, &wallet_id, &card, None).await;
    assert_eq!(refused["userErrors"][0]["code"], "PAYMENT_METHOD_NOT_ALLOWED");

    // A client secret's token pays its own session only; its secret sees no other session.
    let (other, _) = app.create_payment_session(100, "USD").await;
    let mine = tokenize(&app, &secret, "4242424242424242").await;
    let elsewhere = confirm(&app, &app.key, &other, &mine, None).await;
    assert_eq!(elsewhere["userErrors"][0]["code"], "NOT_FOUND");
    let foreign = confirm(&app, &secret, &other, &mine, None).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND");
    let status =
        app.gql("query($id: ID!) { paymentSession(id: $id) { status version } }", json!({ "id": other })).await;
    assert_eq!(status["data"]["paymentSession"], json!({ "status": "OPEN", "version": 1 }), "nothing changed");
}

#[tokio::test]
async fn the_idempotency_key_replays_the_first_attempt() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let token = tokenize(&app, &secret, "4000000000000002").await;
    let first = confirm(&app, &secret, &id, &token, Some("attempt-1")).await;
    let again = confirm(&app, &secret, &id, &token, Some("attempt-1")).await;
    assert_eq!(first["payment"]["id"], again["payment"]["id"]);
    assert_eq!(again["userErrors"][0]["code"], "CARD_DECLINED", "the replay says what the first call said");
    let other = tokenize(&app, &secret, "4242424242424242").await;
    let reused = confirm(&app, &secret, &id, &other, Some("attempt-1")).await;
    assert_eq!(reused["userErrors"][0]["code"], "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn an_expired_session_refuses_payment_before_the_sweeper_runs() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), quiet).await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let token = tokenize(&app, &secret, "4242424242424242").await;
    clock.advance(chrono::Duration::minutes(61));
    let payload = confirm(&app, &secret, &id, &token, None).await;
    assert_eq!(payload["userErrors"][0]["code"], "SESSION_EXPIRED");
    let status = app
        .gql("query($id: ID!) { paymentSession(id: $id) { status payments { totalCount } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        status["data"]["paymentSession"],
        json!({ "status": "OPEN", "payments": { "totalCount": 0 } }),
        "never charged"
    );
}

#[tokio::test]
async fn a_busy_card_is_blocked_by_the_velocity_rule() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let (_, payload) = pay(&app, "4000000000000002").await;
        assert_eq!(payload["payment"]["fraudDecision"], "ALLOW");
    }
    let (_, payload) = pay(&app, "4000000000000002").await;
    assert_eq!(payload["userErrors"][0]["code"], "BLOCKED_BY_FRAUD_RULE", "{payload}");
    assert_eq!(payload["payment"]["fraudRule"], "card_velocity");
    assert_eq!(payload["payment"]["fraudDecision"], "BLOCK");
    assert_eq!(payload["payment"]["riskScore"], 100);
    // Another card is not affected.
    let (_, other) = pay(&app, "4242424242424242").await;
    assert_eq!(other["paymentSession"]["status"], "COMPLETED");
}

#[tokio::test]
async fn card_payments_leave_no_card_number_in_the_database() {
    let app = spawn_app().await;
    for number in ["4242424242424242", "4000000000000002", "4000002500003155"] {
        pay(&app, number).await;
    }
    // A positive control: what was written last is found by the same scan.
    app.create_customer("scan-control@example.com").await;
    let contents = crate::vault::database_contents(&app).await;
    assert!(contents.contains("scan-control@example.com"), "the scan reads what the database holds");
    for number in ["4242424242424242", "4000000000000002", "4000002500003155"] {
        assert!(!contents.contains(number), "{number} found in the database");
    }
}

#[tokio::test]
async fn a_passed_3ds_challenge_completes_the_payment_and_a_failed_one_reopens_the_session() {
    let app = spawn_app().await;
    for (passed, session_status, payment_status) in [(true, "COMPLETED", "SUCCEEDED"), (false, "OPEN", "FAILED")] {
        let (_, payload) = pay(&app, "4000002500003155").await;
        assert_eq!(payload["nextAction"]["type"], "THREE_D_SECURE_CHALLENGE");
        let payment = payload["nextAction"]["paymentId"].clone();
        assert_eq!(payment, payload["payment"]["id"]);
        let body = app.gql(CHALLENGE, json!({ "input": { "paymentId": payment, "passed": passed } })).await;
        let done = &body["data"]["completeTestChallenge"];
        assert_eq!(done["paymentSession"]["status"], session_status, "{body}");
        assert_eq!(done["payment"]["status"], payment_status);
        assert_eq!(
            done["paymentSession"]["version"], 5,
            "OPEN, PROCESSING, REQUIRES_ACTION, PROCESSING, then the outcome"
        );
        assert_eq!(done["nextAction"], Value::Null);
        if !passed {
            assert_eq!(done["userErrors"][0]["code"], "CARD_DECLINED");
            assert_eq!(done["payment"]["declineCode"], "authentication_failed");
        }
        let again = app.gql(CHALLENGE, json!({ "input": { "paymentId": payment, "passed": true } })).await;
        assert_eq!(again["data"]["completeTestChallenge"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    }
    let garbage = app.gql(CHALLENGE, json!({ "input": { "paymentId": "nope", "passed": true } })).await;
    assert_eq!(garbage["data"]["completeTestChallenge"]["userErrors"][0]["code"], "INVALID_ID");
}

#[tokio::test]
async fn a_card_saved_by_a_setup_session_passes_3ds_when_its_issuer_asks_and_not_before() {
    let app = spawn_app().await;
    let customer = app.create_customer("setup-3ds@example.com").await;
    let confirm_setup = "mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
        paymentSession { status } nextAction { type paymentId url } userErrors { code } } }";
    for (passed, status, profiles) in [(false, "OPEN", 0), (true, "COMPLETED", 1)] {
        let (session, secret) =
            created(app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await);
        let token = tokenize(&app, &secret, "4000002500003155").await;
        let input = json!({ "input": { "id": session, "paymentMethod": { "cardToken": token } } });
        let waiting = app.gql_as(Some(&secret), confirm_setup, input).await["data"]["confirmPaymentSession"].clone();
        assert_eq!(waiting["paymentSession"]["status"], "REQUIRES_ACTION", "{waiting}");
        let action = &waiting["nextAction"];
        assert_eq!((action["type"].as_str(), &action["paymentId"]), (Some("THREE_D_SECURE_CHALLENGE"), &Value::Null));
        assert!(action["url"].as_str().unwrap().ends_with(&format!("/pay/{secret}/challenge/setup")), "{action}");
        assert_eq!(saved_profiles(&app, &customer).await, 0, "nothing is saved before the challenge");

        let input = json!({ "input": { "paymentSessionId": session, "passed": passed } });
        let body = app.gql_as(Some(&secret), CHALLENGE, input.clone()).await;
        let done = &body["data"]["completeTestChallenge"];
        assert_eq!(done["paymentSession"]["status"], status, "{body}");
        assert_eq!(done["nextAction"], Value::Null);
        if !passed {
            assert_eq!(done["userErrors"][0]["code"], "CARD_DECLINED");
        }
        assert_eq!(saved_profiles(&app, &customer).await, profiles);
        let again = app.gql_as(Some(&secret), CHALLENGE, input).await;
        assert_eq!(again["data"]["completeTestChallenge"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION", "{again}");
    }
    // A card that asks for nothing is saved at once; another session's challenge is not this secret's.
    let (session, secret) = created(app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await);
    let token = tokenize(&app, &secret, "5555555555554444").await;
    assert_eq!(confirm(&app, &secret, &session, &token, None).await["paymentSession"]["status"], "COMPLETED");
    let (other, _) = created(app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await);
    let input = json!({ "input": { "paymentSessionId": other, "passed": true } });
    let foreign = app.gql_as(Some(&secret), CHALLENGE, input).await;
    assert_eq!(foreign["data"]["completeTestChallenge"]["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
}

async fn saved_profiles(app: &TestApp, customer: &str) -> i64 {
    let query = "query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { totalCount } } } }";
    let body = app.gql(query, json!({ "id": customer })).await;
    body["data"]["node"]["paymentProfiles"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn payments_are_listed_by_their_typed_status() {
    let app = spawn_app().await;
    pay(&app, "4000000000000002").await;
    pay(&app, "4242424242424242").await;
    let count = |status: &'static str| {
        let query =
            format!("{{ payments(filter: {{status: {status}}}) {{ totalCount nodes {{ status fraudDecision }} }} }}");
        let app = &app;
        async move { app.gql(&query, json!({})).await }
    };
    let failed = count("FAILED").await;
    assert_eq!(failed["data"]["payments"]["totalCount"], 1, "{failed}");
    assert_eq!(failed["data"]["payments"]["nodes"][0], json!({ "status": "FAILED", "fraudDecision": "ALLOW" }));
    assert_eq!(count("SUCCEEDED").await["data"]["payments"]["totalCount"], 1);
    let typo = count("SUCCEDED").await;
    assert!(typo["errors"][0]["message"].as_str().unwrap().contains("SUCCEDED"), "{typo}");
}
