use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Customer, PaymentSession};
use crate::domain::{self, TypedId};
use crate::graphql::enums::PaymentMethodType;
use crate::graphql::loaders::kinds::Customers;

/// A payment method a customer saved, to pay later without entering it again.
pub struct PaymentProfile(pub domain::profile::PaymentProfile);

#[Object]
impl PaymentProfile {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn method_type(&self) -> PaymentMethodType {
        self.0.method.into()
    }
    async fn brand(&self) -> Option<&str> {
        self.0.brand.as_deref()
    }
    async fn last4(&self) -> Option<&str> {
        self.0.last4.as_deref()
    }
    async fn exp_month(&self) -> Option<i32> {
        self.0.exp_month
    }
    async fn exp_year(&self) -> Option<i32> {
        self.0.exp_year
    }
    /// Whether renewals charge this profile.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crate::graphql::loaders::by_id::<Customers>(ctx, Some(self.0.customer.0)).await?.map(Customer))
    }
    /// The session that saved it.
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentSession>> {
        super::visible_session(ctx, self.0.saved_by.map(|s| s.0)).await
    }
}
