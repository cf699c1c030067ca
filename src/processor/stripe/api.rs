//! Stripe's REST API v1 as paygraph speaks it: form-encoded requests under a pinned
//! `Stripe-Version`, an `Idempotency-Key` on every POST, bounded time, and errors read into
//! what the connector needs (a card error's codes, or a fault). No request body is ever
//! logged or put in an error: it may hold card data.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::processor::ProcessorError;

/// The API version every request is pinned to, so Stripe's answers keep their shape.
pub const STRIPE_VERSION: &str = "2024-06-20";

/// Where Stripe is, unless `PAYGRAPH_STRIPE_API_BASE` says otherwise (a local fake).
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One account's view of the API.
#[derive(Clone)]
pub struct StripeApi {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

impl std::fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeApi").field("base", &self.base).finish_non_exhaustive()
    }
}

/// What went wrong with a request.
#[derive(Debug)]
pub enum Failure {
    /// Stripe answered with an error object.
    Refused { status: StatusCode, error: ApiError },
    /// No answer to trust: unreachable, timed out, a 5xx, or nonsense.
    Fault(String),
}

/// Stripe's `error` object, the fields paygraph reads.
#[derive(Debug, Default, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ApiError,
}

impl From<Failure> for ProcessorError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Fault(why) => ProcessorError(format!("stripe: {why}")),
            Failure::Refused { status, error } => ProcessorError(format!(
                "stripe answered {status}: {} ({})",
                error.code.as_deref().unwrap_or("no code"),
                error.message.as_deref().unwrap_or("no message"),
            )),
        }
    }
}

/// The HTTP client every account's connector shares (one connection pool, rustls), with
/// `timeout` for each request (`PAYGRAPH_STRIPE_TIMEOUT_MS`).
pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .no_proxy()
        .user_agent(concat!("paygraph/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

impl StripeApi {
    pub fn new(http: reqwest::Client, base: &str, secret_key: String) -> StripeApi {
        StripeApi { http, base: base.trim_end_matches('/').to_owned(), secret_key }
    }

    /// `GET /v1/<path>` with `query`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, Failure> {
        let request = self.http.get(format!("{}/v1/{path}", self.base)).query(query);
        self.send(request).await
    }

    /// `POST /v1/<path>` with `form`; `idempotency_key` makes a retry return the first answer.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, Failure> {
        let request =
            self.http.post(format!("{}/v1/{path}", self.base)).header("Idempotency-Key", idempotency_key).form(form);
        self.send(request).await
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Failure> {
        let response = request
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", STRIPE_VERSION)
            .send()
            .await
            // Without the URL: it is Stripe's, but the error's own text is enough.
            .map_err(|e| Failure::Fault(transport_error(e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| Failure::Fault(transport_error(e)))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| Failure::Fault(format!("an answer that does not read ({status}): {e}")));
        }
        if status.is_server_error() {
            return Err(Failure::Fault(format!("answered {status}")));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(ErrorBody { error }) => Err(Failure::Refused { status, error }),
            Err(_) => Err(Failure::Fault(format!("answered {status} without an error object"))),
        }
    }
}

fn transport_error(error: reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    format!("{what}: {}", error.without_url())
}
