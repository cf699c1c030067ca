//! Merchants, their secret API keys, and the credentials a request can carry.
//!
//! Secret keys are random and high-entropy, so a plain SHA-256 is a sound way to store
//! them: the database holds the hash, the merchant holds the only copy of the key.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use std::sync::Arc;

use super::Core;
use super::credentials::{CredentialCache, SecretDigest, Verified};
use crate::domain::api_key::{ApiKey, KeyScope};
use crate::domain::merchant::Merchant;
use crate::domain::{ApiKeyId, MerchantId, SessionId, new_secret};
use crate::error::{AppError, AppResult};
use crate::storage;
use crate::throttle::BudgetKey;

/// Prefix of secret API keys; anything else in `Authorization` is read as a client secret.
pub const SECRET_KEY_PREFIX: &str = "sk_test_";
/// Prefix of a payment session's client secret.
pub const CLIENT_SECRET_PREFIX: &str = "pscs_";

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A merchant's secret key: everything the merchant owns, to read (and, for a
    /// `READ_WRITE` key, to change).
    /// `key` is the key's id (`None`: the server acting for the merchant itself).
    Merchant { merchant: MerchantId, scope: KeyScope, key: Option<ApiKeyId> },
    /// A session's client secret: that one session, for the hosted page and mobile apps.
    Session { merchant: MerchantId, session: SessionId },
}

impl Caller {
    /// A read-write secret key of `merchant` (what the server itself acts as).
    pub fn merchant_key(merchant: MerchantId) -> Self {
        Caller::Merchant { merchant, scope: KeyScope::ReadWrite, key: None }
    }

    pub fn merchant(self) -> MerchantId {
        match self {
            Caller::Merchant { merchant, .. } | Caller::Session { merchant, .. } => merchant,
        }
    }

    /// Whether this caller may only read (a `READ_ONLY` key).
    pub fn read_only(self) -> bool {
        matches!(self, Caller::Merchant { scope: KeyScope::ReadOnly, .. })
    }

    /// The merchant, when the caller holds a secret key.
    pub fn secret_key_holder(self) -> AppResult<MerchantId> {
        match self {
            Caller::Merchant { merchant, .. } => Ok(merchant),
            Caller::Session { .. } => Err(AppError::needs_secret_key()),
        }
    }

    /// The merchant, when the caller holds a read-write secret key (what reads the audit
    /// trail: it names keys and where they were used from).
    pub fn read_write_key_holder(self) -> AppResult<MerchantId> {
        match self {
            Caller::Merchant { merchant, scope: KeyScope::ReadWrite, .. } => Ok(merchant),
            _ => Err(AppError::Access(crate::error::ErrorCode::Forbidden, "this needs a read-write secret key")),
        }
    }

    /// Whose budget this caller spends: the merchant's keys share one, each client secret
    /// has its own. Names no secret, so it may go to Redis and logs.
    pub fn budget_key(self) -> BudgetKey {
        match self {
            Caller::Merchant { merchant, .. } => BudgetKey(merchant.0.as_u128()),
            Caller::Session { session, .. } => BudgetKey(session.0.as_u128()),
        }
    }

    /// Whether this caller may see the session `id` of its merchant.
    pub fn may_see_session(self, id: SessionId) -> bool {
        match self {
            Caller::Merchant { .. } => true,
            Caller::Session { session, .. } => session == id,
        }
    }
}

/// How a secret is stored and looked up.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    crate::domain::hex(&digest)
}

/// How often a key's `lastUsedAt` is written (at most).
const LAST_USED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// A new secret key of `merchant`: the key as stored, its secret (shown once) and the hash
/// it is found by.
pub fn new_key(
    merchant: MerchantId,
    name: Option<String>,
    scope: KeyScope,
    now: chrono::DateTime<chrono::Utc>,
) -> (ApiKey, String, String) {
    let secret = new_secret(SECRET_KEY_PREFIX);
    let key = ApiKey {
        id: ApiKeyId::new(),
        merchant,
        name,
        prefix: secret.chars().take(SECRET_KEY_PREFIX.len() + 4).collect(),
        scope,
        created_at: now,
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    };
    let hash = hash_secret(&secret);
    (key, secret, hash)
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
    credentials: Arc<CredentialCache>,
}

