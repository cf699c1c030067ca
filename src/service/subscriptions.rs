//! Subscriptions: a recurring amount for a customer. Created INCOMPLETE; a SUBSCRIPTION
//! session's first payment activates it; `renewals` charges the periods after.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use super::{Services, validate};
use crate::domain::subscription::{BillingInterval, SubscriptionStatus, validate_period};
use crate::domain::{CustomerId, MerchantId, SessionStatus, SubscriptionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::{payment_session, subscription};
use crate::storage::listings::Listing;
pub use crate::storage::listings::SubscriptionFilter;

#[derive(Debug)]
pub struct SubscriptionInput {
    pub customer: CustomerId,
    pub amount: i64,
    pub currency: String,
    pub interval: BillingInterval,
    pub interval_count: i32,
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
            canceled_at: Set(None),
            paying_session_id: Set(None),
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
    ) -> Listing<subscription::Entity> {
        crate::storage::listings::subscriptions(merchant, filter)
    }
}

impl Services {
    /// Cancels a subscription. At once: its open sessions are canceled (the customer can no
    /// longer pay them) and it is CANCELED now. At period end (ACTIVE only): it runs to the end
    /// of the period paid for and is then CANCELED instead of renewed.
    #[tracing::instrument(skip(self))]
    pub async fn cancel_subscription(
        &self,
        merchant: MerchantId,
        id: SubscriptionId,
        at_period_end: bool,
    ) -> AppResult<subscription::Model> {
        use subscription::Column as S;
        let field = ["input", "id"];
        let sub = self.subscription(merchant, id).await?.ok_or_else(|| AppError::not_found(&field, "subscription"))?;
        let status: SubscriptionStatus = sub.status.parse().map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
        if status == SubscriptionStatus::Canceled {
            return Err(AppError::user(&field, ErrorCode::IllegalTransition, "this subscription is already canceled"));
        }
        let now = self.now();
        if at_period_end {
            if status != SubscriptionStatus::Active {
                return Err(AppError::user(
                    &["input", "atPeriodEnd"],
                    ErrorCode::NotAllowed,
                    format!("a {} subscription has no paid period to finish: cancel it at once", status.as_str()),
                ));
            }
            let mut row = sub.into_active_model();
            row.cancel_at_period_end = Set(true);
            row.updated_at = Set(now);
            return Ok(row.update(&self.db).await?);
        }
        // Its sessions first: once they are closed nothing can complete and revive it.
        let payable = [SessionStatus::Open, SessionStatus::RequiresAction, SessionStatus::Processing];
        let open = payment_session::Entity::find()
            .filter(payment_session::Column::SubscriptionId.eq(sub.id))
            .filter(payment_session::Column::Status.is_in(payable.iter().map(|s| s.as_str())))
            .all(&self.db)
            .await?;
        for session in open {
            if session.status == SessionStatus::Processing.as_str() {
                return Err(AppError::user(
                    &field,
                    ErrorCode::PaymentInProgress,
                    "a payment of this subscription is being processed; try again when it ends",
                ));
            }
            self.change_status(&session, SessionStatus::Canceled).await?;
        }
        let canceled = subscription::Entity::update_many()
            .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
            .col_expr(S::CanceledAt, Expr::value(now))
            .col_expr(S::UpdatedAt, Expr::value(now))
            .filter(S::Id.eq(sub.id))
            .filter(S::Status.eq(sub.status.as_str()))
            .exec(&self.db)
            .await?;
        if canceled.rows_affected != 1 {
            return Err(AppError::user(
                &field,
                ErrorCode::VersionConflict,
                "the subscription changed meanwhile; read it again and retry",
            ));
        }
        Ok(self.subscription(merchant, id).await?.ok_or_else(|| anyhow::anyhow!("subscription vanished"))?)
    }
}
