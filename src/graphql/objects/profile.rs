use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{Customer, PaymentSession};
use crate::domain::{self, ProfileId, TypedId};
use crate::graphql::enums::{self, PaymentMethodType};
use crate::storage::entities::{customer, payment_profile};

/// A payment method a customer saved, to pay later without entering it again.
pub struct PaymentProfile(pub payment_profile::Model);

#[Object]
impl PaymentProfile {
    pub async fn id(&self) -> ID {
        ID(ProfileId(self.0.id).to_global())
    }
    async fn method_type(&self) -> async_graphql::Result<PaymentMethodType> {
        Ok(enums::stored::<domain::PaymentMethodType>(&self.0.method_type)?.into())
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
        Ok(crate::graphql::loaders::by_id::<customer::Entity>(ctx, Some(self.0.customer_id)).await?.map(Customer))
    }
    /// The session that saved it.
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentSession>> {
        super::visible_session(ctx, self.0.payment_session_id).await
    }
}
