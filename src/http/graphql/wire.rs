//! The wire format of GraphQL over HTTP: media types, request bodies, and responses.

use async_graphql::{Request, Variables};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::throttling;
use crate::throttle::Limited;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

/// The response media type the client accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Media {
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
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else { return Some(Media::Json) };
    for range in accept.split(',') {
        let essence = range.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case(GRAPHQL_RESPONSE_JSON) {
            return Some(Media::GraphqlResponseJson);
        }
        if [JSON, "application/*", "*/*"].iter().any(|json| essence.eq_ignore_ascii_case(json)) {
            return Some(Media::Json);
        }
    }
    None
}

/// Whether a `Content-Type` is JSON in UTF-8 (`application/json`, with no charset or
/// `charset=utf-8`), compared without copying the header.
pub fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let essence_is_json = parts.next().is_some_and(|essence| essence.eq_ignore_ascii_case(JSON));
    let charset_ok = parts
        .filter_map(|p| p.get(..8).filter(|name| name.eq_ignore_ascii_case("charset=")).and(p.get(8..)))
        .all(|charset| charset.trim_matches('"').eq_ignore_ascii_case("utf-8"));
    essence_is_json && charset_ok
}

pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// A malformed HTTP request (not a GraphQL request at all): 400 whatever the media type.
pub fn request_error(media: Media, message: &str, code: &str) -> Response {
    request_error_with(StatusCode::BAD_REQUEST, media, message, code)
}

pub fn request_error_with(status: StatusCode, media: Media, message: &str, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    respond(status, media, &body)
}

/// 429 with `Retry-After`, and the reason as a GraphQL error coded `RATE_LIMITED`.
pub fn rate_limited(media: Media, limited: Limited) -> Response {
    let body = json!({ "errors": [{
        "message": throttling::message(limited),
        "extensions": { "code": "RATE_LIMITED", "retryAfterSeconds": limited.retry_after_seconds() }
    }] });
    throttling::too_many_requests(respond(StatusCode::TOO_MANY_REQUESTS, media, &body), limited)
}

pub fn respond(status: StatusCode, media: Media, body: &impl serde::Serialize) -> Response {
    respond_with(status, media, |out| serde_json::to_writer(out, body))
}

pub(super) fn respond_with(
    status: StatusCode,
    media: Media,
    write: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
) -> Response {
    // Room for a small answer with its cost at once, rather than growing from 128 bytes.
    let mut bytes = Vec::with_capacity(512);
    if write(&mut bytes).is_err() {
        bytes = b"{\"errors\":[{\"message\":\"internal error\"}]}".to_vec();
    }
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(CONTENT_TYPE, media.content_type());
    response
}

/// Checks the shape of one `{query, variables, operationName, extensions}` object.
pub fn parse_body(value: Value) -> Result<Request, String> {
    let Value::Object(mut map) = value else { return Err("the body must be a JSON object".into()) };
    // A persisted query may come as its hash alone.
    let query = match map.remove("query") {
        Some(Value::String(q)) => q,
        None | Some(Value::Null) if has_persisted_query(map.get("extensions")) => String::new(),
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

/// The usual body, one `{query, variables, operationName, extensions}` object of the right
/// types, read straight into its fields: no map of keys is built, and the variables are read
/// once. `None` for anything else (a batch, a field of the wrong type, a duplicate key),
/// which `parse_body` then reads as a JSON value to say what is wrong.
pub fn parse_usual_body(body: &[u8]) -> Option<Request> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields {
        query: Option<String>,
        operation_name: Option<String>,
        variables: Option<Variables>,
        extensions: Option<serde_json::Map<String, Value>>,
    }
    // serde would read a struct from an array too, by position.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let fields: Fields = serde_json::from_slice(body).ok()?;
    let query = match fields.query {
        Some(query) => query,
        // A persisted query may come as its hash alone.
        None if fields.extensions.as_ref().is_some_and(|e| e.contains_key("persistedQuery")) => String::new(),
        None => return None,
    };
    let mut request = Request::new(query);
    request.operation_name = fields.operation_name;
    if let Some(variables) = fields.variables {
        request.variables = variables;
    }
    add_extensions(&mut request, fields.extensions);
    Some(request)
}

/// Whether `extensions` names a persisted query.
pub fn has_persisted_query(extensions: Option<&Value>) -> bool {
    extensions.and_then(|e| e.get("persistedQuery")).is_some()
}

pub fn build_request(
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
    if let Some(Value::Object(extensions)) = extensions {
        add_extensions(&mut request, Some(extensions));
    }
    request
}

fn add_extensions(request: &mut Request, extensions: Option<serde_json::Map<String, Value>>) {
    for (key, value) in extensions.into_iter().flatten() {
        if let Ok(value) = async_graphql::Value::from_json(value) {
            request.extensions.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_utf8_is_told_apart_without_regard_to_case() {
        for json in [
            "application/json",
            "Application/JSON",
            "application/json; charset=UTF-8",
            "application/json;charset=\"utf-8\"",
        ] {
            assert!(is_json_utf8(json), "{json}");
        }
        for other in [
            "",
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
            "application/json; é=1; charset=ascii",
        ] {
            assert!(!is_json_utf8(other), "{other}");
        }
        // A parameter that is not the charset is not looked at, whatever its bytes.
        assert!(is_json_utf8("application/json; é=1"));
    }

    #[test]
    fn the_usual_body_is_read_directly_and_anything_else_is_left_to_the_value_path() {
        let request =
            parse_usual_body(br#" {"query":"query Q($n: Int) { a }","variables":{"n":1},"operationName":"Q"}"#);
        let request = request.expect("the usual body");
        assert_eq!(request.query, "query Q($n: Int) { a }");
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.variables.into_value().into_json().unwrap(), json!({ "n": 1 }));
        let persisted = br#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}"#;
        let persisted = parse_usual_body(persisted).expect("a hash alone");
        assert!(persisted.query.is_empty() && persisted.extensions.contains_key("persistedQuery"));
        for other in [
            &br#"[{"query":"{ a }"}]"#[..],
            br#"["{ a }"]"#,
            br#"{"query":1}"#,
            br#"{"variables":{}}"#,
            br#"{"query":"{ a }","variables":"x"}"#,
            br#"{"query":"{ a }","query":"{ b }"}"#,
            b"not json",
        ] {
            assert!(parse_usual_body(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }
}
