use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Customer, Money, Order, Payment, PaymentLink, PaymentProfile, PaymentSessionEvent, Subscription};
use crate::domain::TypedId;
use crate::domain::session::PaymentSession as Session;
use crate::graphql::loaders::kinds::{Customers, Links, Orders, Payments, Profiles, Subscriptions};
use async_graphql::connection::{Connection, Edge};

use crate::graphql::connection::{Conn, TotalCount, page_cost};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{PaymentMethodType, PaymentSessionPurpose, PaymentSessionStatus};
use crate::graphql::errors::GqlResult;
use crate::graphql::loaders::Parent;
use crate::graphql::loaders::{self, children};
use crate::graphql::loaders::{PageArgs, SortField};
use crate::service::live::{event_cursor, parse_event_cursor};

/// A hosted, time-limited payment flow for one purpose.
pub struct PaymentSession(pub Session);

#[Object]
impl PaymentSession {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn status(&self) -> PaymentSessionStatus {
        self.0.status.into()
    }
    /// Rises by exactly one with every status change; events carry it too.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn purpose(&self) -> PaymentSessionPurpose {
        self.0.purpose.into()
    }
    /// MANUAL: its payment is authorized when the customer pays, and taken by `capturePayment`.
    async fn capture_method(&self) -> crate::graphql::enums::CaptureMethod {
        self.0.capture_method.into()
    }
    /// What the customer pays; none for SETUP.
    async fn amount(&self) -> Option<Money> {
        self.0.amount.map(Money)
    }
    /// After this instant the session cannot be paid.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn allowed_payment_methods(&self) -> Vec<PaymentMethodType> {
        self.0.allowed_methods.iter().copied().map(Into::into).collect()
    }
    /// The page where the customer pays; send the customer here.
    async fn hosted_url(&self, ctx: &Context<'_>) -> String {
        format!("{}/pay/{}", ctx.services().public_url, self.0.client_secret)
    }
    /// Where the hosted page sends the customer after paying.
    async fn success_url(&self) -> Option<&str> {
        self.0.success_url.as_deref()
    }
    /// The language of its hosted page, when the merchant chose one.
    async fn locale(&self) -> Option<&str> {
        self.0.locale.map(|l| l.as_str())
    }
    /// Failed payment attempts so far.
    async fn attempt_count(&self) -> i32 {
        self.0.attempt_count
    }
    /// Whether a successful payment saves the method as a profile of the customer.
    async fn save_payment_profile(&self) -> bool {
        self.0.save_payment_profile
    }
    async fn metadata(&self) -> async_graphql::Json<std::collections::BTreeMap<String, String>> {
        async_graphql::Json(self.0.metadata.clone())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crate::graphql::loaders::by_id::<Customers>(ctx, self.0.customer.map(|c| c.0)).await?.map(Customer))
    }
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Order>> {
        Ok(crate::graphql::loaders::by_id::<Orders>(ctx, self.0.order.map(|o| o.0)).await?.map(Order))
    }
    async fn subscription(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Subscription>> {
        Ok(crate::graphql::loaders::by_id::<Subscriptions>(ctx, self.0.subscription.map(|s| s.0))
            .await?
            .map(Subscription))
    }
    async fn payment_link(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentLink>> {
        Ok(crate::graphql::loaders::by_id::<Links>(ctx, self.0.payment_link.map(|l| l.0)).await?.map(PaymentLink))
    }
    /// The profile this session saved, if any.
    async fn payment_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentProfile>> {
        Ok(crate::graphql::loaders::by_id::<Profiles>(ctx, self.0.payment_profile.map(|p| p.0))
            .await?
            .map(PaymentProfile))
    }
    /// Every payment attempt, newest first.
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
        children::<Payments, _>(ctx, self.0.id.0, Parent::PaymentSession, args, Payment).await
    }
    /// The session's event log, oldest first (version order): `first`/`after` page forward,
    /// `last`/`before` from the newest back, as every connection does.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PaymentSessionEvent>> {
        let events = loaders::session_events(ctx, self.0.id.0).await?;
        let req = PageArgs::new(first, None, last, None).validate(SortField::CreatedAt, false).gql()?;
        let after = after.map(|c| parse_event_cursor(&c, "after")).transpose().gql()?;
        let before = before.map(|c| parse_event_cursor(&c, "before")).transpose().gql()?;
        let total = events.len() as u64;
        let window: Vec<_> = events
            .iter()
            .filter(|e| after.is_none_or(|a| e.seq > a) && before.is_none_or(|b| e.seq < b))
            .cloned()
            .collect();
        let size = usize::try_from(req.size).unwrap_or(usize::MAX);
        let more = window.len() > size;
        let (rows, has_previous, has_next) = if req.backward {
            (window[window.len().saturating_sub(size)..].to_vec(), more, before.is_some())
        } else {
            (window.into_iter().take(size).collect(), after.is_some(), more)
        };
        let mut conn = Connection::with_additional_fields(has_previous, has_next, TotalCount::known(total));
        conn.edges.extend(rows.into_iter().map(|event| Edge::new(event_cursor(event.seq), PaymentSessionEvent(event))));
        Ok(conn)
    }
}
