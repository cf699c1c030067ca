//! Creating sessions for every purpose, bad input, and status changes with their events.

use serde_json::{Value, json};

use crate::support::*;

const SESSION_EVENTS: &str = r#"
query($id: ID!) {
  paymentSession(id: $id) {
    status version
    events { totalCount edges { cursor node { version previousStatus status occurredAt paymentSession { id } } } }
  }
}"#;

const CANCEL: &str = "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) {
    paymentSession { id status version } userErrors { field message code } } }";
const EXPIRE: &str = "mutation($id: ID!) { expirePaymentSession(input: {id: $id}) {
    paymentSession { id status version } userErrors { field message code } } }";

async fn session_count(app: &TestApp) -> i64 {
    let body = app.gql("{ paymentSessions { totalCount } }", json!({})).await;
    body["data"]["paymentSessions"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn a_payment_session_starts_open_at_version_one_with_its_creation_event() {
    let app = spawn_app().await;
    let body =
        app.create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 1234, "currency": "EUR" } })).await;
    let payload = &body["data"]["createPaymentSession"];
    assert_eq!(payload["userErrors"], json!([]));
    let session = &payload["paymentSession"];
    assert_eq!(session["status"], "OPEN");
    assert_eq!(session["version"], 1);
    assert_eq!(session["amount"], json!({ "amount": 1234, "currency": "EUR", "formatted": "€12.34" }));
    assert_eq!(session["allowedPaymentMethods"], json!(["CARD", "WALLET", "BANK_TRANSFER"]));
    let secret = payload["clientSecret"].as_str().unwrap();
    assert_eq!(session["hostedUrl"], format!("{}/pay/{secret}", app.address));

    let events = app.gql(SESSION_EVENTS, json!({ "id": session["id"] })).await;
    let edges = &events["data"]["paymentSession"]["events"]["edges"];
    assert_eq!(edges.as_array().unwrap().len(), 1);
    assert_eq!(edges[0]["node"]["version"], 1);
    assert_eq!(edges[0]["node"]["previousStatus"], Value::Null);
    assert_eq!(edges[0]["node"]["status"], "OPEN");
    assert_eq!(edges[0]["node"]["paymentSession"]["id"], session["id"]);
}

#[tokio::test]
async fn the_default_expiry_is_one_hour_and_the_window_is_five_minutes_to_a_day() {
    let app = spawn_app().await;
    let body =
        app.create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "USD" } })).await;
    let expires = body["data"]["createPaymentSession"]["paymentSession"]["expiresAt"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&left), "expires in {left}s");

    for bad in [299, 86_401, -1] {
        let body = app
            .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "USD" }, "expiresInSeconds": bad }))
            .await;
        assert_eq!(user_error_code(&body, "createPaymentSession"), "EXPIRY_OUT_OF_RANGE");
        assert_eq!(
            body["data"]["createPaymentSession"]["userErrors"][0]["field"],
            json!(["input", "expiresInSeconds"])
        );
    }
    let ok = app
        .create_session(
            json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "USD" }, "expiresInSeconds": 300 }),
        )
        .await;
    assert_eq!(ok["data"]["createPaymentSession"]["userErrors"], json!([]));
}

#[tokio::test]
async fn bad_amounts_and_currencies_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "amount": 0, "currency": "USD" }), "INVALID_AMOUNT", json!(["input", "amount", "amount"])),
        (json!({ "amount": -500, "currency": "USD" }), "INVALID_AMOUNT", json!(["input", "amount", "amount"])),
        (json!({ "amount": 100_000_000, "currency": "USD" }), "AMOUNT_TOO_LARGE", json!(["input", "amount", "amount"])),
        (json!({ "amount": 100, "currency": "XYZ" }), "UNKNOWN_CURRENCY", json!(["input", "amount", "currency"])),
        (json!({ "amount": 100, "currency": "usd" }), "UNKNOWN_CURRENCY", json!(["input", "amount", "currency"])),
    ];
    for (amount, code, field) in cases {
        let body = app.create_session(json!({ "purpose": "PAYMENT", "amount": amount })).await;
        assert_eq!(user_error_code(&body, "createPaymentSession"), code, "{body}");
        assert_eq!(body["data"]["createPaymentSession"]["userErrors"][0]["field"], field);
        assert_eq!(body["data"]["createPaymentSession"]["paymentSession"], Value::Null);
    }
    // An amount beyond 64 bits is not even a valid GraphQL Int.
    let body =
        app.create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 1e30, "currency": "USD" } })).await;
    assert!(body["errors"].is_array(), "{body}");
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn currencies_use_their_own_exponent() {
    let app = spawn_app().await;
    for (amount, currency, formatted) in [(1500, "JPY", "¥1500"), (1500, "KWD", "KWD 1.500"), (1500, "GBP", "£15.00")]
    {
        let body = app
            .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": amount, "currency": currency } }))
            .await;
        assert_eq!(body["data"]["createPaymentSession"]["paymentSession"]["amount"]["formatted"], formatted);
    }
}

