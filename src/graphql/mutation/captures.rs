//! After the payment: taking or releasing a held payment (`capturePayment`, `voidPayment`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::Payment;
use crate::service::captures::CaptureInput;

#[derive(Default)]
pub struct CaptureMutations;

#[derive(InputObject)]
pub struct CapturePaymentInput {
    /// An AUTHORIZED payment (of a `captureMethod: MANUAL` session).
    pub payment_id: ID,
    /// Minor units of the payment's currency, at most its `amountCapturable`; left out: all
    /// of it. What is not captured is released to the customer.
    pub amount: Option<i64>,
    /// The same key with the same input replays the first answer; with other input it is refused.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct VoidPaymentInput {
    /// An AUTHORIZED payment.
    pub payment_id: ID,
}

#[derive(SimpleObject)]
pub struct CapturePaymentPayload {
    pub payment: Option<Payment>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct VoidPaymentPayload {
    pub payment: Option<Payment>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl CaptureMutations {
    /// Takes all or part of an authorized payment, which becomes SUCCEEDED (and its order
    /// PAID); the rest of the hold is released. An authorization is captured once.
    async fn capture_payment(
        &self,
        ctx: &Context<'_>,
        input: CapturePaymentInput,
    ) -> async_graphql::Result<CapturePaymentPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let capture = CaptureInput { payment: input_id(&input.payment_id, "paymentId")?, amount: input.amount };
            ctx.services().captures.capture(merchant, capture, input.idempotency_key).await
        }
        .await;
        let (payment, user_errors) = outcome(result)?;
        Ok(CapturePaymentPayload { payment: payment.map(Payment), user_errors })
    }

    /// Releases the hold of an authorized payment, which becomes VOIDED (and its order
    /// VOIDED); nothing is taken.
    async fn void_payment(
        &self,
        ctx: &Context<'_>,
        input: VoidPaymentInput,
    ) -> async_graphql::Result<VoidPaymentPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let payment = input_id(&input.payment_id, "paymentId")?;
            ctx.services().captures.void(merchant, payment).await
        }
        .await;
        let (payment, user_errors) = outcome(result)?;
        Ok(VoidPaymentPayload { payment: payment.map(Payment), user_errors })
    }
}
