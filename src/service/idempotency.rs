//! Idempotency keys for mutations that create money movement.
//!
//! A key is claimed before the work runs (a row with no response yet) and completed in the
//! work's own transaction, so the work and the record of it commit together:
//! - same key, same input, completed: the first response is replayed;
//! - same key, other input: refused with `IDEMPOTENCY_KEY_REUSED`;
//! - same key while the first call still runs: refused with `IDEMPOTENCY_KEY_IN_USE`;
//! - the work failed: the claim is released, so a corrected retry can run.
//!
//! A claim whose process died holds the key for [`STALE_AFTER_SECONDS`], then may be taken
//! over; because completion commits with the work, a taken-over key never runs twice.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::Services;
use crate::domain::MerchantId;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::idempotency_key::{self, Column};
use crate::storage::is_unique_violation;
use crate::storage::writes::SessionWrite;

pub const STALE_AFTER_SECONDS: i64 = 120;

/// A claimed key, to be completed in the work's transaction or released.
pub struct Claim {
    merchant: MerchantId,
    operation: &'static str,
    key: String,
}

impl Claim {
    /// The write that records `response` as this key's, to commit in the transaction of the
    /// work it records: the work and its record exist together or not at all.
    pub fn completion<R: Serialize>(&self, response: &R) -> AppResult<SessionWrite> {
        Ok(SessionWrite::CompleteIdempotency {
            merchant: self.merchant.0,
            operation: self.operation,
            key: self.key.clone(),
            response: serde_json::to_string(response).map_err(|e| AppError::Internal(e.into()))?,
        })
    }
}

/// What claiming a key found.
pub enum Claimed<R> {
    /// Run the work, then [`Services::complete_idempotency`] inside its transaction.
    Run(Claim),
    /// The work already ran with this input: here is its first response.
    Replay(R),
}

/// Hashes a request's canonical JSON form.
pub fn request_hash<T: Serialize>(input: &T) -> AppResult<String> {
    let json = serde_json::to_vec(input).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect())
}

impl Services {
    /// Claims `key` for `operation`, or finds why it cannot be run.
    pub async fn claim_idempotency<R: DeserializeOwned>(
        &self,
        merchant: MerchantId,
        operation: &'static str,
        key: &str,
        hash: &str,
    ) -> AppResult<Claimed<R>> {
        let now = self.now();
        let row = idempotency_key::ActiveModel {
            merchant_id: Set(merchant.0),
            operation: Set(operation.to_owned()),
            key: Set(key.to_owned()),
            request_hash: Set(hash.to_owned()),
            response: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        };
        let claim = Claim { merchant, operation, key: key.to_owned() };
        match row.insert(&self.db).await {
            Ok(_) => return Ok(Claimed::Run(claim)),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let existing = idempotency_key::Entity::find_by_id((merchant.0, operation.to_owned(), key.to_owned()))
            .one(&self.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("idempotency row vanished"))?;
        if existing.request_hash != hash {
            return Err(AppError::user(
                &["input", "idempotencyKey"],
                ErrorCode::IdempotencyKeyReused,
                "this idempotency key was used with different input",
            ));
        }
        if let Some(response) = existing.response {
            let replay = serde_json::from_str(&response).map_err(|e| AppError::Internal(e.into()))?;
            return Ok(Claimed::Replay(replay));
        }
        // Still running, unless its owner died: take a stale claim over, atomically.
        let stale_before = now - Duration::seconds(STALE_AFTER_SECONDS);
        let taken = idempotency_key::Entity::update_many()
            .col_expr(Column::CreatedAt, Expr::value(now))
            .filter(Column::MerchantId.eq(merchant.0))
            .filter(Column::Operation.eq(operation))
            .filter(Column::Key.eq(key))
            .filter(Column::Response.is_null())
            .filter(Column::CreatedAt.lt(stale_before))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Claimed::Run(claim));
        }
        Err(AppError::user(
            &["input", "idempotencyKey"],
            ErrorCode::IdempotencyKeyInUse,
            "a request with this idempotency key is in progress; retry later",
        ))
    }

    /// Records the response, in the transaction `conn` that does the work.
    pub async fn complete_idempotency<C: ConnectionTrait, R: Serialize>(
        &self,
        conn: &C,
        claim: &Claim,
        response: &R,
    ) -> AppResult<()> {
        let json = serde_json::to_string(response).map_err(|e| AppError::Internal(e.into()))?;
        idempotency_key::Entity::update_many()
            .col_expr(Column::Response, Expr::value(json))
            .col_expr(Column::CompletedAt, Expr::value(self.now()))
            .filter(Column::MerchantId.eq(claim.merchant.0))
            .filter(Column::Operation.eq(claim.operation))
            .filter(Column::Key.eq(claim.key.as_str()))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Frees a claim whose work failed, so the caller may retry with corrected input.
    pub async fn release_idempotency(&self, claim: Claim) {
        let result = idempotency_key::Entity::delete_many()
            .filter(Column::MerchantId.eq(claim.merchant.0))
            .filter(Column::Operation.eq(claim.operation))
            .filter(Column::Key.eq(claim.key.as_str()))
            .filter(Column::Response.is_null())
            .exec(&self.db)
            .await;
        if let Err(error) = result {
            // The claim turns stale and is taken over later; nothing is lost.
            tracing::warn!(%error, "could not release an idempotency claim");
        }
    }
}
