//! paygraph's own browser tools (GraphiQL, the dashboard): files compiled into the binary,
//! served with a strict Content-Security-Policy, so no page loads anything from elsewhere.

use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One file: its name under the tool's path, its type, its bytes, and whether it is a
/// vendored release that never changes (cached a day) or ours (revalidated every time).
pub struct StaticFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    pub vendored: bool,
}

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

/// Whether a tool's page may set inline styles (GraphiQL's React components do; the
/// dashboard does not).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Styles {
    OwnFilesOnly,
    InlineToo,
}

/// What a tool's page may load: its own files, fonts and images inlined as `data:`, and
/// calls back to this server (HTTP and WebSocket, hence `connect-src` with `ws:`/`wss:` of
/// the same host).
fn content_security_policy(host: &str, styles: Styles) -> String {
    let style = if styles == Styles::InlineToo { "'self' 'unsafe-inline'" } else { "'self'" };
    format!(
        "default-src 'none'; script-src 'self'; style-src {style}; font-src data:; \
         img-src 'self' data:; connect-src 'self' ws://{host} wss://{host}; form-action 'none'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// `file` with its headers; `host` is the request's `Host`, for the socket's policy.
pub fn serve(file: &StaticFile, host: &str, styles: Styles) -> Response {
    let mut response = (StatusCode::OK, file.body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    let cache = if file.vendored { "public, max-age=86400" } else { "no-cache" };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(host, styles)) {
        headers.insert(HeaderName::from_static("content-security-policy"), policy);
    }
    headers.insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    response
}

/// The file called `name` among `files`, or a plain 404.
pub fn find(files: &[StaticFile], name: &str, host: &str, styles: Styles) -> Response {
    match files.iter().find(|file| file.name == name) {
        Some(file) => serve(file, host, styles),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The request's `Host`, for the page's socket policy.
pub fn host(headers: &HeaderMap) -> &str {
    headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or_default()
}
