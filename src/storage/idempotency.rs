//! Idempotency records: one row per (merchant, operation, key), claimed before the work
//! and completed in the work's own transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    UpdateMany,
};

use super::entities::idempotency_key::{self, Column};
use super::is_unique_violation;
use crate::domain::MerchantId;

/// Which record: a key of one merchant for one operation.
#[derive(Clone, Debug)]
pub struct KeyRef<'a> {
    pub merchant: MerchantId,
    pub operation: &'a str,
    pub key: &'a str,
}

/// Claims the key with a row that has no response yet. `false`: the key has a row already.
pub async fn insert_claim(
    db: &DatabaseConnection,
    key: &KeyRef<'_>,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = idempotency_key::ActiveModel {
        merchant_id: Set(key.merchant.0),
        operation: Set(key.operation.to_owned()),
        key: Set(key.key.to_owned()),
        request_hash: Set(hash.to_owned()),
        response: Set(None),
        created_at: Set(at),
        completed_at: Set(None),
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What a key holds: the request it was first used with, and its answer once it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// SHA-256 of the canonical request, to tell a replay from a reuse with other input.
    pub request_hash: String,
    /// The first response, replayed to every later call with the same key and input.
    pub response: Option<String>,
}

pub async fn find(db: &DatabaseConnection, key: &KeyRef<'_>) -> Result<Option<Recorded>, DbErr> {
    let id = (key.merchant.0, key.operation.to_owned(), key.key.to_owned());
    let row = idempotency_key::Entity::find_by_id(id).one(db).await?;
    Ok(row.map(|row| Recorded { request_hash: row.request_hash, response: row.response }))
}

/// Takes over a claim that has had no response since before `stale_before` (its owner
/// died), atomically: of two callers one gets it. `false`: it is still running.
pub async fn take_over_stale(
    db: &DatabaseConnection,
    key: &KeyRef<'_>,
    stale_before: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let taken = this(key)
        .col_expr(Column::CreatedAt, Expr::value(at))
        .filter(Column::Response.is_null())
        .filter(Column::CreatedAt.lt(stale_before))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Records `response` in the work's transaction `conn`. `false`: the claim is not waiting
/// for a response (it was completed or released meanwhile).
pub async fn complete<C: ConnectionTrait>(
    conn: &C,
    key: &KeyRef<'_>,
    response: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = completion(key, response, at).exec(conn).await?;
    Ok(done.rows_affected == 1)
}

/// The update that completes a claim (also run as a transition's write).
pub(super) fn completion(key: &KeyRef<'_>, response: &str, at: DateTime<Utc>) -> UpdateMany<idempotency_key::Entity> {
    this(key)
        .col_expr(Column::Response, Expr::value(response))
        .col_expr(Column::CompletedAt, Expr::value(at))
        .filter(Column::Response.is_null())
}

/// Frees a claim that has no response, so a corrected retry can run.
pub async fn release(db: &DatabaseConnection, key: &KeyRef<'_>) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(Column::MerchantId.eq(key.merchant.0))
        .filter(Column::Operation.eq(key.operation))
        .filter(Column::Key.eq(key.key))
        .filter(Column::Response.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn this(key: &KeyRef<'_>) -> UpdateMany<idempotency_key::Entity> {
    idempotency_key::Entity::update_many()
        .filter(Column::MerchantId.eq(key.merchant.0))
        .filter(Column::Operation.eq(key.operation))
        .filter(Column::Key.eq(key.key))
}
