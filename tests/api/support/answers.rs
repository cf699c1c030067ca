//! Reading answers: a created session's id and secret, the code of a user error or an error,
//! a node.

use serde_json::{Value, json};

use super::TestApp;

pub const CREATE_SESSION: &str = r#"
mutation($input: CreatePaymentSessionInput!) {
  createPaymentSession(input: $input) {
    paymentSession { id status version purpose amount { amount currency formatted } expiresAt hostedUrl
                     allowedPaymentMethods customer { id } order { id } }
    clientSecret
    userErrors { field message code }
  }
}"#;

/// The id and client secret of the session `createPaymentSession` answered with, or panics
/// with the body.
pub fn created(body: Value) -> (String, String) {
    let payload = &body["data"]["createPaymentSession"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (payload["paymentSession"]["id"].as_str().unwrap().to_owned(), payload["clientSecret"].as_str().unwrap().to_owned())
}

/// The first user error's code, or panics with the body.
pub fn user_error_code(body: &Value, mutation: &str) -> String {
    body["data"][mutation]["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a user error in {body}"))
        .to_owned()
}

/// The first user error's code in a mutation's payload, or `none`.
pub fn payload_code(payload: &Value) -> &str {
    payload["userErrors"][0]["code"].as_str().unwrap_or("none")
}

/// The `node` that `query` (taking `$id`) reads, or panics with the body's errors.
pub async fn node_of(app: &TestApp, query: &str, id: &str) -> Value {
    let body = app.gql(query, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["node"].clone()
}

/// The first GraphQL error's `extensions.code`, or panics with the body.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("expected an error in {body}")).to_owned()
}

/// `data.<path>` of an answer (dots between fields, as in `createCustomer.customer`) read as
/// `T`: a typed payload instead of a chain of indexes. Panics with the body when it is not
/// there or not a `T`.
pub fn read<T: serde::de::DeserializeOwned>(body: &Value, path: &str) -> T {
    let at = path.split('.').fold(&body["data"], |at, field| &at[field]);
    serde_json::from_value(at.clone())
        .unwrap_or_else(|e| panic!("data.{path} is not a {}: {e}\n{body}", std::any::type_name::<T>()))
}

/// A user error as the API answers it.
#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub code: String,
    pub message: String,
}

/// An object named by its global id.
#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Named {
    pub id: String,
}
