use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{LedgerEntry, Money, Order, Payment, PaymentProfile, PaymentSession, Subscription};
use crate::domain::TypedId;
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResult;
use crate::graphql::loaders::PageArgs;
use crate::graphql::loaders::Parent;
use crate::graphql::loaders::kinds::{LedgerEntries, Orders, Payments, Profiles, Sessions, Subscriptions};
use crate::graphql::loaders::owned_children;
use crate::service::balances::balance_money;
use crate::service::validate;

/// Someone who pays a merchant.
pub struct Customer(pub crate::domain::customer::Customer);

#[Object]
impl Customer {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The merchant's own id for this customer.
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    /// The language of the customer's pages (`sv`, `de`, …), unless a session names its own.
    async fn preferred_locale(&self) -> Option<&str> {
        self.0.preferred_locale.map(|l| l.as_str())
    }
    async fn metadata(&self) -> async_graphql::Json<std::collections::BTreeMap<String, String>> {
        async_graphql::Json(self.0.metadata.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The customer's payment sessions, newest first.
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
        owned_children::<Sessions, _>(ctx, self.0.id.0, Parent::Customer, args, PaymentSession).await
    }
    /// The customer's orders, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Order>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Orders, _>(ctx, self.0.id.0, Parent::Customer, args, Order).await
    }
    /// The customer's subscriptions, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Subscription>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Subscriptions, _>(ctx, self.0.id.0, Parent::Customer, args, Subscription).await
    }
    /// Every payment attempt of the customer, newest first.
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
        owned_children::<Payments, _>(ctx, self.0.id.0, Parent::Customer, args, Payment).await
    }
    /// The balance in each currency the customer has ledger entries in: positive is credit
    /// they hold, negative what they owe (an OUTSTANDING_BALANCE session pays it).
    async fn balances(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Money>> {
        let totals = crate::graphql::loaders::balances(ctx, self.0.id.0).await?;
        totals.iter().map(|t| Ok(Money(balance_money(t.total, &t.currency).gql()?))).collect()
    }
    /// The balance in one currency: zero when the customer has no entries in it.
    async fn balance(&self, ctx: &Context<'_>, currency: String) -> async_graphql::Result<Money> {
        let currency = validate::currency(&currency, &["currency"]).map_err(crate::graphql::errors::gql)?;
        let totals = crate::graphql::loaders::balances(ctx, self.0.id.0).await?;
        let total = totals.iter().find(|t| t.currency == currency.code()).map_or(0, |t| t.total);
        Ok(Money(crate::domain::Money::from_stored(total, currency)))
    }
    /// Every movement of the customer's balances, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn ledger_entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<LedgerEntry>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<LedgerEntries, _>(ctx, self.0.id.0, Parent::Customer, args, LedgerEntry).await
    }
    /// The profile renewals and off-session payments charge.
    async fn default_payment_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentProfile>> {
        ctx.caller()?.secret_key_holder().map_err(crate::graphql::errors::gql)?;
        Ok(ctx.services().profiles.default_of(self.0.id).await.gql()?.map(PaymentProfile))
    }
    /// Saved payment methods, newest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn payment_profiles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PaymentProfile>> {
        let args = PageArgs::new(first, after, last, before);
        owned_children::<Profiles, _>(ctx, self.0.id.0, Parent::Customer, args, PaymentProfile).await
    }
}