impl Auth {
    pub fn new(core: Core, credentials: Arc<CredentialCache>) -> Self {
        Auth { core, credentials }
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
        let merchant = Merchant {
            id: MerchantId::new(),
            name: name.to_owned(),
            logo_url: None,
            accent_color: None,
            allowed_origins: Vec::new(),
            created_at: now,
        };
        let (key, secret_key, hash) = new_key(merchant.id, None, KeyScope::ReadWrite, now);
        let merchant = storage::merchants::create(&self.core.db, merchant, key, hash).await?;
        Ok(NewMerchant { merchant, secret_key })
    }

    /// Whether any merchant exists (the demo merchant is made on the first start only).
    pub async fn has_merchants(&self) -> AppResult<bool> {
        Ok(storage::merchants::any(&self.core.db).await?)
    }

    /// Resolves a bearer token to a caller; `None` when it matches no live credential. A
    /// credential verified lately is not looked up again (see `credentials`).
    pub async fn authenticate(&self, token: &str) -> AppResult<Option<Caller>> {
        Ok(self.verified(token).await?.map(|verified| verified.caller))
    }

    /// Changes whenever a credential may have been revoked or rolled, on any instance: who
    /// holds one open (a socket) calls [`Auth::verified`] again.
    pub fn credential_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.credentials.watch()
    }

    /// What `token` stands for now, with the end of a rolled key's grace.
    pub async fn verified(&self, token: &str) -> AppResult<Option<Verified>> {
        let is_key = token.starts_with(SECRET_KEY_PREFIX);
        if !is_key && !token.starts_with(CLIENT_SECRET_PREFIX) {
            self.core.metrics.count_auth_failure();
            return Ok(None);
        }
        let now = self.core.now();
        let digest: SecretDigest = Sha256::digest(token.as_bytes()).into();
        if let Some(verified) = self.credentials.get(&digest, now) {
            return Ok(Some(verified));
        }
        // Boxed: the database's futures are kilobytes, which every request would otherwise
        // carry (and copy, as its future moves) to find its credential in the cache.
        let verified = Box::pin(self.verify(token, is_key, digest, now)).await?;
        if verified.is_none() {
            self.core.metrics.count_auth_failure();
        }
        Ok(verified)
    }

    /// Looks a credential the cache does not hold up in the database, and remembers it.
    async fn verify(
        &self,
        token: &str,
        is_key: bool,
        digest: SecretDigest,
        now: DateTime<Utc>,
    ) -> AppResult<Option<Verified>> {
        let hash = crate::domain::hex(&digest);
        let generation = self.credentials.generation();
        let verified = if is_key {
            let key = storage::keys::live_by_hash(&self.core.db, &hash, now).await.context("looking up an API key")?;
            let Some(key) = key else { return Ok(None) };
            if key.last_used_at.is_none_or(|at| at < now - LAST_USED_EVERY) {
                storage::keys::touch(&self.core.db, key.id, now, LAST_USED_EVERY)
                    .await
                    .context("recording a key's use")?;
            }
            let caller = Caller::Merchant { merchant: key.merchant, scope: key.scope, key: Some(key.id) };
            Verified { caller, key: Some(key.id), expires_at: key.expires_at }
        } else {
            let session = storage::sessions::by_client_secret(&self.core.db, token)
                .await
                .context("looking up a client secret")?;
            let Some(session) = session else { return Ok(None) };
            Verified {
                caller: Caller::Session { merchant: session.merchant, session: session.id },
                key: None,
                expires_at: None,
            }
        };
        self.credentials.remember(digest, verified, generation);
        Ok(Some(verified))
    }
}
