use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::method_summary::PaymentMethodSummary;
use super::{Money, PaymentSession};
use crate::domain::TypedId;
use crate::domain::payment::Payment as Attempt;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{FraudDecision, PaymentMethodType, PaymentStatus};
use crate::graphql::loaders;
use crate::graphql::loaders::kinds::{Disputes, Profiles, Refunds, Subscriptions};
use crate::graphql::loaders::{PageArgs, Parent, children};

/// One attempt to collect a session's money.
pub struct Payment(pub Attempt);

#[Object]
impl Payment {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }
    async fn amount(&self) -> Option<Money> {
        Some(Money(self.0.amount))
    }
    /// What was taken: all of `amount` once SUCCEEDED, unless a manual capture took less;
    /// zero before (and for a VOIDED or FAILED payment).
    async fn amount_captured(&self) -> Money {
        Money(self.0.amount_captured)
    }
    /// What `capturePayment` may still take: all of an AUTHORIZED payment, zero otherwise.
    async fn amount_capturable(&self) -> Money {
        Money(crate::domain::Money::from_stored(self.0.amount_capturable(), self.0.amount.currency()))
    }
    /// An AUTHORIZED payment's deadline: not captured by then, it is voided.
    async fn capture_before(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.capture_before.filter(|_| self.0.status == crate::domain::PaymentStatus::Authorized)
    }
    /// What refunds hold of `amountCaptured`: succeeded and still pending ones (a failed
    /// refund gives its share back).
    async fn amount_refunded(&self) -> Money {
        Money(self.0.amount_refunded)
    }
    /// What the customer's bank holds of it (open disputes) or took back (lost ones).
    async fn amount_disputed(&self) -> Money {
        Money(self.0.amount_disputed)
    }
    /// Its disputes, newest first; seen with a secret key only.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn disputes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<super::Dispute>> {
        ctx.caller()?.secret_key_holder().map_err(crate::graphql::errors::gql)?;
        let args = PageArgs::new(first, after, last, before);
        children::<Disputes, _>(ctx, self.0.id.0, Parent::Payment, args, super::Dispute).await
    }
    /// Its refunds, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn refunds(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<super::Refund>> {
        let args = PageArgs::new(first, after, last, before);
        children::<Refunds, _>(ctx, self.0.id.0, Parent::Payment, args, super::Refund).await
    }
    async fn method_type(&self) -> PaymentMethodType {
        self.0.method.into()
    }
    /// What the customer paid with: brand and last 4, wallet, or IBAN country. Never a number.
    async fn method_summary(&self) -> PaymentMethodSummary {
        self.0.summary.clone().into()
    }
    /// Keyed fingerprint of the card (or wallet card, or IBAN): equal for the same card across
    /// this deployment, useless anywhere else. Block a card by it.
    async fn card_fingerprint(&self) -> Option<&str> {
        self.0.fingerprint.as_deref()
    }
    /// The IP address the confirmation came from.
    async fn client_ip(&self) -> Option<&str> {
        self.0.client_ip.as_deref()
    }
    /// The processor's own id of the charge (a Stripe PaymentIntent `pi_…`), for finding it
    /// in the processor's dashboard; null on the test processor.
    async fn processor_reference(&self) -> Option<&str> {
        self.0.processor_reference.as_deref()
    }
    /// Why the processor declined, e.g. `insufficient_funds`; `blocked` when a fraud rule
    /// (`fraudRule`) stopped it first.
    async fn decline_code(&self) -> Option<&str> {
        self.0.decline_code.as_ref().map(|f| f.as_str())
    }
    /// 0 (no risk) to 100, from the fraud checks before the charge.
    async fn risk_score(&self) -> i32 {
        self.0.risk_score
    }
    /// The fraud rule that decided, when one did.
    async fn fraud_rule(&self) -> Option<&str> {
        self.0.fraud_rule.as_deref()
    }
    async fn fraud_decision(&self) -> FraudDecision {
        self.0.fraud_decision.into()
    }
    /// Charged without the customer present: a subscription renewal.
    async fn off_session(&self) -> bool {
        self.0.off_session
    }
    /// The saved profile charged, when the attempt used one.
    async fn payment_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::PaymentProfile>> {
        ctx.caller()?.secret_key_holder().map_err(crate::graphql::errors::gql)?;
        let id = self.0.profile.map(|p| p.0);
        Ok(loaders::by_id::<Profiles>(ctx, id).await?.map(super::PaymentProfile))
    }
    /// The subscription this payment is for.
    async fn subscription(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::Subscription>> {
        ctx.caller()?.secret_key_holder().map_err(crate::graphql::errors::gql)?;
        let id = self.0.subscription.map(|s| s.0);
        Ok(loaders::by_id::<Subscriptions>(ctx, id).await?.map(super::Subscription))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentSession>> {
        super::visible_session(ctx, Some(self.0.session.0)).await
    }
}
