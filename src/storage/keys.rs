//! Merchants' secret keys. Revoking and rolling lock the merchant's row first, so two calls
//! at once cannot both see "another key is still live" and leave the merchant with none.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Database;
use super::entities::{api_key, merchant};
use crate::domain::api_key::{ApiKey, KeyScope};
use crate::domain::{ApiKeyId, MerchantId};

/// Why a key could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyRefusal {
    #[error("no such key")]
    NotFound,
    #[error("the key is revoked or expired")]
    NotLive,
    #[error("the merchant's last live read-write key")]
    LastKey,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Live at `now`: not revoked, not past its expiry.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(api_key::Column::RevokedAt.is_null())
        .add(Condition::any().add(api_key::Column::ExpiresAt.is_null()).add(api_key::Column::ExpiresAt.gt(now)))
}

/// Keys revoked, or given an expiry, at `since` or later: each with both moments, so a
/// watcher can tell a change it has seen from a new one.
pub async fn changed_since(db: &Database, since: DateTime<Utc>) -> Result<Vec<ApiKey>, DbErr> {
    let changed =
        Condition::any().add(api_key::Column::RevokedAt.gte(since)).add(api_key::Column::ExpiresAt.gte(since));
    let rows = api_key::Entity::find().filter(changed).all(db).await?;
    rows.into_iter().map(ApiKey::try_from).collect()
}

pub async fn insert(db: &Database, key: ApiKey, key_hash: String) -> Result<ApiKey, DbErr> {
    let txn = super::begin_write(db).await?;
    let row = api_key::ActiveModel::from(api_key::row_of(key, key_hash)).insert(&txn).await?;
    super::audit::commit(txn).await?;
    ApiKey::try_from(row)
}

/// The name the merchant gave key `id`, if it has one.
pub async fn name_of(db: &Database, merchant: MerchantId, id: ApiKeyId) -> Result<Option<String>, DbErr> {
    let row = api_key::Entity::find_by_id(id.0).filter(api_key::Column::MerchantId.eq(merchant.0)).one(db).await?;
    Ok(row.and_then(|row| row.name))
}

/// The merchant's keys, newest first; revoked ones too when asked.
pub async fn list(db: &Database, merchant: MerchantId, include_revoked: bool) -> Result<Vec<ApiKey>, DbErr> {
    let mut query = api_key::Entity::find().filter(api_key::Column::MerchantId.eq(merchant.0));
    if !include_revoked {
        query = query.filter(api_key::Column::RevokedAt.is_null());
    }
    let rows = query.order_by_desc(api_key::Column::CreatedAt).order_by_desc(api_key::Column::Id).all(db).await?;
    rows.into_iter().map(ApiKey::try_from).collect()
}

/// The key whose secret hashes to `key_hash`, if it is live at `now`.
pub async fn live_by_hash(db: &Database, key_hash: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>, DbErr> {
    let row =
        api_key::Entity::find().filter(api_key::Column::KeyHash.eq(key_hash)).filter(live_at(now)).one(db).await?;
    row.map(ApiKey::try_from).transpose()
}

/// Records a use of `id` at `now`, at most once per `every`, so a busy key is not a write
/// per request.
pub async fn touch(db: &Database, id: ApiKeyId, now: DateTime<Utc>, every: Duration) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id.0))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(now - every)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes key `id` of `merchant` at `now`, unless it is the last live read-write key.
pub async fn revoke(
    db: &Database,
    merchant: MerchantId,
    id: ApiKeyId,
    now: DateTime<Utc>,
) -> Result<ApiKey, KeyRefusal> {
    let txn = super::begin_write(db).await?;
    let key = locked_live_key(&txn, merchant, id, now).await?;
    if key.scope == KeyScope::ReadWrite {
        let others = api_key::Entity::find()
            .filter(api_key::Column::MerchantId.eq(merchant.0))
            .filter(api_key::Column::Id.ne(id.0))
            .filter(api_key::Column::Scope.eq(KeyScope::ReadWrite.as_str()))
            .filter(live_at(now))
            // A key in its roll's grace is on its way out: it cannot be the one that stays.
            .filter(api_key::Column::ExpiresAt.is_null())
            .one(&txn)
            .await?;
        if others.is_none() {
            return Err(KeyRefusal::LastKey);
        }
    }
    let changed = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id.0))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(KeyRefusal::NotLive);
    }
    super::audit::commit(txn).await?;
    Ok(ApiKey { revoked_at: Some(now), ..key })
}

/// Rolls key `id`: the key `fresh` makes of it (with its secret's hash) is inserted and the
/// old key expires at `old_expires_at` (or stays at an earlier expiry it already had). One
/// transaction, which reads the old key once, under the merchant's lock.
pub async fn roll<T>(
    db: &Database,
    merchant: MerchantId,
    id: ApiKeyId,
    fresh: impl FnOnce(&ApiKey) -> (ApiKey, String, T),
    old_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(ApiKey, ApiKey, T), KeyRefusal> {
    let txn = super::begin_write(db).await?;
    let old = locked_live_key(&txn, merchant, id, now).await?;
    let (key, hash, kept) = fresh(&old);
    let expires_at = old.expires_at.map_or(old_expires_at, |at| at.min(old_expires_at));
    let changed = api_key::Entity::update_many()
        .col_expr(api_key::Column::ExpiresAt, Expr::value(expires_at))
        .filter(api_key::Column::Id.eq(id.0))
        .filter(live_at(now))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(KeyRefusal::NotLive);
    }
    let fresh = ApiKey::try_from(api_key::ActiveModel::from(api_key::row_of(key, hash)).insert(&txn).await?)?;
    super::audit::commit(txn).await?;
    Ok((ApiKey { expires_at: Some(expires_at), ..old }, fresh, kept))
}

/// Locks the merchant's row (PostgreSQL; SQLite serializes writers anyway), then reads key
/// `id`, which must be live.
async fn locked_live_key(
    txn: &sea_orm::DatabaseTransaction,
    merchant: MerchantId,
    id: ApiKeyId,
    now: DateTime<Utc>,
) -> Result<ApiKey, KeyRefusal> {
    merchant::Entity::find_by_id(merchant.0).lock_exclusive().one(txn).await?.ok_or(KeyRefusal::NotFound)?;
    let row = api_key::Entity::find()
        .filter(api_key::Column::Id.eq(id.0))
        .filter(api_key::Column::MerchantId.eq(merchant.0))
        .one(txn)
        .await?
        .ok_or(KeyRefusal::NotFound)?;
    let key = ApiKey::try_from(row)?;
    if !key.is_live(now) {
        return Err(KeyRefusal::NotLive);
    }
    Ok(key)
}
