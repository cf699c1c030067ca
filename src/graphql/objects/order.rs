use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Customer, Money, PaymentSession};
use crate::domain::{self, TypedId};
use crate::graphql::connection::{Conn, page_cost};
use crate::graphql::enums::OrderStatus;
use crate::graphql::loaders::PageArgs;
use crate::graphql::loaders::Parent;
use crate::graphql::loaders::kinds::{Customers, Sessions};
use crate::graphql::loaders::owned_children;

/// What a CHECKOUT session pays: line items and their total.
pub struct Order(pub domain::order::Order);

#[Object]
impl Order {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }
    /// The sum of the line items.
    async fn total(&self) -> Money {
        Money(self.0.total)
    }
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crate::graphql::loaders::by_id::<Customers>(ctx, self.0.customer.map(|c| c.0)).await?.map(Customer))
    }
    /// In the order they were given.
    async fn line_items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderLineItem>> {
        let currency = self.0.total.currency();
        let items = crate::graphql::loaders::line_items(ctx, self.0.id.0).await?;
        Ok(items.into_iter().map(|item| OrderLineItem::new(item, currency)).collect())
    }
    /// Sessions opened to pay this order, newest first.
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
        owned_children::<Sessions, _>(ctx, self.0.id.0, Parent::Order, args, PaymentSession).await
    }
}

/// One line of an order (or of what a payment link sells).
pub struct OrderLineItem {
    item: domain::order::LineItem,
    currency: domain::Currency,
}

impl OrderLineItem {
    pub fn new(item: domain::order::LineItem, currency: domain::Currency) -> Self {
        OrderLineItem { item, currency }
    }
}

#[Object]
impl OrderLineItem {
    async fn name(&self) -> &str {
        &self.item.name
    }
    async fn quantity(&self) -> i32 {
        self.item.quantity
    }
    async fn unit_price(&self) -> Money {
        Money(domain::Money::from_stored(self.item.unit_amount, self.currency))
    }
    /// Quantity times unit price.
    async fn total(&self) -> Money {
        let total = self.item.unit_amount.saturating_mul(i64::from(self.item.quantity));
        Money(domain::Money::from_stored(total, self.currency))
    }
}
