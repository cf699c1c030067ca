//! The processor's webhooks in: a Stripe event is taken only with a valid `Stripe-Signature`
//! of the account it is addressed to (HMAC-SHA256 of `t.body`, compared in constant time,
//! 5 minutes of tolerance), applied through the same paths as every other outcome, and
//! recorded by its id before it is acknowledged; an id taken before is acknowledged and
//! dropped. An event about another account's payment changes nothing.

use std::sync::Arc;

use serde::Deserialize;
use uuid::Uuid;

use super::core::Core;
use super::disputes::{Disputes, Recorded};
use super::payments::{Payments, Settled};
use super::refunds::Refunds;
use crate::domain::webhook_signature::{self, SignatureError};
use crate::domain::{ProcessorAccountId, TypedId};
use crate::error::AppResult;
use crate::processor::stripe::disputes::dispute_of;
use crate::processor::{DisputeReport, Processors};
use crate::storage;

/// How far a signature's timestamp may be from now, as Stripe's own libraries allow.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// What became of an event that was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// It settled a payment or a refund.
    Applied,
    /// Recorded; nothing of paygraph's was waiting for it (or it is a kind paygraph does not use).
    Acknowledged,
    /// Its id was taken before.
    Duplicate,
}

/// Why an event was refused (400): nothing was applied or recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no such processor account, or it takes no webhooks")]
    UnknownAccount,
    #[error("the signature does not hold: {0}")]
    Signature(SignatureError),
    #[error("not a Stripe event")]
    Malformed,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Clone)]
pub struct ProcessorEvents {
    core: Core,
    processors: Arc<Processors>,
    payments: Payments,
    refunds: Refunds,
    disputes: Disputes,
}

impl ProcessorEvents {
    pub fn new(
        core: Core,
        processors: Arc<Processors>,
        payments: Payments,
        refunds: Refunds,
        disputes: Disputes,
    ) -> Self {
        ProcessorEvents { core, processors, payments, refunds, disputes }
    }

    /// Takes one Stripe event addressed to `account` (its global id, from the URL).
    pub async fn take_stripe(
        &self,
        account: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Result<Taken, Refused>> {
        let Ok(id) = ProcessorAccountId::from_global(account) else { return Ok(Err(Refused::UnknownAccount)) };
        let row = storage::processor_accounts::account(&self.core.db, id.0).await?;
        let Some(sealed) = row.and_then(|r| r.webhook_secret_sealed) else {
            return Ok(Err(Refused::UnknownAccount));
        };
        let secret = self.processors.secrets_key().open(id.0.as_bytes(), &sealed).map_err(anyhow::Error::from)?;
        let now = self.core.now().timestamp();
        let header = signature.ok_or(Refused::Signature(SignatureError::Malformed));
        if let Err(refused) = header.and_then(|h| {
            webhook_signature::verify(&secret, h, body, now, SIGNATURE_TOLERANCE_SECONDS).map_err(Refused::Signature)
        }) {
            return Ok(Err(refused));
        }
        let Ok(event) = serde_json::from_slice::<Event>(body) else { return Ok(Err(Refused::Malformed)) };
        if storage::processor_accounts::event_taken(&self.core.db, id.0, &event.id).await? {
            return Ok(Ok(Taken::Duplicate));
        }
        // Applied first, recorded after: a fault between the two makes Stripe send it again,
        // and applying it again changes nothing.
        let applied = self.apply(id.0, &event).await?;
        let fresh =
            storage::processor_accounts::take_event(&self.core.db, id.0, &event.id, &event.kind, self.core.now())
                .await?;
        Ok(Ok(match (fresh, applied) {
            (false, _) => Taken::Duplicate,
            (true, true) => Taken::Applied,
            (true, false) => Taken::Acknowledged,
        }))
    }

    /// Settles what the event is about; false when nothing was waiting for it.
    async fn apply(&self, account: Uuid, event: &Event) -> AppResult<bool> {
        let tag = |name: &str| {
            event
                .data
                .object
                .pointer(&format!("/metadata/{name}"))
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok())
        };
        if event.kind.starts_with("payment_intent.") {
            let Some(payment) = tag("paygraph_payment") else { return Ok(false) };
            return Ok(self.payments.settle_from_processor(payment, Some(account)).await? == Settled::Applied);
        }
        if event.kind.starts_with("refund.") || event.kind == "charge.refund.updated" {
            let Some(refund) = tag("paygraph_refund") else { return Ok(false) };
            return self.refunds.settle_from_processor(refund, account).await;
        }
        if event.kind.starts_with("charge.dispute.") {
            return self.dispute(account, &event.data.object).await;
        }
        Ok(false)
    }

    /// A `charge.dispute.*` event: the dispute as the (signed) event states it, for the
    /// account's own payment. Before the payment's outcome is recorded it is refused, and
    /// Stripe sends it again.
    async fn dispute(&self, account: Uuid, object: &serde_json::Value) -> AppResult<bool> {
        let Some(dispute) = dispute_of(object) else { return Ok(false) };
        let payment =
            storage::payments::by_processor_reference(&self.core.db, account, &dispute.payment_intent).await?;
        let Some(payment) = payment else { return Ok(false) };
        let report = DisputeReport {
            reference: dispute.id,
            charge_key: payment.to_string(),
            amount: dispute.amount,
            reason: dispute.reason,
            status: dispute.status,
            evidence_due_by: dispute.evidence_due_by,
        };
        match self.disputes.record(&report, Some(account)).await? {
            Recorded::Now => Ok(true),
            Recorded::Nothing => Ok(false),
            Recorded::NotYet => Err(anyhow::anyhow!("a dispute of a payment whose outcome is not recorded yet").into()),
        }
    }
}
