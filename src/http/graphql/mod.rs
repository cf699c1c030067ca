//! GraphQL over HTTP, as the GraphQL-over-HTTP spec asks (the stock async-graphql-axum
//! handler passes 44 of the 61 `graphql-http` audits; this one passes all):
//! - `Accept` picks `application/graphql-response+json` or `application/json`; neither: 406;
//! - a POST must be `application/json` (UTF-8): otherwise 415;
//! - a malformed request (bad JSON, a parameter of the wrong type) is a 400;
//! - a document that fails to parse or validate is a 400 without `data` under
//!   `application/graphql-response+json`, a 200 under `application/json` (as the spec keeps
//!   for older clients);
//! - GET runs queries only: a mutation over GET is 405, so a link cannot move money;
//! - a browser GET with no query gets GraphiQL;
//! - a request may name its document by hash (Apollo's persisted queries, `persisted`).

mod body;
pub(super) mod persisted;
mod wire;

use std::collections::HashMap;
use std::net::IpAddr;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request as HttpRequest, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use self::body::{ResponseBody, respond_bodies};
use self::wire::{
    Media, build_request, is_json_utf8, negotiate, parse_body, parse_usual_body, rate_limited, request_error,
    request_error_with, respond, wants_html,
};
use super::client_ip::ClientIp;
use super::{AppState, door};
use crate::error::AppError;
use crate::graphql::RequestData;
use crate::graphql::batching::{LoaderTasks, drive};
use crate::graphql::cost::CostSlot;
use crate::graphql::errors::gql;
use crate::service::auth::Caller;

/// The HTTP method a request came by: GET runs queries only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…`
pub async fn get(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).cloned();
    let persisted = params.get("extensions").is_some_and(|e| e.contains("persistedQuery"));
    let Some(query) = param("query").or_else(|| persisted.then(String::new)) else {
        if state.graphiql && wants_html(&headers) {
            return super::graphiql::page(&headers);
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
    execute(&state, &headers, client_ip, media, Method::Get, None, vec![request]).await
}

/// `POST /graphql` with a JSON body: one request, or an array of up to `max_batch`.
pub async fn post(State(state): State<AppState>, ClientIp(client_ip): ClientIp, mut request: HttpRequest) -> Response {
    // The headers are taken, not copied as the `HeaderMap` extractor would.
    let headers = std::mem::take(request.headers_mut());
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(media) = negotiate(&headers) else { return StatusCode::NOT_ACCEPTABLE.into_response() };
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !is_json_utf8(content_type) {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    if let Some(request) = parse_usual_body(&body) {
        return execute(&state, &headers, client_ip, media, Method::Post, None, vec![request]).await;
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
    let batch = (!single).then_some(requests.len());
    execute(&state, &headers, client_ip, media, Method::Post, batch, requests).await
}

/// The browser origin a request names, for the audit trail.
fn origin_of(headers: &HeaderMap) -> Option<String> {
    headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Runs one operation, or a batch (`Some(len)`) answered with an array.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
    media: Media,
    method: Method,
    batch: Option<usize>,
    requests: Vec<Request>,
) -> Response {
    for request in &requests {
        if request.query.len() > state.limits.max_query_bytes {
            let message = format!("the query is larger than {} bytes", state.limits.max_query_bytes);
            return request_error(media, &message, "QUERY_TOO_LARGE");
        }
    }
    let operations = u32::try_from(requests.len()).unwrap_or(u32::MAX);
    let caller = match admit(state, headers, client_ip, operations).await {
        Ok(caller) => caller,
        Err(refusal) => return refused_at_door(media, refusal),
    };
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for mut request in requests {
        if let Err(refused) = document_of(state, caller, method, &mut request).await {
            if batch.is_none() {
                return refused.into_response(media);
            }
            statuses.push(StatusCode::OK);
            bodies.push(refused.body());
            continue;
        }
        state.services.core.metrics.count_graphql_request();
        let shows_cost = shows_cost(caller, &request);
        let validation = state.parsed.prepare(&mut request);
        let cost = CostSlot::default();
        let loads = LoaderTasks::default();
        // Into the request in place: `Request::data` would move the whole request twice.
        request.data.insert(
            RequestData::new(caller, client_ip)
                .with_origin(origin_of(headers))
                .with_cost_slot(cost.clone())
                .with_validation(validation)
                .with_driven_loads(loads.clone()),
        );
        // Boxed: the schema's future is several kilobytes, and every layer above would
        // otherwise copy it each time it wraps or moves the future of this handler.
        let response = drive(loads, Box::pin(state.schema.execute(request))).await;
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
            cost: cost.get().copied().filter(|report| shows_cost || report.actual_query_cost.is_none()),
        });
    }
    let status = if batch.is_none() { statuses.pop().unwrap_or(StatusCode::OK) } else { StatusCode::OK };
    respond_bodies(status, media, &bodies, batch.is_some())
}

/// Whether an answer carries `extensions.cost`: for a merchant's key, whose budget it is,
/// and for a client that asks (`"extensions": {"cost": true}`). An answer the budget refused
/// always carries it (it says when to come back). A client secret's status check goes
/// without: 150 bytes of a phone's 350 that nothing on the phone reads.
fn shows_cost(caller: Option<Caller>, request: &Request) -> bool {
    matches!(caller, Some(Caller::Merchant { .. }))
        || request.extensions.get("cost") == Some(&async_graphql::Value::Boolean(true))
}

/// The door's checks before any operation of the request runs: the IP's budget, the
/// credential, its budget and its origin.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
    operations: u32,
) -> Result<Option<Caller>, door::Refusal> {
    state.admit_ip(client_ip, operations).await?;
    let token = super::auth::bearer(headers).map_err(door::Refusal::Credential)?;
    let caller = state.admit_token(token).await.map_err(door::Refusal::Credential)?;
    if let Some(caller) = caller {
        state.admit_caller(caller, &door::Provenance::of(headers), operations).await?;
    }
    Ok(caller)
}

