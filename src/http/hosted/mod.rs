//! The hosted payment page (`/pay/{client_secret}`), its test 3-D Secure challenge, and
//! payment links (`/l/{slug}`), with the assets they load.
//!
//! Every response here carries a strict policy: scripts, styles and connections only from
//! paygraph itself, images from paygraph or HTTPS (the merchant's logo), no framing, no
//! caching, and no referrer (the page's URL holds the client secret).

mod page;
pub mod portal;
mod portal_page;
mod text;

use self::text::Text;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use std::net::IpAddr;

use super::AppState;
use super::client_ip::ClientIp;
use super::throttling;
use crate::domain::{PaymentId, TypedId};
use crate::service::links::LinkUnavailable;
use crate::throttle::Route;

const PAY_JS: &str = include_str!("assets/pay.js");
const CHALLENGE_JS: &str = include_str!("assets/challenge.js");
const PAY_CSS: &str = include_str!("assets/pay.css");
const PORTAL_JS: &str = include_str!("assets/portal.js");

/// The accent color when the merchant has set none.
const DEFAULT_ACCENT: &str = "#4f46e5";

/// The page's Content-Security-Policy, allowing WebSocket connections back to `public_url`.
fn content_security_policy(public_url: &str) -> String {
    let websocket = public_url.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; \
         connect-src 'self' {websocket}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The headers of every hosted response.
fn hardened(state: &AppState, status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let policy = content_security_policy(&state.services.public_url);
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(HeaderName::from_static("content-security-policy"), policy);
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    headers.insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    response
}

fn html(state: &AppState, status: StatusCode, body: String) -> Response {
    hardened(state, status, "text/html; charset=utf-8", body)
}

fn not_found(state: &AppState, text: Text) -> Response {
    html(state, StatusCode::NOT_FOUND, page::notice(text, "notice.not_found"))
}

fn fault(state: &AppState, text: Text, error: &crate::error::AppError) -> Response {
    tracing::error!(error = %format!("{error:#}"), "hosted page fault");
    html(state, StatusCode::INTERNAL_SERVER_ERROR, page::notice(text, "notice.fault"))
}

/// The rate limits of a hosted route: the client's IP, then the secret in the URL. `None`
/// lets the request through; `Some` is the 429 page.
async fn refused(state: &AppState, text: Text, route: Route, ip: Option<IpAddr>, secret: &str) -> Option<Response> {
    let verdict = match state.throttle_ip(route, ip, 1).await {
        Ok(()) => state.throttle_secret(route, secret).await,
        refused => refused,
    };
    let limited = verdict.err()?;
    let page = page::notice(text, "notice.busy");
    Some(throttling::too_many_requests(html(state, StatusCode::TOO_MANY_REQUESTS, page), limited))
}

/// `GET /pay/{client_secret}`: the payment page of one session.
pub async fn payment_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let asked = Text::choose(None, &headers);
    if let Some(refusal) = refused(&state, asked, Route::Page, ip, &secret).await {
        return refusal;
    }
    match state.services.hosted.view(&secret).await {
        Ok(Some(view)) => {
            let id = view.session.id.to_global();
            let chosen = match state.services.hosted.locale(&view).await {
                Ok(chosen) => chosen,
                Err(error) => return fault(&state, asked, &error),
            };
            let text = Text::choose(chosen, &headers);
            html(&state, StatusCode::OK, page::payment_page(&view, text, &secret, &id))
        }
        Ok(None) => not_found(&state, asked),
        Err(error) => fault(&state, asked, &error),
    }
}

/// `GET /pay/{client_secret}/return`: where a processor sends the customer back after 3-D
/// Secure. The attempt is settled from the processor's word, then the payment page shows it.
pub async fn returned(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let asked = Text::choose(None, &headers);
    if let Some(refusal) = refused(&state, asked, Route::Page, ip, &secret).await {
        return refusal;
    }
    let view = match state.services.hosted.view(&secret).await {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(&state, asked),
        Err(error) => return fault(&state, asked, &error),
    };
    // A processor that cannot answer now leaves the attempt to its webhook and reconciliation.
    if let Err(error) = state.services.payments.customer_returned(view.session.id).await {
        tracing::warn!(error = %format!("{error:#}"), "settling on the customer's return failed");
    }
    see_other(&state, &format!("/pay/{secret}"))
}

