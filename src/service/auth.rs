//! Merchants, their secret API keys, and the credentials a request can carry.
//!
//! Secret keys are random and high-entropy, so a plain SHA-256 is a sound way to store
//! them: the database holds the hash, the merchant holds the only copy of the key.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Core;
use crate::domain::merchant::Merchant;
use crate::domain::{MerchantId, SessionId};
use crate::error::{AppError, AppResult};
use crate::storage;
use crate::storage::entities::api_key;

/// Prefix of secret API keys; anything else in `Authorization` is read as a client secret.
pub const SECRET_KEY_PREFIX: &str = "sk_test_";
/// Prefix of a payment session's client secret.
pub const CLIENT_SECRET_PREFIX: &str = "pscs_";

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A merchant's secret key: everything the merchant owns.
    Merchant(MerchantId),
    /// A session's client secret: that one session, for the hosted page and mobile apps.
    Session { merchant: MerchantId, session: SessionId },
}

impl Caller {
    pub fn merchant(self) -> MerchantId {
        match self {
            Caller::Merchant(m) | Caller::Session { merchant: m, .. } => m,
        }
    }

    /// The merchant, when the caller holds a secret key.
    pub fn secret_key_holder(self) -> AppResult<MerchantId> {
        match self {
            Caller::Merchant(m) => Ok(m),
            Caller::Session { .. } => Err(AppError::needs_secret_key()),
        }
    }

    /// Whose budget this caller spends: the merchant's keys share one, each client secret
    /// has its own. Names no secret, so it may go to Redis and logs.
    pub fn budget_key(self) -> String {
        match self {
            Caller::Merchant(m) => format!("merchant:{}", m.0),
            Caller::Session { session, .. } => format!("session:{}", session.0),
        }
    }

    /// Whether this caller may see the session `id` of its merchant.
    pub fn may_see_session(self, id: SessionId) -> bool {
        match self {
            Caller::Merchant(_) => true,
            Caller::Session { session, .. } => session == id,
        }
    }
}

/// A new random secret with `prefix`.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret is stored and looked up.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A merchant as created, with its first secret key (shown once).
pub struct NewMerchant {
    pub merchant: Merchant,
    pub secret_key: String,
}

/// Merchants' credentials: who is calling.
#[derive(Clone)]
pub struct Auth {
    core: Core,
}

impl Auth {
    pub fn new(core: Core) -> Self {
        Auth { core }
    }
}

impl Auth {
    /// Creates a merchant and its first secret key.
    #[tracing::instrument(skip(self))]
    pub async fn create_merchant(&self, name: &str) -> AppResult<NewMerchant> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::user(
                &["name"],
                crate::error::ErrorCode::Invalid,
                "name must be 1 to 200 characters",
            ));
        }
        let now = self.core.now();
        let secret_key = new_secret(SECRET_KEY_PREFIX);
        let merchant = Merchant {
            id: MerchantId::new(),
            name: name.to_owned(),
            logo_url: None,
            accent_color: None,
            created_at: now,
        };
        let key = api_key::Model {
            id: Uuid::new_v4(),
            merchant_id: merchant.id.0,
            key_hash: hash_secret(&secret_key),
            display_prefix: secret_key.chars().take(SECRET_KEY_PREFIX.len() + 4).collect(),
            created_at: now,
            revoked_at: None,
        };
        let merchant = storage::merchants::create(&self.core.db, merchant, key).await?;
        Ok(NewMerchant { merchant, secret_key })
    }

    /// Whether any merchant exists (the demo merchant is made on the first start only).
    pub async fn has_merchants(&self) -> AppResult<bool> {
        Ok(storage::merchants::any(&self.core.db).await?)
    }

    /// Resolves a bearer token to a caller; `None` when it matches no live credential.
    pub async fn authenticate(&self, token: &str) -> AppResult<Option<Caller>> {
        if token.starts_with(SECRET_KEY_PREFIX) {
            let key = storage::merchants::live_key(&self.core.db, &hash_secret(token))
                .await
                .context("looking up an API key")?;
            return Ok(key.map(|k| Caller::Merchant(MerchantId(k.merchant_id))));
        }
        if token.starts_with(CLIENT_SECRET_PREFIX) {
            let session = storage::sessions::by_client_secret(&self.core.db, token)
                .await
                .context("looking up a client secret")?;
            return Ok(session.map(|s| Caller::Session { merchant: s.merchant, session: s.id }));
        }
        Ok(None)
    }
}