/// The answer to a request the door refused as a whole.
fn refused_at_door(media: Media, refusal: door::Refusal) -> Response {
    match refusal {
        door::Refusal::Limited(limited) => rate_limited(media, limited),
        door::Refusal::Credential(err) => {
            let status = match err {
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            let error = gql(err).into_server_error(async_graphql::Pos::default());
            let body = json!({ "errors": [{ "message": error.message, "extensions": error.extensions }] });
            respond(status, media, &body)
        }
        door::Refusal::Origin => {
            request_error_with(StatusCode::FORBIDDEN, media, door::ORIGIN_REFUSED, "ORIGIN_NOT_ALLOWED")
        }
        door::Refusal::Document(refusal) => Refused::Persisted(refusal).into_response(media),
    }
}

/// Why one request of a batch (or the whole request) does not run.
enum Refused {
    Persisted(persisted::Refusal),
    /// A mutation over GET.
    NotByGet,
}

impl Refused {
    fn error(&self) -> (&'static str, &'static str) {
        match self {
            Refused::Persisted(refusal) => refusal.message_and_code(),
            Refused::NotByGet => ("only queries may be sent over GET; use POST", "METHOD_NOT_ALLOWED"),
        }
    }

    fn body(&self) -> ResponseBody {
        let (message, code) = self.error();
        let mut error = ServerError::new(message, None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", code);
        error.extensions = Some(extensions);
        ResponseBody { errors: vec![error], ..ResponseBody::default() }
    }

    fn into_response(self, media: Media) -> Response {
        let (message, code) = self.error();
        match self {
            Refused::NotByGet => {
                let mut response = request_error_with(StatusCode::METHOD_NOT_ALLOWED, media, message, code);
                response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
                response
            }
            Refused::Persisted(persisted::Refusal::Fault) => {
                request_error_with(StatusCode::INTERNAL_SERVER_ERROR, media, message, code)
            }
            // As a document that does not validate: no data, 400 only where the media type
            // has a way to say so (Apollo's clients read the body either way).
            Refused::Persisted(_) if media == Media::Json => {
                respond_bodies(StatusCode::OK, media, &[self.body()], false)
            }
            Refused::Persisted(_) => request_error(media, message, code),
        }
    }
}

/// Gives `request` its document (a persisted query's, by hash) and checks it may run by
/// `method`: over GET only a query runs, so a link cannot move money.
async fn document_of(
    state: &AppState,
    caller: Option<Caller>,
    method: Method,
    request: &mut Request,
) -> Result<(), Refused> {
    match state.admit_document(caller, request).await {
        Ok(()) => {}
        Err(door::Refusal::Document(refusal)) => return Err(Refused::Persisted(refusal)),
        Err(_) => return Err(Refused::Persisted(persisted::Refusal::Fault)),
    }
    if method == Method::Post {
        return Ok(());
    }
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return Ok(()) };
    let operation = match &request.operation_name {
        Some(name) => document.operations.iter().find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => document.operations.iter().next(),
    };
    match operation {
        Some((_, op)) if op.node.ty != OperationType::Query => Err(Refused::NotByGet),
        _ => Ok(()),
    }
}
