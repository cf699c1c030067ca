//! GraphQL over HTTP, as the GraphQL-over-HTTP spec asks (the stock async-graphql-axum
//! handler passes 44 of the 61 `graphql-http` audits; this one passes all):
//! - `Accept` picks `application/graphql-response+json` or `application/json`; neither: 406;
//! - a POST must be `application/json` (UTF-8): otherwise 415;
//! - a malformed request (bad JSON, a parameter of the wrong type) is a 400;
//! - a document that fails to parse or validate is a 400 without `data` under
//!   `application/graphql-response+json`, a 200 under `application/json` (as the spec keeps
//!   for older clients);
//! - GET runs queries only: a mutation over GET is 405, so a link cannot move money;
//! - a browser GET with no query gets GraphiQL.

use std::collections::HashMap;
use std::net::IpAddr;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Variables};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::client_ip::ClientIp;
use super::throttling;
use crate::error::AppError;
use crate::graphql::RequestData;
use crate::graphql::errors::gql;
use crate::throttle::{By, Limited, Route};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The response media type the client accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }
}

/// Picks the first acceptable type in the client's list; no header means `application/json`.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else { return Some(Media::Json) };
    for range in accept.split(',') {
        let essence = range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(Media::GraphqlResponseJson),
            JSON | "application/*" | "*/*" => return Some(Media::Json),
            _ => {}
        }
    }
    None
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// A malformed HTTP request (not a GraphQL request at all): 400 whatever the media type.
fn request_error(media: Media, message: &str, code: &str) -> Response {
    request_error_with(StatusCode::BAD_REQUEST, media, message, code)
}

fn request_error_with(status: StatusCode, media: Media, message: &str, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    respond(status, media, &body)
}

/// 429 with `Retry-After`, and the reason as a GraphQL error coded `RATE_LIMITED`.
fn rate_limited(media: Media, limited: Limited) -> Response {
    let body = json!({ "errors": [{
        "message": throttling::message(limited),
        "extensions": { "code": "RATE_LIMITED", "retryAfterSeconds": limited.retry_after_seconds() }
    }] });
    throttling::too_many_requests(respond(StatusCode::TOO_MANY_REQUESTS, media, &body), limited)
}

fn respond(status: StatusCode, media: Media, body: &impl serde::Serialize) -> Response {
    let bytes =
        serde_json::to_vec(body).unwrap_or_else(|_| b"{\"errors\":[{\"message\":\"internal error\"}]}".to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(CONTENT_TYPE, media.content_type());
    response
}

/// `GET /graphql?query=…&variables=…&operationName=…`
pub async fn get(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).cloned();
    let Some(query) = param("query") else {
        if state.graphiql && wants_html(&headers) {
            return Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish())
                .into_response();
        }
        let media = negotiate(&headers).unwrap_or(Media::Json);
        return request_error(media, "a GET request needs a `query` parameter", "BAD_REQUEST");
    };
    let Some(media) = negotiate(&headers) else { return StatusCode::NOT_ACCEPTABLE.into_response() };
    let parse_json = |name: &str| -> Result<Option<Value>, String> {
        match param(name) {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => serde_json::from_str::<Value>(&text)
                .ok()
                .filter(|v| v.is_object() || v.is_null())
                .map(Some)
                .ok_or_else(|| format!("`{name}` must be a JSON object")),
        }
    };
    let (variables, extensions) = match (parse_json("variables"), parse_json("extensions")) {
        (Ok(variables), Ok(extensions)) => (variables, extensions),
        (Err(message), _) | (_, Err(message)) => return request_error(media, &message, "BAD_REQUEST"),
    };
    let request = build_request(query, param("operationName"), variables, extensions);
    // Only queries run over GET.
    if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
        let operation = match &request.operation_name {
            Some(name) => document.operations.iter().find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
            None => document.operations.iter().next(),
        };
        if operation.is_some_and(|(_, op)| op.node.ty != OperationType::Query) {
            let mut response =
                request_error(media, "only queries may be sent over GET; use POST", "METHOD_NOT_ALLOWED");
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    execute(&state, &headers, client_ip, media, true, vec![request]).await
}

