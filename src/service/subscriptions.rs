//! Subscriptions: a recurring amount for a customer. Created INCOMPLETE; a SUBSCRIPTION
//! session's first payment activates it (renewals come with the billing issue).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Select, Set};
use uuid::Uuid;

use super::{Services, validate};
use crate::domain::subscription::{BillingInterval, SubscriptionStatus, validate_period};
use crate::domain::{CustomerId, MerchantId, SubscriptionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::subscription;

#[derive(Debug)]
pub struct SubscriptionInput {
    pub customer: CustomerId,
    pub amount: i64,
    pub currency: String,
    pub interval: BillingInterval,
    pub interval_count: i32,
}

#[derive(Debug, Default)]
pub struct SubscriptionFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<SubscriptionStatus>,
}

impl Services {
    #[tracing::instrument(skip(self, input))]
    pub async fn create_subscription(
        &self,
        merchant: MerchantId,
        input: SubscriptionInput,
    ) -> AppResult<subscription::Model> {
        let price = validate::money(input.amount, &input.currency, &["input", "price"])?;
        validate_period(input.interval, input.interval_count)
            .map_err(|e| AppError::user(&["input", "intervalCount"], ErrorCode::InvalidPeriod, e.to_string()))?;
        self.customer(merchant, input.customer)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        let now = self.now();
        let row = subscription::ActiveModel {
            id: Set(Uuid::new_v4()),
            merchant_id: Set(merchant.0),
            customer_id: Set(input.customer.0),
            currency: Set(price.currency().code().to_owned()),
            amount: Set(price.amount()),
            interval: Set(input.interval.as_str().to_owned()),
            interval_count: Set(input.interval_count),
            status: Set(SubscriptionStatus::Incomplete.as_str().to_owned()),
            current_period_start: Set(None),
            current_period_end: Set(None),
            cancel_at_period_end: Set(false),
            default_payment_profile_id: Set(None),
            renewal_session_id: Set(None),
            billing_anchor: Set(None),
            periods_paid: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        };
        Ok(row.insert(&self.db).await?)
    }

    pub async fn subscription(
        &self,
        merchant: MerchantId,
        id: SubscriptionId,
    ) -> AppResult<Option<subscription::Model>> {
        Ok(subscription::Entity::find_by_id(id.0)
            .filter(subscription::Column::MerchantId.eq(merchant.0))
            .one(&self.db)
            .await?)
    }

    pub fn subscriptions_query(
        &self,
        merchant: MerchantId,
        filter: SubscriptionFilter,
    ) -> Select<subscription::Entity> {
        let mut select = subscription::Entity::find().filter(subscription::Column::MerchantId.eq(merchant.0));
        if let Some(customer) = filter.customer {
            select = select.filter(subscription::Column::CustomerId.eq(customer.0));
        }
        if let Some(status) = filter.status {
            select = select.filter(subscription::Column::Status.eq(status.as_str()));
        }
        select
    }
}
