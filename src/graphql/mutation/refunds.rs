//! After the payment: giving money back (`refundPayment`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::RefundReason;
use crate::graphql::errors::gql;
use crate::graphql::objects::{Payment, Refund};
use crate::service::refunds::RefundInput;

#[derive(Default)]
pub struct RefundMutations;

#[derive(InputObject)]
pub struct RefundPaymentInput {
    /// A SUCCEEDED (captured) payment.
    pub payment_id: ID,
    /// Minor units of the payment's currency; left out: all that is left to refund.
    pub amount: Option<i64>,
    /// Default REQUESTED_BY_CUSTOMER.
    pub reason: Option<RefundReason>,
    /// The same key with the same input replays the first answer; with other input it is refused.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct RefundPaymentPayload {
    /// SUCCEEDED, or PENDING while the processor settles it (some cards' refunds fail later).
    pub refund: Option<Refund>,
    pub payment: Option<Payment>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl RefundMutations {
    /// Gives back part or all of a captured payment. Several partial refunds may be made;
    /// together they never exceed what was captured, also when they race.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        input: RefundPaymentInput,
    ) -> async_graphql::Result<RefundPaymentPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let refund = RefundInput {
                payment: input_id(&input.payment_id, "paymentId")?,
                amount: input.amount,
                reason: input.reason.map_or(crate::domain::refund::RefundReason::RequestedByCustomer, Into::into),
            };
            ctx.services().refunds.refund(merchant, refund, input.idempotency_key).await
        }
        .await;
        let (refunded, user_errors) = outcome(result)?;
        let (refund, payment) = refunded.map(|r| (Refund(r.refund), Payment(r.payment))).unzip();
        Ok(RefundPaymentPayload { refund, payment, user_errors })
    }
}
