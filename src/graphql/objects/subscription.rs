use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Customer, Money, Payment, PaymentProfile, PaymentSession};
use crate::domain::TypedId;
use crate::domain::subscription as billing;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::enums::{BillingInterval, SubscriptionStatus};
use crate::graphql::loaders::PageArgs;
use crate::graphql::loaders::Parent;
use crate::graphql::loaders::kinds::{Customers, Payments, Profiles, Sessions};
use crate::graphql::loaders::owned_children;

/// A recurring charge for a customer. Billing objects own this name; the GraphQL root of
/// subscriptions is `SubscriptionRoot`.
pub struct Subscription(pub billing::Subscription);

#[Object]
impl Subscription {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn status(&self) -> SubscriptionStatus {
        self.0.status.into()
    }
    /// What each period costs.
    async fn price(&self) -> Money {
        Money(self.0.price)
    }
    async fn interval(&self) -> BillingInterval {
        self.0.interval.into()
    }
    async fn interval_count(&self) -> i32 {
        self.0.interval_count
    }
    async fn current_period_start(&self) -> Option<DateTime<Utc>> {
        self.0.current_period_start
    }
    async fn current_period_end(&self) -> Option<DateTime<Utc>> {
        self.0.current_period_end
    }
    /// Set by `cancelSubscription(atPeriodEnd: true)`: it ends when this period does.
    async fn cancel_at_period_end(&self) -> bool {
        self.0.cancel_at_period_end
    }
    async fn canceled_at(&self) -> Option<DateTime<Utc>> {
        self.0.canceled_at
    }
    /// The session of the current renewal while it waits to be paid (PAST_DUE: the customer
    /// pays it on its hosted page).
    async fn renewal_session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentSession>> {
        super::visible_session(ctx, self.0.renewal_session.map(|s| s.0)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crate::graphql::loaders::by_id::<Customers>(ctx, Some(self.0.customer.0)).await?.map(Customer))
    }
    /// The profile renewals are charged to.
    async fn default_payment_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentProfile>> {
        Ok(crate::graphql::loaders::by_id::<Profiles>(ctx, self.0.default_profile.map(|p| p.0))
            .await?
            .map(PaymentProfile))
    }
    /// Sessions opened to pay this subscription, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn payment_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PaymentSession>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Sessions, _>(ctx, self.0.id.0, Parent::Subscription, args, PaymentSession).await
    }
    /// Every payment attempt for this subscription (its first payment and renewals), newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Payment>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Payments, _>(ctx, self.0.id.0, Parent::Subscription, args, Payment).await
    }
}
