//! The hosted pages' HTML, rendered on the server with every value escaped. The page's script
//! reads its data from a JSON block (never executed), so the Content-Security-Policy can
//! forbid inline script entirely.

use std::fmt::Write;

use serde_json::json;

use super::text::Text;
use crate::domain::{Money, PaymentMethodType, SessionPurpose};
use crate::service::hosted::HostedView;

/// Escapes text for an HTML element or a quoted attribute.
/// What was given back of the payment, shown under the completed panel: the customer sees
/// a refund as soon as it is made, and whether it went through.
fn refunds(body: &mut String, text: Text, refunds: &[crate::domain::refund::Refund]) {
    if refunds.is_empty() {
        return;
    }
    let title = escape(text.get("refunds.title"));
    let _ = write!(body, r#"<section class="panel refunds" data-when="COMPLETED" hidden><h2>{title}</h2><ul>"#);
    for refund in refunds {
        let amount = text.locale.money(refund.amount);
        let line = text.with(&format!("refunds.{}", refund.status.as_str()), &[("amount", &amount)]);
        let _ = write!(body, "<li>{}</li>", escape(&line));
    }
    let _ = write!(body, "</ul></section>");
}

/// A held payment's state, shown under the completed panel: held until the merchant takes
/// it, or what was taken and released.
fn hold(body: &mut String, text: Text, payment: Option<&crate::domain::payment::Payment>) {
    use crate::domain::PaymentStatus;
    let Some(payment) = payment else { return };
    let currency = payment.amount.currency();
    let money = |m: Money| text.locale.money(m);
    let amount = money(payment.amount);
    let released = Money::from_stored(payment.amount.amount() - payment.amount_captured.amount(), currency);
    let line = match payment.status {
        PaymentStatus::Authorized => match payment.capture_before {
            Some(at) => text.with("hold.until", &[("amount", &amount), ("until", &text.locale.date_time(at))]),
            None => text.with("hold.held", &[("amount", &amount)]),
        },
        PaymentStatus::Succeeded if released.amount() > 0 => {
            text.with("hold.partly", &[("captured", &money(payment.amount_captured)), ("released", &money(released))])
        }
        PaymentStatus::Succeeded => text.with("hold.charged", &[("amount", &amount)]),
        PaymentStatus::Voided => text.with("hold.voided", &[("amount", &amount)]),
        _ => return,
    };
    let _ =
        write!(body, r#"<section class="panel hold" data-when="COMPLETED" hidden><p>{}</p></section>"#, escape(&line));
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `title`, the stylesheets and scripts (served by paygraph) and `body`.
pub fn document(text: Text, title: &str, extra_css: Option<&str>, script: Option<&str>, body: &str) -> String {
    let mut head = String::new();
    let _ = write!(head, r#"<link rel="stylesheet" href="/assets/pay.css">"#);
    if let Some(css) = extra_css {
        let _ = write!(head, r#"<link rel="stylesheet" href="{}">"#, escape(css));
    }
    if let Some(js) = script {
        let _ = write!(head, r#"<script src="{}" defer></script>"#, escape(js));
    }
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{}</title>
{head}
</head>
<body>
{body}
</body>
</html>
"#,
        escape(title),
        lang = text.locale.as_str()
    )
}

/// A page with one message and nothing else (unknown links and sessions, used-up links):
/// the catalog's `{key}_title` and `{key}`.
pub fn notice(text: Text, key: &str) -> String {
    let title = text.get(&format!("{key}_title"));
    let body =
        format!(r#"<main class="card notice"><h1>{}</h1><p>{}</p></main>"#, escape(title), escape(text.get(key)));
    document(text, title, None, None, &body)
}

/// The payment page of one session. `graphql_path`, `ws_path` and `vault_path` are where its
/// script talks to paygraph (same origin).
pub fn payment_page(view: &HostedView, text: Text, secret: &str, session_global_id: &str) -> String {
    let session = &view.session;
    let amount = session.amount.map(|m| text.locale.money(m));
    let methods = &session.allowed_methods;
    let allows = |m: PaymentMethodType| methods.contains(&m);
    let merchant = &view.merchant;

    let mut body = String::new();
    let _ = write!(body, r#"<main class="card" id="page" data-status="{}">"#, escape(session.status.as_str()));
    let _ = write!(body, r#"<header class="merchant">"#);
    if let Some(logo) = &merchant.logo_url {
        let _ = write!(body, r#"<img class="logo" src="{}" alt="">"#, escape(logo));
    }
    let _ = write!(body, r#"<span class="merchant-name">{}</span></header>"#, escape(&merchant.name));

    let _ = write!(body, r#"<section class="summary" aria-label="{}">"#, escape(text.get("summary")));
    let purpose = text.get(&format!("purpose.{}", session.purpose.as_str()));
    let _ = write!(body, r#"<p class="purpose">{}</p>"#, escape(purpose));
    if let Some(amount) = &amount {
        let _ = write!(body, r#"<p class="amount" id="amount">{}</p>"#, escape(amount));
    }
    if !view.items.is_empty()
        && let Some(currency) = session.amount.map(|m| m.currency())
    {
        let _ = write!(body, r#"<ul class="items">"#);
        for item in &view.items {
            let total = Money::from_stored(item.unit_amount.saturating_mul(i64::from(item.quantity)), currency);
            let _ = write!(
                body,
                r#"<li><span>{} × {}</span><span>{}</span></li>"#,
                item.quantity,
                escape(&item.name),
                escape(&text.locale.money(total))
            );
        }
        let _ = write!(body, "</ul>");
    }
    let expires = text.with("expires_at", &[("time", &text.locale.time(session.expires_at))]);
    let _ = write!(
        body,
        r#"<p class="expiry" id="expiry" data-expires-at="{}">{}</p>"#,
        session.expires_at.to_rfc3339(),
        escape(&expires)
    );
    let _ = write!(body, "</section>");

    // One panel per state; the script shows the one matching the session's status.
    let _ = write!(body, r#"<section class="panel" data-when="OPEN">"#);
    let _ = write!(body, r#"<p class="error" id="error" role="alert" hidden></p>"#);
    let setup = session.purpose == SessionPurpose::Setup;
    if allows(PaymentMethodType::Card) {
        // A SETUP session charges nothing: its button says what it does.
        let label = if setup { "card.save" } else { "card.pay" };
        body.push_str(&filled(CARD_FORM, text, &[("pay_label", label)]));
    }
    if allows(PaymentMethodType::Wallet) {
        body.push_str(&filled(WALLET_BUTTONS, text, &[]));
    }
    if allows(PaymentMethodType::BankTransfer) {
        body.push_str(&filled(BANK_FORM, text, &[]));
    }
    let _ = write!(body, "</section>");
    let done = if setup { "state.done_setup" } else { "state.done_pay" };
    body.push_str(&filled(STATE_PANELS, text, &[("done_title", done)]));
    hold(&mut body, text, view.held.as_ref());
    refunds(&mut body, text, &view.refunds);
    let _ = write!(body, "</main>");

    let data = json!({
        "id": session_global_id,
        "clientSecret": secret,
        "status": session.status,
        "version": session.version,
        "successUrl": session.success_url,
        "expiresAt": session.expires_at.to_rfc3339(),
        "text": text.script(),
    });
    // `</` inside the JSON would end the script element; `<\/` is the same JSON string.
    let data = data.to_string().replace("</", "<\\/");
    let _ = write!(body, r#"<script type="application/json" id="session-data">{data}</script>"#);
    let title = text.with("title.pay", &[("merchant", &merchant.name)]);
    document(text, &title, Some(&format!("/pay/{secret}/theme.css")), Some("/assets/pay.js"), &body)
}

/// `template` with each `{catalog.key}` replaced by its escaped text; `slots` name the keys
/// of the template's own `{slot}`s.
fn filled(template: &str, text: Text, slots: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (slot, key) in slots {
        out = out.replace(&format!("{{{slot}}}"), &escape(text.get(key)));
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        let key = &rest[start + 1..start + len];
        result.push_str(&rest[..start]);
        if key.contains('.') && !key.contains(' ') {
            result.push_str(&escape(text.get(key)));
        } else {
            result.push_str(&rest[start..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    result.push_str(rest);
    result
}

/// What a test challenge authenticates: a payment, or a SETUP session's card (global ids).
pub enum Challenge {
    Payment(String),
    Setup(String),
}

/// The test-mode 3-D Secure challenge: the customer's bank would show this.
pub fn challenge_page(view: &HostedView, text: Text, secret: &str, challenge: Challenge) -> String {
    let (payment, session) = match challenge {
        Challenge::Payment(id) => (Some(id), None),
        Challenge::Setup(id) => (None, Some(id)),
    };
    let data = json!({ "clientSecret": secret, "paymentId": payment, "paymentSessionId": session,
                       "returnTo": format!("/pay/{secret}"), "text": text.script() });
    let data = data.to_string().replace("</", "<\\/");
    let body = format!(
        r#"<main class="card challenge" id="page">
<header class="merchant"><span class="merchant-name">{}</span></header>
<p>{}</p>
<p class="error" id="error" role="alert" hidden></p>
<div class="actions">
<button type="button" id="pass" class="primary">{}</button>
<button type="button" id="fail" class="secondary">{}</button>
</div>
</main>
<script type="application/json" id="challenge-data">{data}</script>"#,
        escape(text.get("challenge.bank")),
        escape(&text.with("challenge.ask", &[("merchant", &view.merchant.name)])),
        escape(text.get("challenge.pass")),
        escape(text.get("challenge.fail")),
    );
    let title = text.get("challenge.title");
    document(text, title, Some(&format!("/pay/{secret}/theme.css")), Some("/assets/challenge.js"), &body)
}

const CARD_FORM: &str = r##"<form id="card-form" class="method" novalidate>
<h2>{card.title}</h2>
<label for="card-number">{card.number} <span class="brand" id="card-brand" aria-live="polite"></span></label>
<input id="card-number" name="number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required>
<p class="hint" id="card-number-hint" aria-live="polite"></p>
<div class="row">
<div><label for="card-expiry">{card.expiry}</label>
<input id="card-expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" required>
<p class="hint" id="card-expiry-hint" aria-live="polite"></p></div>
<div><label for="card-cvc">{card.cvc}</label>
<input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" required>
<p class="hint" id="card-cvc-hint" aria-live="polite"></p></div>
</div>
<button type="submit" id="pay-card" class="primary">{pay_label}</button>
</form>"##;

const WALLET_BUTTONS: &str = r##"<div class="method" id="wallets">
<h2>{wallet.title}</h2>
<p class="hint">{wallet.hint}</p>
<button type="button" class="wallet" id="pay-apple" data-wallet="APPLE_PAY" data-token="applepay_test_visa">{wallet.apple}</button>
<button type="button" class="wallet" id="pay-google" data-wallet="GOOGLE_PAY" data-token="googlepay_test_visa">{wallet.google}</button>
</div>"##;

const BANK_FORM: &str = r##"<form id="bank-form" class="method" novalidate>
<h2>{bank.title}</h2>
<label for="iban">{bank.iban}</label>
<input id="iban" name="iban" autocomplete="off" placeholder="DE89 3704 0044 0532 0130 00" required>
<p class="hint" id="iban-hint" aria-live="polite"></p>
<button type="submit" id="pay-bank" class="primary">{bank.pay}</button>
</form>"##;

const STATE_PANELS: &str = r##"<section class="panel" data-when="PROCESSING" hidden><h2>{state.processing_title}</h2>
<p id="processing-text">{state.processing}</p></section>
<section class="panel" data-when="REQUIRES_ACTION" hidden><h2>{state.action_title}</h2>
<p>{state.action}</p><p><a id="challenge-link" href="#">{state.action_link}</a></p></section>
<section class="panel final" data-when="COMPLETED" hidden><h2>{done_title}</h2><p>{state.done}</p>
<p id="redirect-note" hidden>{state.redirect}</p></section>
<section class="panel final" data-when="CANCELED" hidden><h2>{state.canceled_title}</h2><p>{state.canceled}</p></section>
<section class="panel final" data-when="EXPIRED" hidden><h2>{state.expired_title}</h2><p>{state.expired}</p></section>
<section class="panel final" data-when="FAILED" hidden><h2>{state.failed_title}</h2><p>{state.failed}</p></section>"##;

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
