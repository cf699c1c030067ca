use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Money, Payment};
use crate::domain::TypedId;
use crate::domain::dispute::{Dispute as Stored, DisputeEvidence as StoredEvidence};
use crate::graphql::enums::{DisputeReason, DisputeStatus};
use crate::graphql::loaders;
use crate::graphql::loaders::kinds::Payments;

/// A payment the customer's bank took back (a chargeback), which the merchant may answer
/// with evidence until `evidenceDueBy`. Seen with a secret key only.
pub struct Dispute(pub Stored);

/// What the merchant answers a dispute with: Stripe's text fields of evidence.
#[derive(SimpleObject)]
#[graphql(name = "DisputeEvidence")]
pub struct Evidence {
    customer_name: Option<String>,
    customer_email: Option<String>,
    product_description: Option<String>,
    shipping_tracking_number: Option<String>,
    refund_policy: Option<String>,
    cancellation_policy: Option<String>,
    /// Anything else the bank should read.
    explanation: Option<String>,
}

impl From<StoredEvidence> for Evidence {
    fn from(e: StoredEvidence) -> Self {
        Evidence {
            customer_name: e.customer_name,
            customer_email: e.customer_email,
            product_description: e.product_description,
            shipping_tracking_number: e.shipping_tracking_number,
            refund_policy: e.refund_policy,
            cancellation_policy: e.cancellation_policy,
            explanation: e.explanation,
        }
    }
}

#[Object]
impl Dispute {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    /// What the bank took back.
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    async fn reason(&self) -> DisputeReason {
        self.0.reason.into()
    }
    async fn status(&self) -> DisputeStatus {
        self.0.status.into()
    }
    /// The last moment to submit evidence or concede.
    async fn evidence_due_by(&self) -> DateTime<Utc> {
        self.0.evidence_due_by
    }
    /// The evidence as drafted (`updateDisputeEvidence`) or submitted.
    async fn evidence(&self) -> Evidence {
        self.0.evidence.clone().into()
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// When it was decided (WON or LOST).
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn payment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Payment>> {
        Ok(loaders::by_id::<Payments>(ctx, Some(self.0.payment.0)).await?.map(Payment))
    }
}
