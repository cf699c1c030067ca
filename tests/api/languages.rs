//! The hosted pages in the customer's language: the session's `locale`, else the customer's
//! `preferredLocale`, else the browser's `Accept-Language`, else English; `<html lang>` says
//! which, and amounts are written as that language writes them.

use serde_json::{Value, json};

use crate::support::*;

async fn page(app: &TestApp, hosted_url: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(hosted_url);
    if let Some(languages) = accept_language {
        request = request.header("Accept-Language", languages);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn lang(html: &str) -> &str {
    let start = html.find("<html lang=\"").expect("an html element") + 12;
    &html[start..start + html[start..].find('"').unwrap()]
}

async fn hosted(app: &TestApp, input: Value) -> String {
    let body = app.create_session(input).await;
    let (id, _) = created(body);
    let read = app.gql("query($id: ID!) { paymentSession(id: $id) { hostedUrl } }", json!({ "id": id })).await;
    read["data"]["paymentSession"]["hostedUrl"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_browser_chooses_unless_the_session_or_its_customer_did() {
    let app = spawn_app().await;
    let sek = hosted(&app, json!({ "purpose": "PAYMENT", "amount": { "amount": 123450, "currency": "SEK" } })).await;

    let (status, swedish) = page(&app, &sek, Some("sv-SE,sv;q=0.9,en;q=0.8")).await;
    assert_eq!(status, 200);
    assert_eq!(lang(&swedish), "sv");
    assert!(swedish.contains("1\u{a0}234,50\u{a0}kr"), "the amount the Swedish way");
    assert!(swedish.contains(">Betala<") && swedish.contains("Kortnummer"), "{swedish}");
    assert!(swedish.contains("Ditt kort nekades. Prova ett annat kort."), "the script's decline messages");
    let (_, english) = page(&app, &sek, None).await;
    assert_eq!(lang(&english), "en");
    assert!(english.contains("SEK 1234.50") && english.contains(">Pay<"));
    let (_, unknown) = page(&app, &sek, Some("fr-FR, ja;q=0.5")).await;
    assert_eq!(lang(&unknown), "en", "an unknown language falls back to English");

    // The session's own language over the browser's.
    let german = hosted(
        &app,
        json!({ "purpose": "PAYMENT", "locale": "de", "amount": { "amount": 123450, "currency": "EUR" } }),
    )
    .await;
    let (_, html) = page(&app, &german, Some("sv-SE")).await;
    assert_eq!(lang(&html), "de");
    assert!(html.contains("1.234,50\u{a0}€") && html.contains(">Bezahlen<"), "{html}");

    // The customer's preference when the session names none; cleared, the browser again.
    let customer = app
        .gql(
            "mutation { createCustomer(input: { email: \"aino@example.com\", preferredLocale: \"fi-FI\" }) {
                customer { id preferredLocale } userErrors { code } } }",
            json!({}),
        )
        .await;
    let customer = &customer["data"]["createCustomer"]["customer"];
    assert_eq!(customer["preferredLocale"], "fi");
    let id = customer["id"].as_str().unwrap();
    let url = hosted(
        &app,
        json!({ "purpose": "PAYMENT", "customerId": id, "amount": { "amount": 1234, "currency": "EUR" } }),
    )
    .await;
    let (_, finnish) = page(&app, &url, Some("de")).await;
    assert_eq!(lang(&finnish), "fi");
    assert!(finnish.contains("12,34\u{a0}€") && finnish.contains(">Maksa<"), "{finnish}");
    let cleared = app
        .gql(
            "mutation($id: ID!) { updateCustomer(input: { id: $id, preferredLocale: null }) { customer { preferredLocale } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cleared["data"]["updateCustomer"]["customer"]["preferredLocale"], Value::Null);
    let (_, html) = page(&app, &url, Some("de")).await;
    assert_eq!(lang(&html), "de");
}

#[tokio::test]
async fn an_unsupported_locale_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let refused = app
        .create_session(json!({ "purpose": "PAYMENT", "locale": "fr", "amount": { "amount": 100, "currency": "EUR" } }))
        .await;
    let errors = &refused["data"]["createPaymentSession"]["userErrors"];
    assert_eq!(errors[0]["code"], "UNSUPPORTED_LOCALE", "{refused}");
    assert_eq!(errors[0]["field"], json!(["input", "locale"]));
    let count = app.gql("{ paymentSessions(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["paymentSessions"]["totalCount"], 0);
    let customer = app
        .gql("mutation { createCustomer(input: { preferredLocale: \"xx\" }) { customer { id } userErrors { code field } } }", json!({}))
        .await;
    assert_eq!(customer["data"]["createCustomer"]["userErrors"][0]["code"], "UNSUPPORTED_LOCALE");

    let made = app
        .create_session(
            json!({ "purpose": "PAYMENT", "locale": "sv-SE", "amount": { "amount": 100, "currency": "EUR" } }),
        )
        .await;
    let (id, _) = created(made);
    let read = app.gql("query($id: ID!) { paymentSession(id: $id) { locale } }", json!({ "id": id })).await;
    assert_eq!(read["data"]["paymentSession"]["locale"], "sv", "a region is read as its language");
}

#[tokio::test]
async fn plain_pages_speak_the_browsers_language() {
    let app = spawn_app().await;
    let (status, html) = page(&app, &format!("{}/pay/cs_test_unknown", app.address), Some("de-DE,de;q=0.9")).await;
    assert_eq!(status, 404);
    assert_eq!(lang(&html), "de");
    assert!(html.contains("Seite nicht gefunden"), "{html}");
    let (_, html) = page(&app, &format!("{}/l/nothing-here", app.address), Some("nb-NO")).await;
    assert_eq!(lang(&html), "nb");
    assert!(html.contains("Fant ikke siden"), "{html}");
}
