//! The customer portal's routes, under `/portal/{secret}`: the page, a receipt, the live
//! stream, and one POST per action. An action answers 303 back to the page, saying what was
//! done (`?done=`) or the user error's code (`?error=`), so it works as a plain form.
//!
//! An unknown secret is a 404 and an expired one a 410, whatever the route; an id of
//! another customer or merchant is a 404 as in the API. A POST whose `Origin` or
//! `Sec-Fetch-Site` says another site made it is refused: only the portal's own page acts.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::portal_page::{self, Flash};
use super::text::Text;
use super::{fault, hardened, html, refused};
use crate::domain::portal::PortalSession;
use crate::domain::{PaymentId, ProfileId, SubscriptionId, TypedId};
use crate::error::AppError;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::service::portal::Access;
use crate::throttle::Route;

/// Live streams one portal may hold open at once on an instance (tabs of one customer).
const LIVE_STREAMS_PER_PORTAL: usize = 4;

/// The portal of `secret` when it is open; else the page that says why not.
async fn open(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    secret: &str,
) -> Result<(PortalSession, Text), Response> {
    let asked = Text::choose(None, headers);
    if let Some(refusal) = refused(state, asked, Route::Page, ip, secret).await {
        return Err(refusal);
    }
    let portals = &state.services.portals;
    match portals.open(secret).await {
        Ok(Access::Open(portal)) => match portals.locale(&portal).await {
            Ok(chosen) => Ok((portal, Text::choose(chosen, headers))),
            Err(error) => Err(fault(state, asked, &error)),
        },
        Ok(Access::Expired(portal)) => {
            let text = Text::choose(portal.locale, headers);
            Err(html(state, StatusCode::GONE, super::page::notice(text, "notice.portal_expired")))
        }
        Ok(Access::Unknown) => Err(super::not_found(state, asked)),
        Err(error) => Err(fault(state, asked, &error)),
    }
}

/// `GET /portal/{secret}`: the portal page. `?remove=<id>` asks before removing a method.
pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (portal, text) = match open(&state, &headers, ip, &secret).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    let view = match state.services.portals.view(&portal).await {
        Ok(view) => view,
        Err(error) => return fault(&state, text, &error),
    };
    // Only words of the catalog are shown: a code is looked up, never echoed.
    let flash = match (query.get("done"), query.get("error")) {
        (_, Some(code)) if is_code(code) => Flash::Error(code),
        (Some(done), _) if is_code(done) => Flash::Done(done),
        _ => Flash::None,
    };
    let removal = query.get("remove").map(String::as_str);
    html(&state, StatusCode::OK, portal_page::portal_page(&view, text, &secret, flash, removal))
}

