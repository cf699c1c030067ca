//! A merchant's secret keys: create (read-write or read-only), list, revoke, roll. A secret
//! is shown once, when made; only its hash is kept.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::auth::new_key;
use super::{Core, validate};
use crate::bus::Notice;
use crate::domain::api_key::{ApiKey, KeyScope, MAX_ROLL_GRACE};
use crate::domain::{ApiKeyId, MerchantId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::keys::KeyRefusal;

/// How far back the watch for changed keys looks (see `Keys::spawn_watch`).
const WATCH_WINDOW: Duration = Duration::minutes(1);

/// When a key was revoked and when it expires, as the watch last told them.
type Moments = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A key just made, with its secret (shown this once).
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// A roll: the new key and the old one with the expiry it now has.
pub struct RolledKey {
    pub issued: IssuedKey,
    pub previous: ApiKey,
}

/// A merchant's secret keys.
#[derive(Clone)]
pub struct Keys {
    core: Core,
}

impl Keys {
    pub fn new(core: Core) -> Self {
        Keys { core }
    }

    pub async fn list(&self, merchant: MerchantId, include_revoked: bool) -> AppResult<Vec<ApiKey>> {
        Ok(storage::keys::list(&self.core.db, merchant, include_revoked).await?)
    }

    #[tracing::instrument(skip(self))]
    pub async fn create(&self, merchant: MerchantId, name: Option<String>, scope: KeyScope) -> AppResult<IssuedKey> {
        let name = validate::text(name, 100, &["input", "name"])?;
        let (key, secret, hash) = new_key(merchant, name, scope, self.core.now());
        let key = storage::keys::insert(&self.core.db, key, hash).await?;
        Ok(IssuedKey { key, secret })
    }

    /// Revokes key `id` at once. The merchant's last live read-write key cannot be revoked:
    /// nothing could then make another.
    #[tracing::instrument(skip(self))]
    pub async fn revoke(&self, merchant: MerchantId, id: ApiKeyId) -> AppResult<ApiKey> {
        let key = storage::keys::revoke(&self.core.db, merchant, id, self.core.now()).await.map_err(refusal)?;
        self.tell_every_instance(id).await;
        Ok(key)
    }

    /// Every instance forgets what it verified of key `id`. If the bus is away, each
    /// instance forgets everything once it is back (`Notice::Lost`).
    async fn tell_every_instance(&self, id: ApiKeyId) {
        if let Err(error) = self.core.bus.notify(Notice::KeyChanged { key: id.0 }).await {
            tracing::warn!(%error, key = %id, "could not tell other instances of a key change");
        }
    }

    /// Without a shared bus, nothing tells this instance of a key revoked or rolled by another
    /// process (the CLI, another instance on the same database): every `every` it looks for
    /// keys changed lately and tells itself. A change is told once; the window reaches back
    /// a minute, for clocks of other machines that run behind.
    pub fn spawn_watch(&self, every: std::time::Duration) {
        let keys = self.clone();
        tokio::spawn(async move {
            let mut told: HashMap<ApiKeyId, Moments> = HashMap::new();
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let since = keys.core.now() - WATCH_WINDOW;
                let changed = match storage::keys::changed_since(&keys.core.db, since).await {
                    Ok(changed) => changed,
                    Err(error) => {
                        tracing::warn!(%error, "could not look for changed keys");
                        continue;
                    }
                };
                told.retain(|_, (revoked, expires)| (*revoked).max(*expires).is_some_and(|at| at >= since));
                for key in changed {
                    let moments = (key.revoked_at, key.expires_at);
                    if told.insert(key.id, moments) != Some(moments) {
                        keys.tell_every_instance(key.id).await;
                    }
                }
            }
        });
    }

    /// A new key with the name and scope of `id`; `id` keeps working for `grace` (0: it
    /// stops now; at most 7 days), so servers can move to the new secret first.
    #[tracing::instrument(skip(self))]
    pub async fn roll(&self, merchant: MerchantId, id: ApiKeyId, grace_seconds: i64) -> AppResult<RolledKey> {
        let grace = Duration::seconds(grace_seconds);
        if grace < Duration::zero() || grace > MAX_ROLL_GRACE {
            return Err(AppError::user(
                &["input", "expiresInSeconds"],
                ErrorCode::Invalid,
                format!("the old key may stay valid 0 to {} seconds", MAX_ROLL_GRACE.num_seconds()),
            ));
        }
        let now = self.core.now();
        // The new key takes the old one's name and scope, read in the roll's transaction.
        let fresh = |old: &ApiKey| {
            let (key, secret, hash) = new_key(merchant, old.name.clone(), old.scope, now);
            (key, hash, secret)
        };
        let (previous, key, secret) =
            storage::keys::roll(&self.core.db, merchant, id, fresh, now + grace, now).await.map_err(refusal)?;
        self.tell_every_instance(id).await;
        Ok(RolledKey { issued: IssuedKey { key, secret }, previous })
    }
}

fn refusal(refusal: KeyRefusal) -> AppError {
    let field = ["input", "id"];
    match refusal {
        KeyRefusal::NotFound => AppError::not_found(&field, "API key"),
        KeyRefusal::NotLive => AppError::user(&field, ErrorCode::NotAllowed, "this key is already revoked or expired"),
        KeyRefusal::LastKey => AppError::user(
            &field,
            ErrorCode::NotAllowed,
            "this is the last live read-write key; create another before revoking it",
        ),
        KeyRefusal::Db(error) => error.into(),
    }
}