#[tokio::test]
async fn a_checkout_session_takes_its_amount_and_customer_from_its_order() {
    let app = spawn_app().await;
    let customer = app.create_customer("buyer@example.com").await;
    let order = app
        .gql(
            "mutation($input: CreateOrderInput!) { createOrder(input: $input) {
                order { id total { amount currency } lineItems { name quantity unitPrice { amount } total { amount } } }
                userErrors { field code } } }",
            json!({ "input": { "customerId": customer, "currency": "USD", "lineItems": [
                { "name": "Tea", "quantity": 2, "unitAmount": 450 },
                { "name": "Cake", "unitAmount": 300 } ] } }),
        )
        .await;
    let order = &order["data"]["createOrder"]["order"];
    assert_eq!(order["total"], json!({ "amount": 1200, "currency": "USD" }));
    assert_eq!(order["lineItems"][0]["total"]["amount"], 900);

    let body = app.create_session(json!({ "purpose": "CHECKOUT", "orderId": order["id"] })).await;
    let session = &body["data"]["createPaymentSession"]["paymentSession"];
    assert_eq!(session["amount"]["amount"], 1200, "{body}");
    assert_eq!(session["customer"]["id"], customer);
    assert_eq!(session["order"]["id"], order["id"]);

    let typed = app
        .create_session(
            json!({ "purpose": "CHECKOUT", "orderId": order["id"], "amount": { "amount": 1, "currency": "USD" } }),
        )
        .await;
    assert_eq!(user_error_code(&typed, "createPaymentSession"), "NOT_ALLOWED");
    let missing = app.create_session(json!({ "purpose": "CHECKOUT" })).await;
    assert_eq!(user_error_code(&missing, "createPaymentSession"), "REQUIRED");
}

#[tokio::test]
async fn bad_order_lines_name_the_line_and_field() {
    let app = spawn_app().await;
    let body = app
        .gql(
            "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { field code } } }",
            json!({ "input": { "currency": "USD", "lineItems": [
                { "name": "Tea", "unitAmount": 450 }, { "name": "Cake", "quantity": 0, "unitAmount": 300 } ] } }),
        )
        .await;
    assert_eq!(body["data"]["createOrder"]["userErrors"][0]["code"], "INVALID_LINE_ITEMS");
    assert_eq!(body["data"]["createOrder"]["userErrors"][0]["field"], json!(["input", "lineItems", "1", "quantity"]));
}

#[tokio::test]
async fn every_purpose_follows_its_rules() {
    let app = spawn_app().await;
    let customer = app.create_customer("c@example.com").await;
    let usd = json!({ "amount": 500, "currency": "USD" });

    let top_up =
        app.create_session(json!({ "purpose": "BALANCE_TOP_UP", "customerId": customer, "amount": usd })).await;
    assert_eq!(top_up["data"]["createPaymentSession"]["paymentSession"]["purpose"], "BALANCE_TOP_UP");
    let no_customer = app.create_session(json!({ "purpose": "BALANCE_TOP_UP", "amount": usd })).await;
    assert_eq!(user_error_code(&no_customer, "createPaymentSession"), "REQUIRED");

    let setup = app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await;
    let setup_session = &setup["data"]["createPaymentSession"]["paymentSession"];
    assert_eq!(setup_session["amount"], Value::Null, "{setup}");
    assert_eq!(setup_session["allowedPaymentMethods"], json!(["CARD", "WALLET"]));
    let setup_bank = app
        .create_session(
            json!({ "purpose": "SETUP", "customerId": customer, "allowedPaymentMethods": ["BANK_TRANSFER"] }),
        )
        .await;
    assert_eq!(user_error_code(&setup_bank, "createPaymentSession"), "NOT_ALLOWED");

    let subscription = app
        .gql(
            "mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) {
                subscription { id status price { amount currency } interval intervalCount } userErrors { code } } }",
            json!({ "input": { "customerId": customer, "price": { "amount": 999, "currency": "EUR" }, "interval": "MONTH" } }),
        )
        .await;
    let subscription = &subscription["data"]["createSubscription"]["subscription"];
    assert_eq!(subscription["status"], "INCOMPLETE");
    let first = app.create_session(json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription["id"] })).await;
    let first = &first["data"]["createPaymentSession"]["paymentSession"];
    assert_eq!(first["amount"], json!({ "amount": 999, "currency": "EUR", "formatted": "€9.99" }));
    assert_eq!(first["customer"]["id"], customer);

    let outstanding = app.create_session(json!({ "purpose": "OUTSTANDING_BALANCE", "customerId": customer })).await;
    assert_eq!(user_error_code(&outstanding, "createPaymentSession"), "NOTHING_OUTSTANDING");

    let save_without_customer =
        app.create_session(json!({ "purpose": "PAYMENT", "amount": usd, "savePaymentProfile": true })).await;
    assert_eq!(user_error_code(&save_without_customer, "createPaymentSession"), "REQUIRED");
}

