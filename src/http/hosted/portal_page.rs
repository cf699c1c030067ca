//! The customer portal's HTML: rendered whole on the server, every value escaped. Each
//! action is a plain form (it works without the script); the script only swaps the answer
//! in without a reload and follows the live stream.

use std::fmt::Write;

use super::page::{document, escape};
use super::text::Text;
use crate::domain::card::CardBrand;
use crate::domain::locale::Locale;
use crate::domain::payment::{MethodSummary, Payment};
use crate::domain::profile::PaymentProfile;
use crate::domain::refund::Refund;
use crate::domain::refund::RefundStatus;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::{Subscription, SubscriptionStatus};
use crate::domain::{PaymentStatus, TypedId};
use crate::service::portal::PortalView;

/// What the page says on top of the lists: a change done, or why one was not.
pub enum Flash<'a> {
    None,
    Done(&'a str),
    Error(&'a str),
}

/// The portal page. `confirm_removal` is the method the customer asked to remove, shown
/// with the question before anything is removed.
pub fn portal_page(view: &PortalView, text: Text, secret: &str, flash: Flash, confirm_removal: Option<&str>) -> String {
    let base = format!("/portal/{secret}");
    let merchant = &view.merchant;
    let mut body = String::new();
    let _ = write!(body, r#"<main class="card portal" id="portal" data-live="{base}/live">"#);
    let _ = write!(body, r#"<header class="merchant">"#);
    if let Some(logo) = &merchant.logo_url {
        let _ = write!(body, r#"<img class="logo" src="{}" alt="">"#, escape(logo));
    }
    let _ = write!(body, r#"<span class="merchant-name">{}</span></header>"#, escape(&merchant.name));
    let _ = write!(body, "<h1>{}</h1>", escape(&text.with("portal.heading", &[("merchant", &merchant.name)])));
    match flash {
        Flash::None => {}
        Flash::Done(key) => {
            let line = text.get(&format!("portal.done.{key}"));
            let _ = write!(body, r#"<p class="done" role="status" tabindex="-1" data-focus>{}</p>"#, escape(line));
        }
        Flash::Error(code) => {
            let key = format!("portal.error.{code}");
            let line = if text.get(&key).is_empty() { text.get("portal.error.default") } else { text.get(&key) };
            let _ = write!(body, r#"<p class="error" role="alert" tabindex="-1" data-focus>{}</p>"#, escape(line));
        }
    }
    methods(&mut body, view, text, &base, confirm_removal);
    subscriptions(&mut body, view, text, &base);
    balance(&mut body, view, text, &base);
    payments(&mut body, view, text, &base);
    language(&mut body, text, &base);
    if let Some(back) = &view.portal.return_url {
        let label = text.with("portal.back", &[("merchant", &merchant.name)]);
        let _ = write!(body, r#"<p class="back"><a href="{}">{}</a></p>"#, escape(back), escape(&label));
    }
    let _ = write!(body, "</main>");
    let title = text.with("portal.title", &[("merchant", &merchant.name)]);
    document(text, &title, Some(&format!("{base}/theme.css")), Some("/assets/portal.js"), &body)
}

/// "Visa ending in 1881": a brand stored by its code (`visa`) is shown by its name.
fn method_name(text: Text, brand: &str, last4: &str) -> String {
    let named = brand.parse::<CardBrand>().ok().map(CardBrand::display_name);
    let brand = named.unwrap_or(brand);
    text.with("portal.method_card", &[("brand", brand), ("last4", last4)])
}

fn profile_name(text: Text, profile: &PaymentProfile) -> String {
    method_name(text, profile.brand.as_deref().unwrap_or_default(), profile.last4.as_deref().unwrap_or_default())
}

/// A button that posts `fields` to `{base}/{action}`.
fn action(base: &str, action: &str, fields: &[(&str, &str)], label: &str, class: &str, leaves: bool) -> String {
    let mut form =
        format!(r#"<form method="post" action="{base}/{action}"{}>"#, if leaves { " data-leave" } else { "" });
    for (name, value) in fields {
        let _ = write!(form, r#"<input type="hidden" name="{name}" value="{}">"#, escape(value));
    }
    let _ = write!(form, r#"<button type="submit" class="{class}">{}</button></form>"#, escape(label));
    form
}

fn methods(body: &mut String, view: &PortalView, text: Text, base: &str, confirm_removal: Option<&str>) {
    let _ = write!(
        body,
        r#"<section aria-labelledby="methods-title"><h2 id="methods-title">{}</h2>"#,
        escape(text.get("portal.methods"))
    );
    if view.profiles.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, escape(text.get("portal.methods_none")));
    }
    let _ = write!(body, r#"<ul class="list" id="methods">"#);
    for profile in &view.profiles {
        let id = profile.id.to_global();
        let name = profile_name(text, profile);
        let _ = write!(body, r#"<li data-method="{}"><div class="line"><span>{}</span>"#, escape(&id), escape(&name));
        if profile.is_default {
            let _ = write!(body, r#" <span class="badge">{}</span>"#, escape(text.get("portal.default")));
        }
        if let (Some(month), Some(year)) = (profile.exp_month, profile.exp_year) {
            let expiry =
                text.with("portal.method_expires", &[("month", &format!("{month:02}")), ("year", &year.to_string())]);
            let _ = write!(body, r#"<span class="muted">{}</span>"#, escape(&expiry));
        }
        let _ = write!(body, r#"</div><div class="actions">"#);
        if !profile.is_default {
            body.push_str(&action(base, "default", &[("id", &id)], text.get("portal.make_default"), "small", false));
        }
        let ask = format!("{base}?remove={}#confirm-removal", escape(&id));
        let _ = write!(
            body,
            r#"<a class="button small" href="{ask}" data-stay>{}</a></div>"#,
            escape(text.get("portal.remove"))
        );
        if confirm_removal == Some(id.as_str()) {
            let question = text.with("portal.remove_ask", &[("method", &name)]);
            let _ = write!(
                body,
                r#"<div class="confirm" id="confirm-removal" role="group" aria-labelledby="confirm-text"><p id="confirm-text" tabindex="-1" data-focus>{}</p>"#,
                escape(&question)
            );
            body.push_str(&action(
                base,
                "remove",
                &[("id", &id)],
                text.get("portal.remove_yes"),
                "small danger",
                false,
            ));
            let _ = write!(
                body,
                r#"<a class="button small" href="{base}" data-stay>{}</a></div>"#,
                escape(text.get("portal.remove_no"))
            );
        }
        let _ = write!(body, "</li>");
    }
    let _ = write!(body, "</ul>");
    body.push_str(&action(base, "add-card", &[], text.get("portal.add_card"), "secondary", true));
    let _ = write!(body, "</section>");
}

fn subscriptions(body: &mut String, view: &PortalView, text: Text, base: &str) {
    let _ = write!(
        body,
        r#"<section aria-labelledby="subscriptions-title"><h2 id="subscriptions-title">{}</h2>"#,
        escape(text.get("portal.subscriptions"))
    );
    if view.subscriptions.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, escape(text.get("portal.subscriptions_none")));
    }
    let _ = write!(body, r#"<ul class="list" id="subscriptions">"#);
    for sub in &view.subscriptions {
        subscription(body, view, text, base, sub);
    }
    let _ = write!(body, "</ul></section>");
}

fn subscription(body: &mut String, view: &PortalView, text: Text, base: &str, sub: &Subscription) {
    let id = sub.id.to_global();
    let interval = sub.interval.as_str();
    let every = match sub.interval_count {
        1 => text.get(&format!("portal.every.{interval}")).to_owned(),
        n => text.with(&format!("portal.every_n.{interval}"), &[("count", &n.to_string())]),
    };
    let price = text.with("portal.sub_price", &[("amount", &text.locale.money(sub.price)), ("every", &every)]);
    let status = text.get(&format!("portal.sub_status.{}", sub.status.as_str()));
    let _ = write!(
        body,
        r#"<li data-subscription="{}" data-status="{}"><div class="line"><span>{}</span> <span class="badge">{}</span>"#,
        escape(&id),
        sub.status.as_str(),
        escape(&price),
        escape(status)
    );
    let running = matches!(sub.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue);
    if let (true, Some(end)) = (running, sub.current_period_end) {
        let key = if sub.cancel_at_period_end { "portal.sub_ends" } else { "portal.sub_renews" };
        let _ = write!(
            body,
            r#"<span class="muted" data-cancel-at-period-end="{}">{}</span>"#,
            sub.cancel_at_period_end,
            escape(&text.with(key, &[("date", &text.locale.date(end))]))
        );
    }
    let _ = write!(body, "</div>");
    if running && !view.profiles.is_empty() {
        // The method it renews on: its own, else the customer's default.
        let renews_on = sub.default_profile.or_else(|| view.profiles.iter().find(|p| p.is_default).map(|p| p.id));
        let select = format!("renew-{}", escape(&id));
        let _ = write!(
            body,
            r#"<form method="post" action="{base}/renew-on" class="inline"><input type="hidden" name="id" value="{}"><label for="{select}">{}</label><select id="{select}" name="method">"#,
            escape(&id),
            escape(text.get("portal.sub_renews_with"))
        );
        for profile in &view.profiles {
            let selected = if Some(profile.id) == renews_on { " selected" } else { "" };
            let _ = write!(
                body,
                r#"<option value="{}"{selected}>{}</option>"#,
                escape(&profile.id.to_global()),
                escape(&profile_name(text, profile))
            );
        }
        let _ = write!(
            body,
            r#"</select><button type="submit" class="small">{}</button></form>"#,
            escape(text.get("portal.sub_change_method"))
        );
    }
    let _ = write!(body, r#"<div class="actions">"#);
    if sub.status == SubscriptionStatus::Active && sub.cancel_at_period_end {
        body.push_str(&action(base, "keep", &[("id", &id)], text.get("portal.sub_keep"), "small", false));
    } else if sub.status == SubscriptionStatus::Active {
        body.push_str(&action(base, "cancel", &[("id", &id)], text.get("portal.sub_cancel"), "small", false));
    }
    let _ = write!(body, "</div></li>");
}

fn balance(body: &mut String, view: &PortalView, text: Text, base: &str) {
    let _ = write!(
        body,
        r#"<section aria-labelledby="balance-title" id="balance"><h2 id="balance-title">{}</h2>"#,
        escape(text.get("portal.balance"))
    );
    if view.owed.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, escape(text.get("portal.balance_none")));
    }
    for owed in &view.owed {
        let line = text.with("portal.balance_owed", &[("amount", &text.locale.money(*owed))]);
        let _ =
            write!(body, r#"<div class="line" data-owed="{}"><span>{}</span>"#, owed.currency().code(), escape(&line));
        body.push_str(&action(
            base,
            "pay-balance",
            &[("currency", owed.currency().code())],
            text.get("portal.pay_now"),
            "small primary",
            true,
        ));
        let _ = write!(body, "</div>");
    }
    let _ = write!(body, "</section>");
}

fn payments(body: &mut String, view: &PortalView, text: Text, base: &str) {
    let _ = write!(
        body,
        r#"<section aria-labelledby="payments-title"><h2 id="payments-title">{}</h2>"#,
        escape(text.get("portal.payments"))
    );
    if view.payments.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, escape(text.get("portal.payments_none")));
    }
    let _ = write!(body, r#"<ul class="list" id="payments">"#);
    for (payment, refunds) in &view.payments {
        let id = payment.id.to_global();
        let status = text.get(&format!("portal.payment_status.{}", payment.status.as_str()));
        let _ = write!(
            body,
            r#"<li data-payment="{}"><div class="line"><span>{}</span><span>{}</span> <span class="badge">{}</span></div>"#,
            escape(&id),
            escape(&text.locale.date(payment.created_at)),
            escape(&text.locale.money(payment.amount)),
            escape(status)
        );
        for line in refund_lines(text, refunds) {
            let _ = write!(body, r#"<p class="muted">{}</p>"#, escape(&line));
        }
        let _ = write!(
            body,
            r#"<a href="{base}/receipts/{}">{}</a></li>"#,
            escape(&id),
            escape(text.get("portal.receipt"))
        );
    }
    let _ = write!(body, "</ul></section>");
}

fn refund_lines(text: Text, refunds: &[Refund]) -> Vec<String> {
    refunds
        .iter()
        .filter(|r| r.status != RefundStatus::Failed)
        .map(|r| text.with(&format!("refunds.{}", r.status.as_str()), &[("amount", &text.locale.money(r.amount))]))
        .collect()
}

fn language(body: &mut String, text: Text, base: &str) {
    let _ = write!(
        body,
        r#"<section aria-labelledby="language-title"><h2 id="language-title">{}</h2><form method="post" action="{base}/language" class="inline"><label for="language" class="visually-hidden">{}</label><select id="language" name="locale">"#,
        escape(text.get("portal.language")),
        escape(text.get("portal.language"))
    );
    for locale in Locale::ALL {
        let selected = if *locale == text.locale { " selected" } else { "" };
        let _ = write!(
            body,
            r#"<option value="{}" lang="{}"{selected}>{}</option>"#,
            locale.as_str(),
            locale.as_str(),
            locale.native_name()
        );
    }
    let _ = write!(
        body,
        r#"</select><button type="submit" class="small">{}</button></form></section>"#,
        escape(text.get("portal.language_save"))
    );
}

/// A printable receipt of one payment.
pub fn receipt_page(
    view_merchant: &crate::domain::merchant::Merchant,
    text: Text,
    secret: &str,
    payment: &Payment,
    refunds: &[Refund],
    session: &PaymentSession,
) -> String {
    let base = format!("/portal/{secret}");
    let title = text.with("portal.receipt_title", &[("merchant", &view_merchant.name)]);
    let method = match &payment.summary {
        MethodSummary::Card(card) | MethodSummary::Wallet(card) => method_name(text, &card.brand, &card.last4),
        MethodSummary::BankTransfer(bank) => text.with("portal.method_bank", &[("last4", &bank.last4)]),
    };
    let status = match payment.status {
        PaymentStatus::Succeeded | PaymentStatus::Authorized | PaymentStatus::Voided => {
            text.get(&format!("portal.payment_status.{}", payment.status.as_str()))
        }
        _ => "",
    };
    let purpose = text.get(&format!("purpose.{}", session.purpose.as_str()));
    let rows = [
        (text.get("portal.receipt_date"), text.locale.date_time(payment.created_at)),
        (text.get("portal.receipt_for"), purpose.to_owned()),
        (text.get("portal.receipt_amount"), text.locale.money(payment.amount)),
        (text.get("portal.receipt_method"), method),
        (text.get("portal.receipt_status"), status.to_owned()),
        (text.get("portal.receipt_number"), payment.id.to_global()),
    ];
    let mut body = format!(
        r#"<main class="card receipt" id="receipt"><header class="merchant"><span class="merchant-name">{}</span></header><h1>{}</h1><dl>"#,
        escape(&view_merchant.name),
        escape(&title)
    );
    for (label, value) in rows {
        let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(&value));
    }
    let _ = write!(body, "</dl>");
    let lines = refund_lines(text, refunds);
    if !lines.is_empty() {
        let _ = write!(body, "<h2>{}</h2><ul>", escape(text.get("portal.receipt_refunds")));
        for line in lines {
            let _ = write!(body, "<li>{}</li>", escape(&line));
        }
        let _ = write!(body, "</ul>");
    }
    let _ = write!(
        body,
        r#"<p class="no-print"><a href="{base}">{}</a></p></main>"#,
        escape(text.get("portal.receipt_back"))
    );
    document(text, &title, Some(&format!("{base}/theme.css")), None, &body)
}