/// A `303` to `location` (a path of paygraph's own), with the hosted pages' headers.
fn see_other(state: &AppState, location: &str) -> Response {
    let mut response = hardened(state, StatusCode::SEE_OTHER, "text/plain; charset=utf-8", String::new());
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// `GET /pay/{client_secret}/theme.css`: the merchant's accent color, as a stylesheet so the
/// policy needs no inline styles.
pub async fn theme(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let asked = Text::choose(None, &headers);
    if let Some(refusal) = refused(&state, asked, Route::Page, ip, &secret).await {
        return refusal;
    }
    match state.services.hosted.view(&secret).await {
        Ok(Some(view)) => theme_of(&state, &view.merchant),
        Ok(None) => not_found(&state, asked),
        Err(error) => fault(&state, asked, &error),
    }
}

/// The merchant's accent color as a stylesheet. Stored colors are validated `#rrggbb`;
/// anything else falls back to the default.
fn theme_of(state: &AppState, merchant: &crate::domain::merchant::Merchant) -> Response {
    let accent = merchant
        .accent_color
        .clone()
        .filter(|c| crate::service::merchants::is_hex_color(c))
        .unwrap_or_else(|| DEFAULT_ACCENT.to_owned());
    hardened(state, StatusCode::OK, "text/css; charset=utf-8", format!(":root {{ --accent: {accent}; }}\n"))
}

/// `GET /pay/{client_secret}/challenge/{payment_id}`: the test processor's 3-D Secure page
/// (`…/challenge/setup` for a SETUP session, whose card is verified, not charged).
pub async fn challenge_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((secret, payment)): Path<(String, String)>,
) -> Response {
    let asked = Text::choose(None, &headers);
    if let Some(refusal) = refused(&state, asked, Route::Page, ip, &secret).await {
        return refusal;
    }
    let setup = payment == "setup";
    if !setup && PaymentId::from_global(&payment).is_err() {
        return not_found(&state, asked);
    }
    match state.services.hosted.view(&secret).await {
        Ok(Some(view)) if setup && view.session.purpose != crate::domain::SessionPurpose::Setup => {
            not_found(&state, asked)
        }
        Ok(Some(view)) => {
            let chosen = match state.services.hosted.locale(&view).await {
                Ok(chosen) => chosen,
                Err(error) => return fault(&state, asked, &error),
            };
            let text = Text::choose(chosen, &headers);
            let challenge = match setup {
                true => page::Challenge::Setup(view.session.id.to_global()),
                false => page::Challenge::Payment(payment),
            };
            html(&state, StatusCode::OK, page::challenge_page(&view, text, &secret, challenge))
        }
        Ok(None) => not_found(&state, asked),
        Err(error) => fault(&state, asked, &error),
    }
}

/// `GET /l/{slug}`: a fresh session for the link, then its hosted page.
pub async fn visit_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    let text = Text::choose(None, &headers);
    if let Some(refusal) = refused(&state, text, Route::Link, ip, &slug).await {
        return refusal;
    }
    let (key, status) = match state.services.links.visit(&slug).await {
        Ok(Ok(session)) => {
            return see_other(&state, &format!("/pay/{}", session.client_secret));
        }
        Ok(Err(LinkUnavailable::NotFound)) => return not_found(&state, text),
        Ok(Err(LinkUnavailable::Inactive)) => ("link.inactive", StatusCode::GONE),
        Ok(Err(LinkUnavailable::Expired)) => ("link.expired", StatusCode::GONE),
        Ok(Err(LinkUnavailable::UsedUp)) => ("link.used", StatusCode::GONE),
        Err(error) => return fault(&state, text, &error),
    };
    html(&state, status, page::notice(text, key))
}

/// `GET /assets/{file}`: the page's script and stylesheet, built into the binary.
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "pay.js" => ("text/javascript; charset=utf-8", PAY_JS),
        "challenge.js" => ("text/javascript; charset=utf-8", CHALLENGE_JS),
        "portal.js" => ("text/javascript; charset=utf-8", PORTAL_JS),
        "pay.css" => ("text/css; charset=utf-8", PAY_CSS),
        _ => return not_found(&state, Text { locale: crate::domain::locale::Locale::En }),
    };
    hardened(&state, StatusCode::OK, content_type, body.to_owned())
}