/// A catalog key's tail: letters, digits, `_` and `-`, short.
fn is_code(code: &str) -> bool {
    code.len() <= 40 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `GET /portal/{secret}/receipts/{payment}`: a printable receipt of one payment.
pub async fn receipt(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((secret, payment)): Path<(String, String)>,
) -> Response {
    let (portal, text) = match open(&state, &headers, ip, &secret).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    let Ok(payment) = PaymentId::from_global(&payment) else { return super::not_found(&state, text) };
    let portals = &state.services.portals;
    let found = match portals.receipt(&portal, payment).await {
        Ok(Some(found)) => found,
        Ok(None) => return super::not_found(&state, text),
        Err(error) => return fault(&state, text, &error),
    };
    let merchant = match state.services.merchants.get(portal.merchant).await {
        Ok(merchant) => merchant,
        Err(error) => return fault(&state, text, &error),
    };
    let (payment, refunds, session) = found;
    html(&state, StatusCode::OK, portal_page::receipt_page(&merchant, text, &secret, &payment, &refunds, &session))
}

/// `GET /portal/{secret}/theme.css`: the merchant's accent color.
pub async fn theme(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let (portal, text) = match open(&state, &headers, ip, &secret).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    match state.services.merchants.get(portal.merchant).await {
        Ok(merchant) => super::theme_of(&state, &merchant),
        Err(error) => fault(&state, text, &error),
    }
}

/// `GET /portal/{secret}/live`: server-sent `changed` events whenever something the page
/// shows may have changed (the customer's sessions, methods, subscriptions, preferences);
/// the page then reads itself again. It ends when the portal expires.
pub async fn live(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let (portal, _) = match open(&state, &headers, ip, &secret).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    let Some(permit) = state.sockets.acquire(format!("portal:{}", portal.id), LIVE_STREAMS_PER_PORTAL) else {
        return hardened(&state, StatusCode::TOO_MANY_REQUESTS, "text/plain; charset=utf-8", String::new());
    };
    let left = (portal.expires_at - state.services.core.now()).to_std().unwrap_or_default();
    let changes = BroadcastStream::new(state.services.portals.changes())
        // A lagging receiver missed some: reading everything again covers them.
        .filter(move |change| std::future::ready(change.as_ref().map_or(true, |c| c.concerns(&portal))))
        .map(move |change| {
            let _held = &permit;
            let what = change.map_or("everything", |c| c.what());
            Ok::<_, Infallible>(Event::default().event("changed").data(what))
        })
        .take_until(tokio::time::sleep(left));
    let mut response = Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// `POST /portal/{secret}/{action}`: one change, then back to the page.
pub async fn act(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((secret, action)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (portal, text) = match open(&state, &headers, ip, &secret).await {
        Ok(open) => open,
        Err(response) => return response,
    };
    if action_unknown(&action) {
        return super::not_found(&state, text);
    }
    if from_another_site(&state, &headers) {
        return hardened(&state, StatusCode::FORBIDDEN, "text/plain; charset=utf-8", String::new());
    }
    let portals = &state.services.portals;
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let page = format!("/portal/{secret}");
    let done = |key: &str| Ok(format!("{page}?done={key}"));
    let outcome: Result<String, AppError> = async {
        match action.as_str() {
            "default" => portals.make_default(&portal, ip, profile(&field("id"))?).await.and(done("default")),
            "remove" => portals.remove(&portal, ip, profile(&field("id"))?).await.and(done("removed")),
            "cancel" => {
                portals.cancel_at_period_end(&portal, ip, subscription(&field("id"))?, true).await.and(done("canceled"))
            }
            "keep" => {
                portals.cancel_at_period_end(&portal, ip, subscription(&field("id"))?, false).await.and(done("kept"))
            }
            "renew-on" => {
                let (sub, method) = (subscription(&field("id"))?, profile(&field("method"))?);
                portals.renew_on(&portal, ip, sub, method).await.and(done("renew_on"))
            }
            "language" => portals.choose_language(&portal, ip, field("locale")).await.and(done("language")),
            "add-card" => portals.add_card(&portal, ip).await.map(|s| format!("/pay/{}", s.client_secret)),
            "pay-balance" => {
                portals.pay_balance(&portal, ip, field("currency")).await.map(|s| format!("/pay/{}", s.client_secret))
            }
            _ => Err(AppError::not_found(&["action"], "portal action")),
        }
    }
    .await;
    let location = match outcome {
        Ok(location) => location,
        Err(AppError::User(errors)) => {
            let code = errors.first().map_or("INVALID", |e| e.code.as_str());
            format!("{page}?error={code}")
        }
        Err(error) => return fault(&state, text, &error),
    };
    super::see_other(&state, &location)
}

fn action_unknown(action: &str) -> bool {
    !["default", "remove", "cancel", "keep", "renew-on", "language", "add-card", "pay-balance"].contains(&action)
}

fn profile(id: &str) -> Result<ProfileId, AppError> {
    ProfileId::from_global(id).map_err(|_| AppError::not_found(&["id"], "payment profile"))
}

fn subscription(id: &str) -> Result<SubscriptionId, AppError> {
    SubscriptionId::from_global(id).map_err(|_| AppError::not_found(&["id"], "subscription"))
}

/// Whether the browser says another site sent this form. `Sec-Fetch-Site`, which no page
/// can set, decides when present; else `Origin` (a form posted from a page that sends no
/// referrer says `Origin: null`, so `null` alone does not pass). A client that sends neither
/// is no browser another site could drive.
fn from_another_site(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let ours = origin_of(&state.services.public_url);
    headers.get(ORIGIN).is_some_and(|o| o.to_str().map_or(true, |o| o != ours))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => &url[..after_scheme + path],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_url_up_to_its_path() {
        assert_eq!(origin_of("https://pay.example.com/base"), "https://pay.example.com");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn codes_shown_are_catalog_key_tails() {
        assert!(is_code("PAYMENT_METHOD_IN_USE"));
        assert!(!is_code("<script>"));
        assert!(!is_code(&"A".repeat(41)));
    }
}
