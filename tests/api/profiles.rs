//! Saved payment profiles: saved by a paid session or a SETUP session, one per card, made
//! default, removed, and paying later sessions without the card.

use serde_json::{Value, json};

use crate::support::payments::{CONFIRM, confirm, create_and_pay, tokenize};
use crate::support::*;

const PROFILES: &str = "query($id: ID!) { node(id: $id) { ... on Customer {
    defaultPaymentProfile { id last4 }
    paymentProfiles { totalCount edges { node { id brand last4 expMonth expYear isDefault methodType
        paymentSession { id } } } }
    payments { totalCount } } } }";

const SET_DEFAULT: &str = "mutation($input: PaymentProfileIdInput!) { setDefaultPaymentProfile(input: $input) {
    paymentProfile { id isDefault } userErrors { field code message } } }";

const REMOVE: &str = "mutation($input: PaymentProfileIdInput!) { removePaymentProfile(input: $input) {
    removedId userErrors { field code message } } }";

async fn profiles(app: &TestApp, customer: &str) -> Value {
    let body = app.gql(PROFILES, json!({ "id": customer })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

fn profile_nodes(customer: &Value) -> Vec<Value> {
    customer["paymentProfiles"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

fn payment_session(customer: &str, save: bool) -> Value {
    json!({ "purpose": "PAYMENT", "amount": { "amount": 1500, "currency": "EUR" }, "customerId": customer,
            "savePaymentProfile": save })
}

/// Confirms `session` with a saved profile, using the secret key.
async fn pay_with_profile(app: &TestApp, session: &str, profile: &str) -> Value {
    let input = json!({ "id": session, "paymentMethod": { "paymentProfileId": profile } });
    app.gql(CONFIRM, json!({ "input": input })).await["data"]["confirmPaymentSession"].clone()
}

#[tokio::test]
async fn a_paid_session_saves_its_card_once_and_the_profile_pays_later_without_it() {
    let app = spawn_app().await;
    let customer = app.create_customer("saver@example.com").await;

    let (first, paid) = create_and_pay(&app, payment_session(&customer, true), "4242424242424242").await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let saved = profiles(&app, &customer).await;
    let [profile] = profile_nodes(&saved).try_into().unwrap();
    assert_eq!(profile["brand"], "visa");
    assert_eq!(profile["last4"], "4242");
    assert_eq!((profile["expMonth"].as_i64(), profile["expYear"].as_i64()), (Some(12), Some(2040)));
    assert_eq!(profile["methodType"], "CARD");
    assert_eq!(profile["isDefault"], true, "a customer's first profile is their default");
    assert_eq!(profile["paymentSession"]["id"], first.as_str());
    let profile_id = profile["id"].as_str().unwrap().to_owned();

    // The same card saved again is the same profile.
    let (again, _) = create_and_pay(&app, payment_session(&customer, true), "4242424242424242").await;
    let saved = profiles(&app, &customer).await;
    assert_eq!(saved["paymentProfiles"]["totalCount"], 1, "{saved}");
    assert_eq!(profile_nodes(&saved)[0]["paymentSession"]["id"], again.as_str());

    // A later session is paid with the profile: no card token, no card number.
    let (session, _) = created(app.create_session(payment_session(&customer, false)).await);
    let paid = pay_with_profile(&app, &session, &profile_id).await;
    assert_eq!(paid["userErrors"], json!([]), "{paid}");
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED");
    assert_eq!(paid["payment"]["methodSummary"]["savedProfile"], true);
    let payment = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Payment { offSession paymentProfile { id } } } }",
            json!({ "id": paid["payment"]["id"] }),
        )
        .await;
    assert_eq!(payment["data"]["node"], json!({ "offSession": false, "paymentProfile": { "id": profile_id } }));
    // A profile keeps the processor's token, brand, last 4 and expiry: never the number.
    let contents = crate::vault::database_contents(&app).await;
    assert!(!contents.contains("4242424242424242"), "the card number is in the database");
}

#[tokio::test]
async fn profiles_are_made_default_and_removed() {
    let app = spawn_app().await;
    let customer = app.create_customer("two-cards@example.com").await;
    create_and_pay(&app, payment_session(&customer, true), "4242424242424242").await;
    let mut second = payment_session(&customer, true);
    second["setProfileAsDefault"] = json!(true);
    create_and_pay(&app, second, "5555555555554444").await;

    let saved = profiles(&app, &customer).await;
    let nodes = profile_nodes(&saved);
    let by_last4 = |last4: &str| nodes.iter().find(|n| n["last4"] == last4).unwrap().clone();
    let (visa, mastercard) = (by_last4("4242"), by_last4("4444"));
    assert_eq!((visa["isDefault"].clone(), mastercard["isDefault"].clone()), (json!(false), json!(true)));
    assert_eq!(saved["defaultPaymentProfile"]["last4"], "4444");

    let set = app.gql(SET_DEFAULT, json!({ "input": { "id": visa["id"] } })).await;
    assert_eq!(set["data"]["setDefaultPaymentProfile"]["paymentProfile"]["isDefault"], true, "{set}");
    let saved = profiles(&app, &customer).await;
    let defaults: Vec<_> = profile_nodes(&saved).into_iter().filter(|n| n["isDefault"] == true).collect();
    assert_eq!(defaults.len(), 1, "exactly one default: {saved}");
    assert_eq!(defaults[0]["last4"], "4242");

    let removed = app.gql(REMOVE, json!({ "input": { "id": visa["id"] } })).await;
    assert_eq!(removed["data"]["removePaymentProfile"]["removedId"], visa["id"], "{removed}");
    let saved = profiles(&app, &customer).await;
    assert_eq!(saved["paymentProfiles"]["totalCount"], 1);
    assert_eq!(saved["defaultPaymentProfile"], Value::Null, "the removed default is no default");

    // A removed profile pays nothing, and the session is untouched.
    let (session, _) = created(app.create_session(payment_session(&customer, false)).await);
    let refused = pay_with_profile(&app, &session, visa["id"].as_str().unwrap()).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_FOUND", "{refused}");
    assert_eq!(refused["userErrors"][0]["field"], json!(["input", "paymentMethod", "paymentProfileId"]));
    let untouched =
        app.gql("query($id: ID!) { paymentSession(id: $id) { status version } }", json!({ "id": session })).await;
    assert_eq!(untouched["data"]["paymentSession"], json!({ "status": "OPEN", "version": 1 }));

    // Removing it again, or making it default, finds nothing.
    let again = app.gql(REMOVE, json!({ "input": { "id": visa["id"] } })).await;
    assert_eq!(user_error_code(&again, "removePaymentProfile"), "NOT_FOUND");
    let again = app.gql(SET_DEFAULT, json!({ "input": { "id": visa["id"] } })).await;
    assert_eq!(user_error_code(&again, "setDefaultPaymentProfile"), "NOT_FOUND");

    // Saving the card again brings the same profile back.
    create_and_pay(&app, payment_session(&customer, true), "4242424242424242").await;
    let saved = profiles(&app, &customer).await;
    assert!(profile_nodes(&saved).iter().any(|n| n["id"] == visa["id"]), "{saved}");
}

#[tokio::test]
async fn another_customers_or_merchants_profile_pays_nothing() {
    let app = spawn_app().await;
    let owner = app.create_customer("owner@example.com").await;
    let stranger = app.create_customer("stranger@example.com").await;
    create_and_pay(&app, payment_session(&owner, true), "4242424242424242").await;
    let profile = profile_nodes(&profiles(&app, &owner).await)[0]["id"].as_str().unwrap().to_owned();

    let (session, _) = created(app.create_session(payment_session(&stranger, false)).await);
    let refused = pay_with_profile(&app, &session, &profile).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_FOUND", "{refused}");

    // A session with no customer cannot use anyone's profile either.
    let (anonymous, _) = app.create_payment_session(1500, "EUR").await;
    let refused = pay_with_profile(&app, &anonymous, &profile).await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_FOUND", "{refused}");

    // Another merchant's key sees no such profile.
    let other = app.other_merchant_key().await;
    let foreign = app.gql_as(Some(&other), SET_DEFAULT, json!({ "input": { "id": profile } })).await;
    assert_eq!(user_error_code(&foreign, "setDefaultPaymentProfile"), "NOT_FOUND");
    let bad = app.gql(SET_DEFAULT, json!({ "input": { "id": "not-an-id" } })).await;
    assert_eq!(user_error_code(&bad, "setDefaultPaymentProfile"), "INVALID_ID");
    assert_eq!(profiles(&app, &stranger).await["payments"]["totalCount"], 0);
}

#[tokio::test]
async fn a_setup_session_saves_a_card_without_charging_it() {
    let app = spawn_app().await;
    let customer = app.create_customer("setup@example.com").await;
    let setup = json!({ "purpose": "SETUP", "customerId": customer });

    // A declined card is not saved; the session stays open for another try.
    let (session, declined) = create_and_pay(&app, setup.clone(), "4000000000000002").await;
    assert_eq!(declined["userErrors"][0]["code"], "CARD_DECLINED", "{declined}");
    assert_eq!(declined["paymentSession"]["status"], "OPEN");
    assert_eq!(profiles(&app, &customer).await["paymentProfiles"]["totalCount"], 0);

    let token = tokenize(&app, &app.key, "5555555555554444").await;
    let saved = confirm(&app, &app.key, &session, &token, None).await;
    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    assert_eq!(saved["paymentSession"]["status"], "COMPLETED");
    assert_eq!(saved["payment"], Value::Null, "nothing is charged");
    let customer_now = profiles(&app, &customer).await;
    assert_eq!(customer_now["payments"]["totalCount"], 0);
    assert_eq!(profile_nodes(&customer_now)[0]["last4"], "4444");
    assert_eq!(customer_now["defaultPaymentProfile"]["last4"], "4444");

    // Bad input for a SETUP session changes nothing.
    let bank = app
        .create_session(
            json!({ "purpose": "SETUP", "customerId": customer, "allowedPaymentMethods": ["BANK_TRANSFER"] }),
        )
        .await;
    assert_eq!(user_error_code(&bank, "createPaymentSession"), "NOT_ALLOWED");
    let nobody = app.create_session(json!({ "purpose": "SETUP" })).await;
    assert_eq!(user_error_code(&nobody, "createPaymentSession"), "REQUIRED");
    let default_unsaved = app
        .create_session(json!({ "purpose": "PAYMENT", "amount": { "amount": 100, "currency": "EUR" },
                                 "customerId": customer, "setProfileAsDefault": true }))
        .await;
    assert_eq!(user_error_code(&default_unsaved, "createPaymentSession"), "NOT_ALLOWED");
}