/// `POST /graphql` with a JSON body: one request, or an array of up to `max_batch`.
pub async fn post(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(media) = negotiate(&headers) else { return StatusCode::NOT_ACCEPTABLE.into_response() };
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let charset_ok =
        parts.filter_map(|p| p.strip_prefix("charset=")).all(|c| c.trim_matches('"').eq_ignore_ascii_case("utf-8"));
    if essence != JSON || !charset_ok {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return request_error(media, "the body is not valid JSON", "BAD_REQUEST");
    };
    let (single, requests) = match value {
        Value::Array(items) => {
            if items.is_empty() || items.len() > state.limits.max_batch {
                let message = format!("a batch holds 1 to {} operations", state.limits.max_batch);
                return request_error(media, &message, "BAD_REQUEST");
            }
            let mut requests = Vec::with_capacity(items.len());
            for item in items {
                match parse_body(item) {
                    Ok(request) => requests.push(request),
                    Err(message) => return request_error(media, &message, "BAD_REQUEST"),
                }
            }
            (false, requests)
        }
        other => match parse_body(other) {
            Ok(request) => (true, vec![request]),
            Err(message) => return request_error(media, &message, "BAD_REQUEST"),
        },
    };
    execute(&state, &headers, client_ip, media, single, requests).await
}

/// Checks the shape of one `{query, variables, operationName, extensions}` object.
fn parse_body(value: Value) -> Result<Request, String> {
    let Value::Object(mut map) = value else { return Err("the body must be a JSON object".into()) };
    let query = match map.remove("query") {
        Some(Value::String(q)) => q,
        _ => return Err("`query` must be a string".into()),
    };
    let operation_name = match map.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err("`operationName` must be a string".into()),
    };
    let object_or_null = |name: &str, v: Option<Value>| match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(format!("`{name}` must be an object")),
    };
    let variables = object_or_null("variables", map.remove("variables"))?;
    let extensions = object_or_null("extensions", map.remove("extensions"))?;
    Ok(build_request(query, operation_name, variables, extensions))
}

fn build_request(
    query: String,
    operation_name: Option<String>,
    variables: Option<Value>,
    extensions: Option<Value>,
) -> Request {
    let mut request = Request::new(query);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = variables {
        request = request.variables(Variables::from_json(vars));
    }
    if let Some(Value::Object(ext)) = extensions {
        for (key, value) in ext {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(key, value);
            }
        }
    }
    request
}

/// Runs one operation (`single`) or a batch, answered with an array.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
    media: Media,
    single: bool,
    requests: Vec<Request>,
) -> Response {
    for request in &requests {
        if request.query.len() > state.limits.max_query_bytes {
            let message = format!("the query is larger than {} bytes", state.limits.max_query_bytes);
            return request_error(media, &message, "QUERY_TOO_LARGE");
        }
    }
    let operations = u32::try_from(requests.len()).unwrap_or(u32::MAX);
    if let Err(limited) = state.throttle_ip(Route::Graphql, client_ip, operations).await {
        return rate_limited(media, limited);
    }
    let caller = match super::auth::caller(&state.services.auth, headers).await {
        Ok(caller) => caller,
        Err(err) => {
            let status = match err {
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            let error = gql(err).into_server_error(async_graphql::Pos::default());
            let body = json!({ "errors": [{ "message": error.message, "extensions": error.extensions }] });
            return respond(status, media, &body);
        }
    };
    if let Some(caller) = caller {
        if let Err(limited) = state.throttle_caller(Route::Graphql, By::Credential, caller, operations).await {
            return rate_limited(media, limited);
        }
        if super::cors::origin_refused(&state.services.origins, &state.services.public_url, headers, caller) {
            return request_error_with(StatusCode::FORBIDDEN, media, super::cors::REFUSED, "ORIGIN_NOT_ALLOWED");
        }
    }
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for request in requests {
        state.services.core.metrics.count_graphql_request();
        let request = request.data(RequestData::new(caller, client_ip));
        let response = state.schema.execute(request).await;
        // Parse, validation and variable errors carry no path and leave no data.
        let request_failed = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        statuses.push(if request_failed && media == Media::GraphqlResponseJson {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        });
        bodies.push(ResponseBody {
            data: (!request_failed).then_some(response.data),
            errors: response.errors,
            extensions: response.extensions,
        });
    }
    if single {
        let status = statuses.pop().unwrap_or(StatusCode::OK);
        match bodies.pop() {
            Some(body) => respond(status, media, &body),
            None => respond(status, media, &Value::Null),
        }
    } else {
        respond(StatusCode::OK, media, &bodies)
    }
}

/// A GraphQL response as sent: `data` left out when the request failed before execution.
#[derive(serde::Serialize)]
struct ResponseBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<async_graphql::ServerError>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: std::collections::BTreeMap<String, async_graphql::Value>,
}
