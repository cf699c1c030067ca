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
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::Core;
use crate::domain::MerchantId;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::idempotency::KeyRef;
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
    /// Run the work, and record it in the work's transaction ([`Claim::completion`]).
    Run(Claim),
    /// The work already ran with this input: here is its first response.
    Replay(R),
}

/// Hashes a request's canonical JSON form.
pub fn request_hash<T: Serialize>(input: &T) -> AppResult<String> {
    let json = serde_json::to_vec(input).map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::domain::hex(&Sha256::digest(&json)))
}

impl Claim {
    fn key(&self) -> KeyRef<'_> {
        KeyRef { merchant: self.merchant, operation: self.operation, key: &self.key }
    }

    /// The key and `response`, for storage to record with work that is not a transition.
    pub fn record<R: Serialize>(&self, response: &R) -> AppResult<(KeyRef<'_>, String)> {
        Ok((self.key(), serde_json::to_string(response).map_err(|e| AppError::Internal(e.into()))?))
    }
}

impl Core {
    /// Claims `key` for `operation`, or finds why it cannot be run.
    pub async fn claim_idempotency<R: DeserializeOwned>(
        &self,
        merchant: MerchantId,
        operation: &'static str,
        key: &str,
        hash: &str,
    ) -> AppResult<Claimed<R>> {
        let now = self.now();
        let claim = Claim { merchant, operation, key: key.to_owned() };
        if storage::idempotency::insert_claim(&self.db, &claim.key(), hash, now).await? {
            return Ok(Claimed::Run(claim));
        }
        let existing = storage::idempotency::find(&self.db, &claim.key())
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
        if storage::idempotency::take_over_stale(&self.db, &claim.key(), stale_before, now).await? {
            return Ok(Claimed::Run(claim));
        }
        Err(AppError::user(
            &["input", "idempotencyKey"],
            ErrorCode::IdempotencyKeyInUse,
            "a request with this idempotency key is in progress; retry later",
        ))
    }

    /// Frees a claim whose work failed, so the caller may retry with corrected input.
    pub async fn release_idempotency(&self, claim: Claim) {
        if let Err(error) = storage::idempotency::release(&self.db, &claim.key()).await {
            // The claim turns stale and is taken over later; nothing is lost.
            tracing::warn!(%error, "could not release an idempotency claim");
        }
    }
}
