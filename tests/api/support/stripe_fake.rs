//! The Stripe fake (localstripe) as the connector tests read it, and the helpers they share:
//! an app whose Stripe is the fake, a connected account, a payment's processor reference.

use paygraph::config::Config;
use serde_json::{Value, json};

use crate::support::*;

pub const CONNECT: &str = "mutation($input: ConnectProcessorAccountInput!) { connectProcessorAccount(input: $input) {
    processorAccount { id kind label webhookUrl connectedAt } userErrors { field code message } } }";
pub const DISCONNECT: &str =
    "mutation($input: DisconnectProcessorAccountInput!) { disconnectProcessorAccount(input: $input) {
    processorAccount { id } userErrors { field code } } }";
pub const ACCOUNT: &str = "{ merchant { processorAccount { id kind label webhookUrl } } }";
pub const PAYMENT: &str = "query($id: ID!) { payment(id: $id) { status processorReference declineCode
    amountCaptured { amount } amountRefunded { amount } } }";

/// The fake, read as Stripe's dashboard would show it (one store serves every key).
pub struct Fake {
    base: String,
    client: reqwest::Client,
}

impl Fake {
    pub fn new(base: &str) -> Fake {
        Fake { base: base.trim_end_matches('/').to_owned(), client: reqwest::Client::new() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}/v1/{path}", self.base)).bearer_auth("sk_test_reader");
        response.send().await.unwrap().json().await.unwrap()
    }

    pub async fn intent(&self, id: &str) -> Value {
        self.get(&format!("payment_intents/{id}?expand[]=latest_charge")).await
    }

    /// The refunds paygraph made of `intent` (a partial capture's release is not one).
    pub async fn refunds_of(&self, intent: &str) -> Vec<Value> {
        let list = self.get(&format!("refunds?payment_intent={intent}&limit=100")).await;
        let all = list["data"].as_array().unwrap().clone();
        all.into_iter().filter(|r| r["metadata"]["paygraph_refund"].is_string()).collect()
    }

    /// Every PaymentIntent whose metadata names `session` (the fake filters no metadata:
    /// every page is read, as many as the fake holds from every test of the run).
    pub async fn intents_of_session(&self, session_uuid: &str) -> Vec<Value> {
        let mut found = Vec::new();
        let mut after = String::new();
        for _ in 0..1000 {
            let page = self.get(&format!("payment_intents?limit=100{after}")).await;
            let data = page["data"].as_array().unwrap().clone();
            let last = data.last().map(|pi| pi["id"].as_str().unwrap().to_owned());
            found.extend(data.into_iter().filter(|pi| pi["metadata"]["paygraph_session"] == session_uuid));
            match last {
                Some(last) if page["has_more"] == true => after = format!("&starting_after={last}"),
                _ => return found,
            }
        }
        panic!("the fake's list of PaymentIntents does not end");
    }
}

/// An app whose Stripe is the fake, with a merchant; `None`: no fake in this run.
pub async fn app_with_fake(test: &str) -> Option<(TestApp, Fake)> {
    let url = test_stripe_url(test)?;
    let fake_url = url.clone();
    let secrets = paygraph::processor::accounts::sealing::SecretsKey::generate_text();
    let app = spawn_app_with(move |config: &mut Config| {
        config.stripe_api_base = fake_url;
        config.secrets_key = Some(secrets);
    })
    .await;
    Some((app, Fake::new(&url)))
}

/// A secret key of the fake's kind, unique to this call.
pub fn stripe_key() -> String {
    format!("sk_test_{}", uuid::Uuid::new_v4().simple())
}

pub async fn connect(app: &TestApp, key: &str) -> Value {
    let input = json!({ "kind": "STRIPE", "secretKey": key, "webhookSigningSecret": "whsec_test_signing" });
    app.gql(CONNECT, json!({ "input": input })).await["data"]["connectProcessorAccount"].clone()
}

pub async fn connected(app: &TestApp) -> String {
    let payload = connect(app, &stripe_key()).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["processorAccount"]["id"].as_str().unwrap().to_owned()
}

pub async fn payment(app: &TestApp, id: &str) -> Value {
    let body = app.gql(PAYMENT, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["payment"].clone()
}

/// The UUID inside a global id, as paygraph writes it into Stripe's metadata.
pub fn uuid_of(global: &str) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(global).unwrap();
    let (_, simple) = std::str::from_utf8(&text).unwrap().split_once(':').unwrap().to_owned();
    uuid::Uuid::parse_str(simple).unwrap().to_string()
}

pub fn payment_input(amount: i64) -> Value {
    json!({ "purpose": "PAYMENT", "amount": { "amount": amount, "currency": "EUR" } })
}
