//! Disputes: a customer's bank took a payment back (a chargeback) and the merchant may answer
//! with evidence until a deadline. The processor runs the lifecycle and decides nothing here
//! but what the merchant may still do; paygraph keeps the dispute, the evidence drafted for
//! it, and what it means for the money (no refund while it is open).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{DisputeId, MerchantId, Money, PaymentId, SessionId};

string_enum!(
    /// Why the customer's bank disputes the payment, with Stripe's names.
    DisputeReason, "dispute reason" {
        Fraudulent => "FRAUDULENT",
        ProductNotReceived => "PRODUCT_NOT_RECEIVED",
        ProductUnacceptable => "PRODUCT_UNACCEPTABLE",
        Duplicate => "DUPLICATE",
        SubscriptionCanceled => "SUBSCRIPTION_CANCELED",
        CreditNotProcessed => "CREDIT_NOT_PROCESSED",
        Unrecognized => "UNRECOGNIZED",
        General => "GENERAL",
    }
);

string_enum!(
    /// NEEDS_RESPONSE until the merchant submits evidence (UNDER_REVIEW) or concedes; the
    /// bank's decision closes it, WON or LOST.
    DisputeStatus, "dispute status" {
        NeedsResponse => "NEEDS_RESPONSE",
        UnderReview => "UNDER_REVIEW",
        Won => "WON",
        Lost => "LOST",
    }
);

impl DisputeStatus {
    /// Still to be decided: the payment's money is held by the bank meanwhile.
    pub fn is_open(self) -> bool {
        matches!(self, DisputeStatus::NeedsResponse | DisputeStatus::UnderReview)
    }

    /// Whether a dispute may go from this status to `next`: only forward (a processor's
    /// events may arrive out of order; an older one must not undo a newer), and never out
    /// of a decision.
    pub fn may_become(self, next: DisputeStatus) -> bool {
        let rank = |status: DisputeStatus| match status {
            DisputeStatus::NeedsResponse => 0,
            DisputeStatus::UnderReview => 1,
            DisputeStatus::Won | DisputeStatus::Lost => 2,
        };
        self.is_open() && rank(next) > rank(self)
    }
}

/// The longest text one evidence field takes (Stripe's limit for its text fields).
pub const EVIDENCE_FIELD_LIMIT: usize = 20_000;

/// What the merchant answers with: Stripe's text fields of dispute evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisputeEvidence {
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub product_description: Option<String>,
    pub shipping_tracking_number: Option<String>,
    pub refund_policy: Option<String>,
    pub cancellation_policy: Option<String>,
    /// Anything else the merchant wants the bank to read (Stripe's `uncategorized_text`).
    pub explanation: Option<String>,
}

impl DisputeEvidence {
    /// The draft with `changes` laid over it: a field given replaces the draft's, a field
    /// left out keeps it, an empty text clears it.
    pub fn updated_with(&self, changes: DisputeEvidence) -> DisputeEvidence {
        let pick = |new: Option<String>, old: &Option<String>| match new {
            Some(text) if text.is_empty() => None,
            Some(text) => Some(text),
            None => old.clone(),
        };
        DisputeEvidence {
            customer_name: pick(changes.customer_name, &self.customer_name),
            customer_email: pick(changes.customer_email, &self.customer_email),
            product_description: pick(changes.product_description, &self.product_description),
            shipping_tracking_number: pick(changes.shipping_tracking_number, &self.shipping_tracking_number),
            refund_policy: pick(changes.refund_policy, &self.refund_policy),
            cancellation_policy: pick(changes.cancellation_policy, &self.cancellation_policy),
            explanation: pick(changes.explanation, &self.explanation),
        }
    }

    /// Each field with its name in the API, for validation.
    pub fn fields(&self) -> [(&'static str, &Option<String>); 7] {
        [
            ("customerName", &self.customer_name),
            ("customerEmail", &self.customer_email),
            ("productDescription", &self.product_description),
            ("shippingTrackingNumber", &self.shipping_tracking_number),
            ("refundPolicy", &self.refund_policy),
            ("cancellationPolicy", &self.cancellation_policy),
            ("explanation", &self.explanation),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    pub id: DisputeId,
    pub merchant: MerchantId,
    pub payment: PaymentId,
    pub session: SessionId,
    pub amount: Money,
    pub reason: DisputeReason,
    pub status: DisputeStatus,
    pub evidence: DisputeEvidence,
    pub evidence_due_by: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The processor's id of the dispute: the same dispute reported twice is one.
    pub processor_reference: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a dispute's evidence can no longer change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotEditable {
    #[error("its evidence was submitted")]
    Submitted,
    #[error("it is closed")]
    Closed,
    #[error("its evidence was due by {0}")]
    PastDue(DateTime<Utc>),
}

impl Dispute {
    /// Whether the merchant may still change, submit or concede it at `now`.
    pub fn editable(&self, now: DateTime<Utc>) -> Result<(), NotEditable> {
        match self.status {
            DisputeStatus::Won | DisputeStatus::Lost => Err(NotEditable::Closed),
            DisputeStatus::UnderReview => Err(NotEditable::Submitted),
            DisputeStatus::NeedsResponse if now >= self.evidence_due_by => {
                Err(NotEditable::PastDue(self.evidence_due_by))
            }
            DisputeStatus::NeedsResponse => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dispute_only_moves_forward() {
        use DisputeStatus::*;
        assert!(NeedsResponse.may_become(UnderReview) && NeedsResponse.may_become(Lost));
        assert!(UnderReview.may_become(Won));
        assert!(!UnderReview.may_become(NeedsResponse), "a stale event does not reopen it");
        assert!(!Won.may_become(Lost) && !Lost.may_become(Won) && !NeedsResponse.may_become(NeedsResponse));
    }

    #[test]
    fn a_draft_is_changed_field_by_field_and_an_empty_text_clears_one() {
        let draft = DisputeEvidence {
            customer_name: Some("Ada".into()),
            explanation: Some("shipped".into()),
            ..Default::default()
        };
        let changes = DisputeEvidence {
            explanation: Some(String::new()),
            refund_policy: Some("30 days".into()),
            ..Default::default()
        };
        let updated = draft.updated_with(changes);
        assert_eq!(updated.customer_name.as_deref(), Some("Ada"));
        assert_eq!(updated.refund_policy.as_deref(), Some("30 days"));
        assert_eq!(updated.explanation, None);
    }
}
