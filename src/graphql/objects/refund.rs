use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Money, Payment};
use crate::domain::TypedId;
use crate::domain::refund::Refund as Stored;
use crate::graphql::enums::{RefundReason, RefundStatus};
use crate::graphql::loaders;
use crate::graphql::loaders::kinds::Payments;

/// Money given back from a captured payment, in part or in full.
pub struct Refund(pub Stored);

#[Object]
impl Refund {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    /// PENDING until the processor settles it; a FAILED refund's amount may be refunded again.
    async fn status(&self) -> RefundStatus {
        self.0.status.into()
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    async fn reason(&self) -> RefundReason {
        self.0.reason.into()
    }
    /// Why the processor failed it, e.g. `expired_or_canceled_card`.
    async fn failure_code(&self) -> Option<&str> {
        self.0.failure_code.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn payment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Payment>> {
        Ok(loaders::by_id::<Payments>(ctx, Some(self.0.payment.0)).await?.map(Payment))
    }
}
