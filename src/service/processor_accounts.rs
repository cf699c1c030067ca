//! A merchant's own processor account: connected with its secret key (checked against the
//! processor first, then sealed), shown by a label that names no secret, disconnected when
//! the merchant says so. Payments already made there stay settled, captured and refunded
//! there: the row and its sealed key are kept for them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::core::Core;
use crate::domain::processor_account::SealedAccount;
use crate::domain::{MerchantId, ProcessorAccountId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::accounts::sealing::SecretsKey;
use crate::processor::stripe::StripeConnector;
use crate::processor::{ProcessorKind, Processors};
use crate::storage;

/// The name `PAYGRAPH_SECRETS_KEY` is kept under when development makes one.
const SECRETS_KEY: &str = "processor_secrets_key";

/// A connected account as the merchant sees it.
#[derive(Clone, Debug)]
pub struct ProcessorAccount {
    pub id: ProcessorAccountId,
    pub kind: ProcessorKind,
    pub label: String,
    pub connected_at: DateTime<Utc>,
}

/// What `connectProcessorAccount` is given.
pub struct Connection {
    pub kind: ProcessorKind,
    pub secret_key: String,
    pub webhook_signing_secret: Option<String>,
}

#[derive(Clone)]
pub struct ProcessorAccounts {
    core: Core,
    processors: Arc<Processors>,
}

impl ProcessorAccounts {
    pub fn new(core: Core, processors: Arc<Processors>) -> Self {
        ProcessorAccounts { core, processors }
    }

    /// The account `merchant` has connected now; `None`: the test processor.
    pub async fn current(&self, merchant: MerchantId) -> AppResult<Option<ProcessorAccount>> {
        let row = storage::processor_accounts::connected(&self.core.db, merchant.0).await?;
        row.map(account_of).transpose()
    }

    /// Checks the key with the processor, seals it, and connects the account in place of the
    /// merchant's current one. A key the processor refuses stores nothing.
    pub async fn connect(&self, merchant: MerchantId, connection: Connection) -> AppResult<ProcessorAccount> {
        let secret_key = connection.secret_key.trim().to_owned();
        let field = ["input", "secretKey"];
        if !looks_like_stripe_key(&secret_key) {
            return Err(invalid_credentials(&field, "a Stripe secret key starts with sk_ or rk_"));
        }
        let signing_secret = connection.webhook_signing_secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if signing_secret.as_deref().is_some_and(|s| !s.starts_with("whsec_") || s.len() > 256) {
            return Err(AppError::user(
                &["input", "webhookSigningSecret"],
                ErrorCode::Invalid,
                "a Stripe webhook signing secret starts with whsec_",
            ));
        }
        let api = self.processors.stripe_api(secret_key.clone());
        match StripeConnector::check_key(&api).await {
            Ok(true) => {}
            Ok(false) => return Err(invalid_credentials(&field, "Stripe refused this key")),
            Err(error) => return Err(anyhow::anyhow!("Stripe could not be asked about the key: {error}").into()),
        }
        let id = Uuid::new_v4();
        let key = self.processors.secrets_key();
        let row = SealedAccount {
            id,
            merchant,
            kind: connection.kind.as_str().to_owned(),
            label: label_of(&secret_key),
            secret_key_sealed: key.seal(id.as_bytes(), &secret_key),
            webhook_secret_sealed: signing_secret.map(|s| key.seal(id.as_bytes(), &s)),
            connected_at: self.core.now(),
            disconnected_at: None,
        };
        let row = storage::processor_accounts::connect(&self.core.db, row).await?;
        tracing::info!(merchant = %merchant, account = %id, label = %row.label, "processor account connected");
        account_of(row)
    }

    /// New cards go to the test processor again; what the account holds stays settled there.
    pub async fn disconnect(&self, merchant: MerchantId, id: ProcessorAccountId) -> AppResult<ProcessorAccount> {
        let not_found = || AppError::not_found(&["input", "id"], "processor account");
        let row = storage::processor_accounts::account(&self.core.db, id.0).await?;
        let row = row.filter(|r| r.merchant == merchant && r.disconnected_at.is_none()).ok_or_else(not_found)?;
        if !storage::processor_accounts::disconnect(&self.core.db, merchant.0, id.0, self.core.now()).await? {
            return Err(not_found());
        }
        tracing::info!(merchant = %merchant, account = %id.0, "processor account disconnected");
        account_of(row)
    }
}

/// `PAYGRAPH_SECRETS_KEY`, or in development one made once and kept in the database (and
/// said so: a copy of the database then opens the processor keys in it).
pub async fn secrets_key(db: &storage::Database, configured: Option<&str>) -> anyhow::Result<SecretsKey> {
    if let Some(text) = configured {
        return SecretsKey::from_text(text);
    }
    let stored = storage::secrets::get_or_make(db, SECRETS_KEY, SecretsKey::generate_text).await?;
    // Said at every start (info: the level `cargo run` shows); production refuses to start.
    tracing::info!(
        "PAYGRAPH_SECRETS_KEY is not set: processor keys are sealed under a key kept in the database \
         (development only; production refuses to start without it)"
    );
    SecretsKey::from_text(&stored)
}

fn account_of(row: SealedAccount) -> AppResult<ProcessorAccount> {
    Ok(ProcessorAccount {
        id: ProcessorAccountId(row.id),
        kind: row.kind.parse().map_err(|e| anyhow::anyhow!("processor account {}: {e}", row.id))?,
        label: row.label,
        connected_at: row.connected_at,
    })
}

fn looks_like_stripe_key(key: &str) -> bool {
    let known = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"].iter().any(|p| key.starts_with(p));
    known && key.len() <= 512 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `sk_test_…4242`: the mode and the last four, as Stripe's dashboard shows a key.
fn label_of(key: &str) -> String {
    let prefix = key.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
    let last4 = &key[key.len().saturating_sub(4)..];
    format!("{prefix}_…{last4}")
}

fn invalid_credentials(field: &[&str], message: &str) -> AppError {
    AppError::user(field, ErrorCode::InvalidProcessorCredentials, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_names_the_mode_and_the_last_four_only() {
        assert_eq!(label_of("sk_test_51AbCdEfGh4242"), "sk_test_…4242");
        assert_eq!(label_of("rk_live_xyz9876"), "rk_live_…9876");
    }

    #[test]
    fn only_stripe_secret_keys_are_taken() {
        assert!(looks_like_stripe_key("sk_test_abc123"));
        assert!(!looks_like_stripe_key("pk_test_abc123"), "a publishable key");
        assert!(!looks_like_stripe_key("sk_test_abc 123"));
        assert!(!looks_like_stripe_key("whsec_abc"));
    }
}