#[tokio::test]
async fn canceling_moves_the_version_up_by_one_and_logs_the_event() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(1000, "USD").await;
    let body = app.gql(CANCEL, json!({ "id": id })).await;
    let session = &body["data"]["cancelPaymentSession"]["paymentSession"];
    assert_eq!(session["status"], "CANCELED");
    assert_eq!(session["version"], 2);

    let again = app.gql(CANCEL, json!({ "id": id })).await;
    assert_eq!(user_error_code(&again, "cancelPaymentSession"), "ILLEGAL_TRANSITION");
    let expire = app.gql(EXPIRE, json!({ "id": id })).await;
    assert_eq!(user_error_code(&expire, "expirePaymentSession"), "ILLEGAL_TRANSITION");

    let events = app.gql(SESSION_EVENTS, json!({ "id": id })).await;
    let session = &events["data"]["paymentSession"];
    assert_eq!(session["version"], 2, "refused changes leave the version alone");
    let nodes: Vec<_> = session["events"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    assert_eq!(nodes.len(), 2);
    assert_eq!((nodes[1]["version"].as_i64(), nodes[1]["previousStatus"].as_str()), (Some(2), Some("OPEN")));
    assert_eq!(nodes[1]["status"], "CANCELED");
}

#[tokio::test]
async fn expiring_a_session_ends_it() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(1000, "USD").await;
    let body = app.gql(EXPIRE, json!({ "id": id })).await;
    assert_eq!(body["data"]["expirePaymentSession"]["paymentSession"]["status"], "EXPIRED");
    assert_eq!(body["data"]["expirePaymentSession"]["paymentSession"]["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_racing_changes_exactly_one_wins() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(1000, "USD").await;
    let tasks: Vec<_> =
        (0..8).map(|i| app.spawn_gql(if i % 2 == 0 { CANCEL } else { EXPIRE }, json!({ "id": id }))).collect();
    let mut winners = 0;
    for task in tasks {
        let body = task.await.unwrap();
        let payload = body["data"].as_object().unwrap().values().next().unwrap();
        if payload["userErrors"] == json!([]) {
            winners += 1;
        } else {
            let code = payload["userErrors"][0]["code"].as_str().unwrap();
            assert!(["VERSION_CONFLICT", "ILLEGAL_TRANSITION"].contains(&code), "{body}");
        }
    }
    assert_eq!(winners, 1);
    let events = app.gql(SESSION_EVENTS, json!({ "id": id })).await;
    assert_eq!(events["data"]["paymentSession"]["version"], 2);
    assert_eq!(events["data"]["paymentSession"]["events"]["totalCount"], 2);
}

#[tokio::test]
async fn customers_can_be_updated_field_by_field() {
    let app = spawn_app().await;
    let id = app.create_customer("old@example.com").await;
    let update = "mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
        customer { email name metadata } userErrors { field code } } }";
    let body = app
        .gql(update, json!({ "input": { "id": id, "email": "new@example.com", "metadata": { "tier": "gold" } } }))
        .await;
    let customer = &body["data"]["updateCustomer"]["customer"];
    assert_eq!(customer["email"], "new@example.com");
    assert_eq!(customer["name"], "Test", "fields left out are kept");
    assert_eq!(customer["metadata"], json!({ "tier": "gold" }));

    let cleared = app.gql(update, json!({ "input": { "id": id, "name": null } })).await;
    assert_eq!(cleared["data"]["updateCustomer"]["customer"]["name"], Value::Null);

    let bad = app.gql(update, json!({ "input": { "id": id, "email": "not-an-email" } })).await;
    assert_eq!(bad["data"]["updateCustomer"]["userErrors"][0]["field"], json!(["input", "email"]));
    let unchanged = app.gql("query($id: ID!) { customer(id: $id) { email } }", json!({ "id": id })).await;
    assert_eq!(unchanged["data"]["customer"]["email"], "new@example.com");
}
