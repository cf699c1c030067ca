//! Idempotency keys: replay, reuse with other input, and concurrent use.

use serde_json::{Value, json};

use crate::support::*;

fn input(key: &str, amount: i64) -> Value {
    json!({ "purpose": "PAYMENT", "amount": { "amount": amount, "currency": "USD" }, "idempotencyKey": key })
}

async fn count(app: &TestApp) -> i64 {
    app.gql("{ paymentSessions { totalCount } }", json!({})).await["data"]["paymentSessions"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_same_key_and_input_replay_the_first_result() {
    let app = spawn_app().await;
    let first = app.create_session(input("order-42", 500)).await;
    let second = app.create_session(input("order-42", 500)).await;
    let (a, b) = (&first["data"]["createPaymentSession"], &second["data"]["createPaymentSession"]);
    assert_eq!(a["paymentSession"]["id"], b["paymentSession"]["id"]);
    assert_eq!(a["clientSecret"], b["clientSecret"]);
    assert_eq!(b["userErrors"], json!([]));
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn the_same_key_with_other_input_is_refused() {
    let app = spawn_app().await;
    app.create_session(input("order-43", 500)).await;
    let other = app.create_session(input("order-43", 501)).await;
    assert_eq!(user_error_code(&other, "createPaymentSession"), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(other["data"]["createPaymentSession"]["userErrors"][0]["field"], json!(["input", "idempotencyKey"]));
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn keys_belong_to_one_merchant() {
    let app = spawn_app().await;
    let other = app.other_merchant_key().await;
    let (mine, _) = created(app.create_session(input("shared", 500)).await);
    let (theirs, _) = created(app.gql_as(Some(&other), CREATE_SESSION, json!({ "input": input("shared", 500) })).await);
    assert_ne!(mine, theirs, "the same key made a session of each merchant's own");
    let status = "query($id: ID!) { paymentSession(id: $id) { id } }";
    let seen = app.gql_as(Some(&other), status, json!({ "id": theirs })).await;
    assert_eq!(seen["data"]["paymentSession"]["id"], theirs, "the other merchant's session is its own");
    let crossed = app.gql(status, json!({ "id": theirs })).await;
    assert!(crossed["data"]["paymentSession"].is_null(), "and not the first merchant's: {crossed}");
}

#[tokio::test]
async fn a_failed_first_call_does_not_burn_the_key() {
    let app = spawn_app().await;
    let missing_customer = paygraph::domain::TypedId::to_global(paygraph::domain::CustomerId::new());
    let mut bad = input("retry-me", 500);
    bad["customerId"] = json!(missing_customer);
    let failed = app.create_session(bad).await;
    assert_eq!(user_error_code(&failed, "createPaymentSession"), "NOT_FOUND");
    let fixed = app.create_session(input("retry-me", 500)).await;
    assert_eq!(fixed["data"]["createPaymentSession"]["userErrors"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_one_key_create_one_session() {
    let app = spawn_app().await;
    let tasks: Vec<_> =
        (0..10).map(|_| app.spawn_gql(CREATE_SESSION, json!({ "input": input("race", 700) }))).collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let body = task.await.unwrap();
        let payload = &body["data"]["createPaymentSession"];
        match payload["paymentSession"]["id"].as_str() {
            Some(id) => {
                ids.insert(id.to_owned());
            }
            None => assert_eq!(payload["userErrors"][0]["code"], "IDEMPOTENCY_KEY_IN_USE", "{body}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success names the same session");
    assert_eq!(count(&app).await, 1);
}

/// Makes every update of `idempotency_keys` fail, as a fault in the middle of the work would.
async fn break_idempotency_records(app: &TestApp, broken: bool) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let db = &app.services.core.db;
    let statements: &[&str] = match (db.get_database_backend(), broken) {
        (DbBackend::Postgres, true) => &[
            "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
            "CREATE TRIGGER injected_fault BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION injected_fault()",
        ],
        (DbBackend::Postgres, false) => &["DROP TRIGGER injected_fault ON idempotency_keys"],
        (_, true) => &[
            "CREATE TRIGGER injected_fault BEFORE UPDATE ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        ],
        (_, false) => &["DROP TRIGGER injected_fault"],
    };
    for statement in statements {
        db.execute_unprepared(statement).await.unwrap();
    }
}

#[tokio::test]
async fn a_confirmation_and_its_idempotency_record_commit_together() {
    use crate::support::payments::{CONFIRM, tokenize};
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(1500, "EUR").await;
    let token = tokenize(&app, &secret, "4242424242424242").await;
    let input = json!({ "id": id, "paymentMethod": { "cardToken": token }, "idempotencyKey": "pay-1" });

    break_idempotency_records(&app, true).await;
    let failed = app.gql(CONFIRM, json!({ "input": input })).await;
    assert_eq!(error_code(&failed), "INTERNAL", "{failed}");
    let state = app
        .gql(
            "query($id: ID!) { paymentSession(id: $id) { status version payments { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        state["data"]["paymentSession"],
        json!({ "status": "OPEN", "version": 1, "payments": { "totalCount": 0 } }),
        "no work without its record"
    );
    assert!(app.ledger().charges.is_empty(), "and no charge at the processor: {:?}", app.ledger());

    break_idempotency_records(&app, false).await;
    let paid = app.gql(CONFIRM, json!({ "input": input })).await["data"]["confirmPaymentSession"].clone();
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "the key was free to retry: {paid}");
    let replayed = app.gql(CONFIRM, json!({ "input": input })).await["data"]["confirmPaymentSession"].clone();
    assert_eq!(replayed["payment"]["id"], paid["payment"]["id"], "{replayed}");
    assert_eq!(replayed["paymentSession"]["version"], 3);
    assert_eq!(app.ledger().charges.len(), 1, "the replay charged nothing: {:?}", app.ledger());
}
