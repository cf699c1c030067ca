//! The hosted pages' HTML, rendered on the server with every value escaped. The page's script
//! reads its data from a JSON block (never executed), so the Content-Security-Policy can
//! forbid inline script entirely.

use std::fmt::Write;

use serde_json::json;

use crate::domain::{Money, PaymentMethodType, SessionPurpose};
use crate::service::hosted::HostedView;

/// Escapes text for an HTML element or a quoted attribute.
/// What was given back of the payment, shown under the completed panel: the customer sees
/// a refund as soon as it is made, and whether it went through.
fn refunds(body: &mut String, refunds: &[crate::domain::refund::Refund]) {
    use crate::domain::refund::RefundStatus;
    if refunds.is_empty() {
        return;
    }
    let _ = write!(body, r#"<section class="panel refunds" data-when="COMPLETED" hidden><h2>Refunds</h2><ul>"#);
    for refund in refunds {
        let state = match refund.status {
            RefundStatus::Pending => "on its way",
            RefundStatus::Succeeded => "refunded",
            RefundStatus::Failed => "could not be refunded",
        };
        let _ = write!(body, "<li>{} {state}</li>", escape(&refund.amount.formatted()));
    }
    let _ = write!(body, "</ul></section>");
}

/// A held payment's state, shown under the completed panel: held until the merchant takes
/// it, or what was taken and released.
fn hold(body: &mut String, payment: Option<&crate::domain::payment::Payment>) {
    use crate::domain::PaymentStatus;
    let Some(payment) = payment else { return };
    let currency = payment.amount.currency();
    let released = Money::from_stored(payment.amount.amount() - payment.amount_captured, currency);
    let line = match payment.status {
        PaymentStatus::Authorized => {
            let until = payment.capture_before.map(|at| format!(" until {} UTC", at.format("%Y-%m-%d %H:%M")));
            format!(
                "{} is held on your card{}: you are charged when the merchant takes it",
                payment.amount.formatted(),
                until.unwrap_or_default()
            )
        }
        PaymentStatus::Succeeded if released.amount() > 0 => format!(
            "{} charged; {} of the hold released",
            Money::from_stored(payment.amount_captured, currency).formatted(),
            released.formatted()
        ),
        PaymentStatus::Succeeded => format!("{} charged", payment.amount.formatted()),
        PaymentStatus::Voided => format!("{} hold released: nothing was charged", payment.amount.formatted()),
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
pub fn document(title: &str, extra_css: Option<&str>, script: Option<&str>, body: &str) -> String {
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
<html lang="en">
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
        escape(title)
    )
}

/// A page with one message and nothing else: unknown links and sessions, used-up links.
pub fn notice(title: &str, message: &str) -> String {
    let body = format!(r#"<main class="card notice"><h1>{}</h1><p>{}</p></main>"#, escape(title), escape(message));
    document(title, None, None, &body)
}

fn purpose_label(purpose: SessionPurpose) -> &'static str {
    match purpose {
        SessionPurpose::Checkout => "Order",
        SessionPurpose::Payment => "Payment",
        SessionPurpose::BalanceTopUp => "Balance top-up",
        SessionPurpose::OutstandingBalance => "Outstanding balance",
        SessionPurpose::Subscription => "Subscription",
        SessionPurpose::Setup => "Save a payment method",
    }
}

/// The payment page of one session. `graphql_path`, `ws_path` and `vault_path` are where its
/// script talks to paygraph (same origin).
pub fn payment_page(view: &HostedView, secret: &str, session_global_id: &str) -> String {
    let session = &view.session;
    let amount = session.amount.map(Money::formatted);
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

    let _ = write!(body, r#"<section class="summary" aria-label="What you pay">"#);
    let _ = write!(body, r#"<p class="purpose">{}</p>"#, purpose_label(session.purpose));
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
                escape(&total.formatted())
            );
        }
        let _ = write!(body, "</ul>");
    }
    let _ = write!(
        body,
        r#"<p class="expiry" id="expiry" data-expires-at="{}">Expires at {} UTC</p>"#,
        session.expires_at.to_rfc3339(),
        session.expires_at.format("%H:%M")
    );
    let _ = write!(body, "</section>");

    // One panel per state; the script shows the one matching the session's status.
    let _ = write!(body, r#"<section class="panel" data-when="OPEN">"#);
    let _ = write!(body, r#"<p class="error" id="error" role="alert" hidden></p>"#);
    if allows(PaymentMethodType::Card) {
        // A SETUP session charges nothing: its button says what it does.
        let label = if session.purpose == SessionPurpose::Setup { "Save card" } else { "Pay" };
        body.push_str(&CARD_FORM.replace("{pay_label}", label));
    }
    if allows(PaymentMethodType::Wallet) {
        body.push_str(WALLET_BUTTONS);
    }
    if allows(PaymentMethodType::BankTransfer) {
        body.push_str(BANK_FORM);
    }
    let _ = write!(body, "</section>");
    let done = if session.purpose == SessionPurpose::Setup { "Card saved" } else { "Payment complete" };
    body.push_str(&STATE_PANELS.replace("{done_title}", done));
    hold(&mut body, view.held.as_ref());
    refunds(&mut body, &view.refunds);
    let _ = write!(body, "</main>");

    let data = json!({
        "id": session_global_id,
        "clientSecret": secret,
        "status": session.status,
        "version": session.version,
        "successUrl": session.success_url,
        "expiresAt": session.expires_at.to_rfc3339(),
    });
    // `</` inside the JSON would end the script element; `<\/` is the same JSON string.
    let data = data.to_string().replace("</", "<\\/");
    let _ = write!(body, r#"<script type="application/json" id="session-data">{data}</script>"#);
    let title = format!("Pay {}", merchant.name);
    document(&title, Some(&format!("/pay/{secret}/theme.css")), Some("/assets/pay.js"), &body)
}

/// The test-mode 3-D Secure challenge: the customer's bank would show this.
pub fn challenge_page(view: &HostedView, secret: &str, payment_global_id: &str) -> String {
    let data = json!({ "clientSecret": secret, "paymentId": payment_global_id, "returnTo": format!("/pay/{secret}") });
    let data = data.to_string().replace("</", "<\\/");
    let body = format!(
        r#"<main class="card challenge" id="page">
<header class="merchant"><span class="merchant-name">Test bank · 3-D Secure</span></header>
<p>{} asks you to confirm this payment. This is a test-mode challenge: choose its outcome.</p>
<p class="error" id="error" role="alert" hidden></p>
<div class="actions">
<button type="button" id="pass" class="primary">Complete authentication</button>
<button type="button" id="fail" class="secondary">Fail authentication</button>
</div>
</main>
<script type="application/json" id="challenge-data">{data}</script>"#,
        escape(&view.merchant.name)
    );
    document("3-D Secure challenge", Some(&format!("/pay/{secret}/theme.css")), Some("/assets/challenge.js"), &body)
}

const CARD_FORM: &str = r##"<form id="card-form" class="method" novalidate>
<h2>Card</h2>
<label for="card-number">Card number <span class="brand" id="card-brand" aria-live="polite"></span></label>
<input id="card-number" name="number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required>
<p class="hint" id="card-number-hint" aria-live="polite"></p>
<div class="row">
<div><label for="card-expiry">Expiry (MM/YY)</label>
<input id="card-expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" required>
<p class="hint" id="card-expiry-hint" aria-live="polite"></p></div>
<div><label for="card-cvc">Security code</label>
<input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" required>
<p class="hint" id="card-cvc-hint" aria-live="polite"></p></div>
</div>
<button type="submit" id="pay-card" class="primary">{pay_label}</button>
</form>"##;

const WALLET_BUTTONS: &str = r##"<div class="method" id="wallets">
<h2>Wallet</h2>
<p class="hint">Test mode: these buttons pay with the wallets' test cards.</p>
<button type="button" class="wallet" id="pay-apple" data-wallet="APPLE_PAY" data-token="applepay_test_visa">Pay with Apple Pay (test)</button>
<button type="button" class="wallet" id="pay-google" data-wallet="GOOGLE_PAY" data-token="googlepay_test_visa">Pay with Google Pay (test)</button>
</div>"##;

const BANK_FORM: &str = r##"<form id="bank-form" class="method" novalidate>
<h2>Bank transfer</h2>
<label for="iban">IBAN</label>
<input id="iban" name="iban" autocomplete="off" placeholder="DE89 3704 0044 0532 0130 00" required>
<p class="hint" id="iban-hint" aria-live="polite"></p>
<button type="submit" id="pay-bank" class="primary">Pay by bank transfer</button>
</form>"##;

const STATE_PANELS: &str = r##"<section class="panel" data-when="PROCESSING" hidden><h2>Processing…</h2>
<p id="processing-text">Your payment is being processed.</p></section>
<section class="panel" data-when="REQUIRES_ACTION" hidden><h2>Confirm with your bank</h2>
<p>Your bank asks you to confirm this payment.</p><p><a id="challenge-link" href="#">Continue to your bank</a></p></section>
<section class="panel final" data-when="COMPLETED" hidden><h2>{done_title}</h2><p>Thank you. You can close this page.</p>
<p id="redirect-note" hidden>Taking you back to the merchant…</p></section>
<section class="panel final" data-when="CANCELED" hidden><h2>Payment canceled</h2><p>The merchant canceled this payment. Nothing was charged.</p></section>
<section class="panel final" data-when="EXPIRED" hidden><h2>This payment has expired</h2><p>Nothing was charged. Ask the merchant for a new link.</p></section>
<section class="panel final" data-when="FAILED" hidden><h2>Payment failed</h2><p>Too many attempts failed. Nothing was charged.</p></section>"##;

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
