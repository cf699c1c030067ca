//! Stripe's dispute object read as paygraph's report of it (the `charge.dispute.*` events).

use crate::domain::dispute::{DisputeReason, DisputeStatus};

/// What a Stripe dispute says, before its PaymentIntent is matched to paygraph's payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeDispute {
    pub id: String,
    pub payment_intent: String,
    pub amount: i64,
    pub reason: DisputeReason,
    pub status: DisputeStatus,
    pub evidence_due_by: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads a dispute object; `None` when it is not one (or names no PaymentIntent).
pub fn dispute_of(object: &serde_json::Value) -> Option<StripeDispute> {
    if object.get("object")?.as_str()? != "dispute" {
        return None;
    }
    let due = object.pointer("/evidence_details/due_by").and_then(serde_json::Value::as_i64);
    Some(StripeDispute {
        id: object.get("id")?.as_str()?.to_owned(),
        payment_intent: object.get("payment_intent")?.as_str()?.to_owned(),
        amount: object.get("amount")?.as_i64()?,
        reason: reason_of(object.get("reason").and_then(|r| r.as_str()).unwrap_or("general")),
        status: status_of(object.get("status")?.as_str()?)?,
        evidence_due_by: due.and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0)),
    })
}

/// Stripe's reasons; the ones paygraph does not name (`bank_cannot_process`,
/// `debit_not_authorized`, …) are GENERAL.
fn reason_of(reason: &str) -> DisputeReason {
    match reason {
        "fraudulent" => DisputeReason::Fraudulent,
        "product_not_received" => DisputeReason::ProductNotReceived,
        "product_unacceptable" => DisputeReason::ProductUnacceptable,
        "duplicate" => DisputeReason::Duplicate,
        "subscription_canceled" => DisputeReason::SubscriptionCanceled,
        "credit_not_processed" => DisputeReason::CreditNotProcessed,
        "unrecognized" => DisputeReason::Unrecognized,
        _ => DisputeReason::General,
    }
}

/// Stripe's statuses; an inquiry (`warning_*`) is followed like a dispute, and one closed
/// without becoming a dispute is won.
fn status_of(status: &str) -> Option<DisputeStatus> {
    Some(match status {
        "warning_needs_response" | "needs_response" => DisputeStatus::NeedsResponse,
        "warning_under_review" | "under_review" => DisputeStatus::UnderReview,
        "warning_closed" | "won" => DisputeStatus::Won,
        "lost" => DisputeStatus::Lost,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dispute_object_reads_as_stripe_documents_it() {
        let object = serde_json::json!({ "id": "dp_1", "object": "dispute", "amount": 1999, "currency": "usd",
            "payment_intent": "pi_1", "reason": "bank_cannot_process", "status": "needs_response",
            "evidence_details": { "due_by": 1_800_000_000 } });
        let dispute = dispute_of(&object).unwrap();
        assert_eq!(dispute.reason, DisputeReason::General);
        assert_eq!(dispute.status, DisputeStatus::NeedsResponse);
        assert_eq!(dispute.evidence_due_by.unwrap().timestamp(), 1_800_000_000);
        assert_eq!(dispute_of(&serde_json::json!({ "object": "refund" })), None);
        assert_eq!(status_of("warning_closed"), Some(DisputeStatus::Won));
    }
}
