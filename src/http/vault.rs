//! `POST /vault/cards`: `{number, expMonth, expYear, cvc}` in, `{token, brand, last4,
//! expMonth, expYear}` out, authorized by a session's client secret or a secret key.
//!
//! The body is read as a raw JSON value and every error message is written here: serde's own
//! messages quote the offending input ("invalid type: integer `4242…`"), and a card number
//! must never come back in an error, nor reach a log.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use super::client_ip::ClientIp;
use super::throttling;
use crate::error::{AppError, ErrorCode};
use crate::service::auth::Caller;
use crate::service::vault::CardInput;
use crate::throttle::{By, Limited, Route};

fn error(status: StatusCode, field: Option<&str>, code: &str, message: &str) -> Response {
    let mut body = json!({ "error": { "code": code, "message": message } });
    if let Some(field) = field {
        body["error"]["field"] = json!(field);
    }
    no_store((status, Json(body)).into_response())
}

fn rate_limited(limited: Limited) -> Response {
    let response = error(StatusCode::TOO_MANY_REQUESTS, None, "RATE_LIMITED", &throttling::message(limited));
    throttling::too_many_requests(response, limited)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn tokenize(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(limited) = state.throttle_ip(Route::Vault, client_ip, 1).await {
        return rate_limited(limited);
    }
    let caller = match super::auth::bearer(&headers) {
        Ok(token) => state.admit_token(token).await,
        Err(malformed) => Err(malformed),
    };
    let caller = match caller {
        Ok(Some(caller)) => caller,
        Ok(None) | Err(AppError::Access(..)) => {
            return error(
                StatusCode::UNAUTHORIZED,
                None,
                "UNAUTHENTICATED",
                "send a client secret or secret key as `Authorization: Bearer <key>`",
            );
        }
        Err(other) => return fault(other),
    };
    if state.admit_origin(caller, &super::door::Provenance::of(&headers)).is_err() {
        return error(StatusCode::FORBIDDEN, None, "ORIGIN_NOT_ALLOWED", super::door::ORIGIN_REFUSED);
    }
    if caller.read_only() {
        return error(StatusCode::FORBIDDEN, None, "FORBIDDEN", "a read-only key cannot tokenize cards");
    }
    // A client secret is what a card tester holds; a secret key is a merchant's server.
    let by = match caller {
        Caller::Session { .. } => By::Credential,
        Caller::Merchant { .. } => By::SecretKey,
    };
    if let Err(limited) = state.throttle_caller(Route::Vault, by, caller, 1).await {
        return rate_limited(limited);
    }
    let json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, "UNSUPPORTED_MEDIA_TYPE", "send application/json");
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, None, "INVALID_JSON", "the body must be a JSON object");
    };
    let input = match card_input(map) {
        Ok(input) => input,
        Err((field, code, message)) => return error(StatusCode::UNPROCESSABLE_ENTITY, Some(field), code, message),
    };
    match state.services.vault.tokenize_card(caller, input).await {
        Ok(card) => no_store(Json(card).into_response()),
        Err(AppError::User(errors)) => {
            let first = errors.first();
            let field = first.and_then(|e| e.field.first()).map(String::as_str);
            let code = first.map_or("INVALID", |e| e.code.as_str());
            let message = first.map_or("invalid card", |e| e.message.as_str());
            let status = if code == ErrorCode::SessionNotOpen.as_str() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            error(status, field, code, message)
        }
        Err(other) => fault(other),
    }
}

fn fault(err: AppError) -> Response {
    if let AppError::Internal(cause) = &err {
        tracing::error!(error = format!("{cause:#}"), "vault fault");
    }
    error(StatusCode::INTERNAL_SERVER_ERROR, None, "INTERNAL", "internal error")
}

type FieldError = (&'static str, &'static str, &'static str);

/// Takes the four fields out of the body, checking only their JSON types.
fn card_input(mut map: Map<String, Value>) -> Result<CardInput, FieldError> {
    let mut text = |field: &'static str| match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err((field, "REQUIRED", "this field is required")),
        Some(_) => Err((field, "INVALID", "must be a string")),
    };
    let number = text("number")?;
    let cvc = text("cvc")?;
    let mut integer = |field: &'static str| match map.remove(field) {
        Some(Value::Number(n)) => n.as_i64().ok_or((field, "INVALID", "must be a whole number")),
        None | Some(Value::Null) => Err((field, "REQUIRED", "this field is required")),
        Some(_) => Err((field, "INVALID", "must be a whole number")),
    };
    let exp_month = integer("expMonth")?;
    let exp_year = integer("expYear")?;
    Ok(CardInput { number, exp_month, exp_year, cvc })
}
