//! The hosted page's HTTP surface (headers, branding, 404s, the 3-D Secure URL) and payment
//! links (creation rules, one session per visit, the plain pages of unusable links). What the
//! page does in a browser is in `tests/e2e/` (see `browser.rs`).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::payments::{confirm, tokenize};
use crate::support::*;

const CREATE_LINK: &str = "mutation($input: CreatePaymentLinkInput!) { createPaymentLink(input: $input) {
    paymentLink { id url active amount { amount currency } lineItems { name quantity total { amount } }
                  maxCompletedPayments completedPayments }
    userErrors { field code message } } }";

const BRANDING: &str = "mutation($input: UpdateMerchantBrandingInput!) { updateMerchantBranding(input: $input) {
    merchant { name logoUrl accentColor } userErrors { field code } } }";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn create_link(app: &TestApp, input: Value) -> Value {
    app.gql(CREATE_LINK, json!({ "input": input })).await["data"]["createPaymentLink"].clone()
}

/// Visits a link and returns the status and the `Location` it redirects to.
async fn visit(url: &str) -> (u16, Option<String>, String) {
    let response = no_redirects().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

/// The session id the hosted page of `secret` embeds for its script.
async fn session_id_on_page(app: &TestApp, secret: &str) -> String {
    let page = app.client.get(format!("{}/pay/{secret}", app.address)).send().await.unwrap().text().await.unwrap();
    let start = page.find(r#"<script type="application/json" id="session-data">"#).unwrap();
    let json = &page[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    serde_json::from_str::<Value>(json).unwrap()["id"].as_str().unwrap().to_owned()
}

fn secret_of(location: &str) -> String {
    location.strip_prefix("/pay/").expect("a hosted page").to_owned()
}

#[tokio::test]
async fn the_hosted_page_is_branded_escaped_and_locked_down() {
    let app = spawn_app().await;
    let branded = app
        .gql(
            BRANDING,
            json!({ "input": { "name": "<b>Acme</b> & Co", "logoUrl": "https://cdn.example.com/logo.png",
                                "accentColor": "#0F766E" } }),
        )
        .await;
    assert_eq!(
        branded["data"]["updateMerchantBranding"]["merchant"],
        json!({ "name": "<b>Acme</b> & Co", "logoUrl": "https://cdn.example.com/logo.png", "accentColor": "#0f766e" })
    );
    let (_, secret) = app.create_payment_session(1234, "USD").await;
    let response = app.client.get(format!("{}/pay/{secret}", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let policy = header("content-security-policy");
    for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
        assert!(policy.contains(directive), "{directive} missing from {policy}");
    }
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer", "the page's URL carries the client secret");
    let page = response.text().await.unwrap();
    assert!(page.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; Co"), "the name is escaped");
    assert!(!page.contains("<b>Acme"), "no merchant markup reaches the page");
    assert!(page.contains("$12.34"));
    assert!(page.contains(r#"src="https://cdn.example.com/logo.png""#));
    assert!(!page.contains("<script>"), "no inline script: the policy forbids it");

    let theme = app.client.get(format!("{}/pay/{secret}/theme.css", app.address)).send().await.unwrap();
    assert_eq!(theme.text().await.unwrap().trim(), ":root { --accent: #0f766e; }");

    for path in ["/pay/pscs_nothing", "/pay/sk_test_x", "/pay/pscs_nothing/theme.css", "/assets/nothing.js"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().contains_key("content-security-policy"));
    }
}

#[tokio::test]
async fn branding_rejects_what_the_page_could_not_show_safely() {
    let app = spawn_app().await;
    for (input, field, code) in [
        (json!({ "logoUrl": "http://example.com/logo.png" }), "logoUrl", "INVALID"),
        (json!({ "accentColor": "red" }), "accentColor", "INVALID"),
        (json!({ "accentColor": "#fff;}body{" }), "accentColor", "INVALID"),
        (json!({ "name": "  " }), "name", "REQUIRED"),
    ] {
        let body = app.gql(BRANDING, json!({ "input": input })).await;
        let error = &body["data"]["updateMerchantBranding"]["userErrors"][0];
        assert_eq!((error["field"][1].as_str(), error["code"].as_str()), (Some(field), Some(code)), "{body}");
    }
    let merchant = app.gql("{ merchant { name logoUrl accentColor } }", json!({})).await;
    assert_eq!(merchant["data"]["merchant"], json!({ "name": "Test merchant", "logoUrl": null, "accentColor": null }));
}

#[tokio::test]
async fn a_3ds_next_action_points_at_paygraphs_challenge_page() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(2500, "EUR").await;
    let token = tokenize(&app, &secret, "4000002500003155").await;
    let input = json!({ "id": id, "paymentMethod": { "cardToken": token } });
    let body = app
        .gql_as(
            Some(&secret),
            "mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
                payment { id } nextAction { type url } } }",
            json!({ "input": input }),
        )
        .await;
    let confirmed = &body["data"]["confirmPaymentSession"];
    let url = format!("{}/pay/{secret}/challenge/{}", app.address, confirmed["payment"]["id"].as_str().unwrap());
    assert_eq!(confirmed["nextAction"], json!({ "type": "THREE_D_SECURE_CHALLENGE", "url": url }));

    let challenge = app.client.get(&url).send().await.unwrap();
    assert_eq!(challenge.status(), 200);
    assert!(challenge.text().await.unwrap().contains("Complete authentication"));
    let garbage = app.client.get(format!("{}/pay/{secret}/challenge/nope", app.address)).send().await.unwrap();
    assert_eq!(garbage.status(), 404);
}

#[tokio::test]
async fn payment_links_are_checked_when_created() {
    let app = spawn_app().await;
    for (input, field, code) in [
        (json!({ "currency": "EUR" }), "amount", "INVALID"),
        (
            json!({ "currency": "EUR", "amount": 100, "lineItems": [{ "name": "x", "unitAmount": 100 }] }),
            "amount",
            "INVALID",
        ),
        (json!({ "currency": "EUR", "amount": 0 }), "amount", "INVALID_AMOUNT"),
        (json!({ "currency": "EURO", "amount": 100 }), "currency", "UNKNOWN_CURRENCY"),
        (
            json!({ "currency": "EUR", "lineItems": [{ "name": "", "unitAmount": 100 }] }),
            "lineItems",
            "INVALID_LINE_ITEMS",
        ),
        (json!({ "currency": "EUR", "amount": 100, "maxCompletedPayments": 0 }), "maxCompletedPayments", "INVALID"),
        (json!({ "currency": "EUR", "amount": 100, "expiresAt": "2020-01-01T00:00:00Z" }), "expiresAt", "INVALID"),
    ] {
        let payload = create_link(&app, input.clone()).await;
        let error = &payload["userErrors"][0];
        assert_eq!(
            (error["field"][1].as_str(), error["code"].as_str()),
            (Some(field), Some(code)),
            "{input}: {payload}"
        );
    }
    let links = app.gql("{ paymentLinks { totalCount } }", json!({})).await;
    assert_eq!(links["data"]["paymentLinks"]["totalCount"], 0, "nothing was created");
}

#[tokio::test]
async fn each_visit_opens_a_session_until_the_link_is_used_up() {
    let app = spawn_app().await;
    let payload = create_link(&app, json!({ "currency": "EUR", "amount": 900, "maxCompletedPayments": 1 })).await;
    let link = &payload["paymentLink"];
    assert!(link["url"].as_str().unwrap().starts_with(&format!("{}/l/pl_", app.address)), "{payload}");

    let (status, first, _) = visit(link["url"].as_str().unwrap()).await;
    assert_eq!(status, 303);
    let (_, second, _) = visit(link["url"].as_str().unwrap()).await;
    let (first, second) = (secret_of(&first.unwrap()), secret_of(&second.unwrap()));
    assert_ne!(first, second);

    let sessions = app
        .gql(
            "query($id: ID!) { paymentLink(id: $id) { paymentSessions { nodes { id purpose amount { amount } } } } }",
            json!({ "id": link["id"] }),
        )
        .await;
    let nodes = sessions["data"]["paymentLink"]["paymentSessions"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().all(|n| n["purpose"] == "PAYMENT" && n["amount"]["amount"] == 900));
    // The first visitor pays; the link has taken what it allows.
    let (first_id, second_id) = (session_id_on_page(&app, &first).await, session_id_on_page(&app, &second).await);
    let token = tokenize(&app, &first, "4242424242424242").await;
    assert_eq!(confirm(&app, &first, &first_id, &token, None).await["paymentSession"]["status"], "COMPLETED");

    let counted =
        app.gql("query($id: ID!) { paymentLink(id: $id) { completedPayments } }", json!({ "id": link["id"] })).await;
    assert_eq!(counted["data"]["paymentLink"]["completedPayments"], 1);
    let (status, location, page) = visit(link["url"].as_str().unwrap()).await;
    assert_eq!((status, location), (410, None));
    assert!(page.contains("taken all the payments it allows"));
    // The second visitor's session, opened before, takes no more money either.
    let token = tokenize(&app, &second, "4242424242424242").await;
    let refused = confirm(&app, &second, &second_id, &token, None).await;
    assert_eq!(refused["userErrors"][0]["code"], "PAYMENT_LINK_UNAVAILABLE", "{refused}");

    let (status, _, _) = visit(&format!("{}/l/pl_nothing", app.address)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_expired_or_deactivated_link_opens_nothing() {
    let clock = Arc::new(TestClock::default());
    let app = spawn_app_on(clock.clone(), |_| {}).await;
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let payload = create_link(
        &app,
        json!({ "currency": "GBP", "expiresAt": soon,
                "lineItems": [{ "name": "Tea", "quantity": 3, "unitAmount": 250 }] }),
    )
    .await;
    let link = payload["paymentLink"].clone();
    assert_eq!(link["lineItems"], json!([{ "name": "Tea", "quantity": 3, "total": { "amount": 750 } }]));
    let (status, location, _) = visit(link["url"].as_str().unwrap()).await;
    assert_eq!(status, 303);
    let page = app.client.get(format!("{}{}", app.address, location.unwrap())).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("3 × Tea") && page.contains("£7.50"), "a line-item link opens an order");

    clock.advance(chrono::Duration::hours(2));
    let (status, _, page) = visit(link["url"].as_str().unwrap()).await;
    assert_eq!(status, 410);
    assert!(page.contains("This payment link has expired."));

    let fresh = create_link(&app, json!({ "currency": "GBP", "amount": 100 })).await["paymentLink"].clone();
    let body = app
        .gql(
            "mutation($id: ID!) { deactivatePaymentLink(input: {id: $id}) { paymentLink { active } userErrors { code } } }",
            json!({ "id": fresh["id"] }),
        )
        .await;
    assert_eq!(body["data"]["deactivatePaymentLink"]["paymentLink"]["active"], false);
    let (status, _, page) = visit(fresh["url"].as_str().unwrap()).await;
    assert_eq!(status, 410);
    assert!(page.contains("no longer active"));
    let sessions = app.gql("{ paymentSessions { totalCount } }", json!({})).await;
    assert_eq!(sessions["data"]["paymentSessions"]["totalCount"], 1, "only the one good visit opened a session");
}
