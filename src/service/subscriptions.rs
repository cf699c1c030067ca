//! Subscriptions: a recurring amount for a customer. Created INCOMPLETE; a SUBSCRIPTION
//! session's first payment activates it; `renewals` charges the periods after.

use super::{Core, validate};
use crate::domain::event::EventKind;
use crate::domain::subscription::{BillingInterval, Subscription, SubscriptionStatus, validate_period};
use crate::domain::{CustomerId, MerchantId, ProfileId, SessionStatus, SubscriptionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::kinds;
use crate::storage::listings::Listing;
pub use crate::storage::listings::SubscriptionFilter;
use crate::storage::transition::TransitionError;
use crate::storage::writes::{AccountWrite, Guard, SessionWrite};
use crate::storage::{self, records};

#[derive(Debug)]
pub struct SubscriptionInput {
    pub customer: CustomerId,
    pub amount: i64,
    pub currency: String,
    pub interval: BillingInterval,
    pub interval_count: i32,
}

/// Subscriptions: create, read, cancel.
#[derive(Clone)]
pub struct Subscriptions {
    core: Core,
    customers: super::customers::Customers,
}

impl Subscriptions {
    pub fn new(core: Core, customers: super::customers::Customers) -> Self {
        Subscriptions { core, customers }
    }
}

impl Subscriptions {
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, merchant: MerchantId, input: SubscriptionInput) -> AppResult<Subscription> {
        let price = validate::money(input.amount, &input.currency, &["input", "price"])?;
        validate_period(input.interval, input.interval_count)
            .map_err(|e| AppError::user(&["input", "intervalCount"], ErrorCode::InvalidPeriod, e.to_string()))?;
        self.customers
            .get(merchant, input.customer)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        let now = self.core.now();
        let sub = Subscription {
            id: SubscriptionId::new(),
            merchant,
            customer: input.customer,
            price,
            interval: input.interval,
            interval_count: input.interval_count,
            status: SubscriptionStatus::Incomplete,
            current_period_start: None,
            current_period_end: None,
            cancel_at_period_end: false,
            default_profile: None,
            renewal_session: None,
            billing_anchor: None,
            periods_paid: 0,
            canceled_at: None,
            paying_session: None,
            created_at: now,
            updated_at: now,
        };
        Ok(storage::subscriptions::create(&self.core.db, sub).await?)
    }

    pub async fn get(&self, merchant: MerchantId, id: SubscriptionId) -> AppResult<Option<Subscription>> {
        Ok(records::find::<kinds::Subscriptions>(&self.core.db, merchant, id.0).await?)
    }

    pub fn listing(&self, merchant: MerchantId, filter: SubscriptionFilter) -> Listing<kinds::Subscriptions> {
        crate::storage::listings::subscriptions(merchant, filter)
    }
}

impl Subscriptions {
    /// Cancels a subscription. At once: its open sessions are canceled (the customer can no
    /// longer pay them) and it is CANCELED now. At period end (ACTIVE only): it runs to the end
    /// of the period paid for and is then CANCELED instead of renewed.
    #[tracing::instrument(skip(self))]
    pub async fn cancel(
        &self,
        merchant: MerchantId,
        id: SubscriptionId,
        at_period_end: bool,
    ) -> AppResult<Subscription> {
        let field = ["input", "id"];
        let sub = self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&field, "subscription"))?;
        let status = sub.status;
        if status == SubscriptionStatus::Canceled {
            return Err(AppError::user(&field, ErrorCode::IllegalTransition, "this subscription is already canceled"));
        }
        let now = self.core.now();
        if at_period_end {
            if status != SubscriptionStatus::Active {
                return Err(AppError::user(
                    &["input", "atPeriodEnd"],
                    ErrorCode::NotAllowed,
                    format!("a {} subscription has no paid period to finish: cancel it at once", status.as_str()),
                ));
            }
            let write = AccountWrite::CancelAtPeriodEnd { subscription: sub.id.0, cancel: true };
            self.record(&sub, write, &["input", "atPeriodEnd"]).await?;
            return self.reread(merchant, id).await;
        }
        // Its sessions first: once they are closed nothing can complete and revive it.
        let payable = [SessionStatus::Open, SessionStatus::RequiresAction, SessionStatus::Processing];
        let open = storage::subscriptions::sessions_in(&self.core.db, sub.id.0, &payable).await?;
        for session in open {
            if session.status == SessionStatus::Processing {
                return Err(AppError::user(
                    &field,
                    ErrorCode::PaymentInProgress,
                    "a payment of this subscription is being processed; try again when it ends",
                ));
            }
            self.core.change_status(&session, SessionStatus::Canceled).await?;
        }
        // A payment that started since the sessions were read holds the subscription's claim:
        // canceling now would let its completion revive it.
        if !storage::subscriptions::cancel_now(&self.core.db, &sub, now).await? {
            return Err(AppError::user(
                &field,
                ErrorCode::VersionConflict,
                "the subscription changed meanwhile; read it again and retry",
            ));
        }
        self.core.customer_changed(merchant, sub.customer).await;
        Ok(self.get(merchant, id).await?.ok_or_else(|| anyhow::anyhow!("subscription vanished"))?)
    }

    /// Takes back a cancel at period end, while the period runs: it renews again.
    #[tracing::instrument(skip(self))]
    pub async fn resume(&self, merchant: MerchantId, id: SubscriptionId) -> AppResult<Subscription> {
        let sub = self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "subscription"))?;
        if !sub.cancel_at_period_end {
            return Ok(sub); // Nothing to take back: asking twice is no error.
        }
        let write = AccountWrite::CancelAtPeriodEnd { subscription: sub.id.0, cancel: false };
        self.record(&sub, write, &["input", "cancelAtPeriodEnd"]).await?;
        self.reread(merchant, id).await
    }

    /// Makes one of the customer's saved methods the one `id` renews on.
    #[tracing::instrument(skip(self))]
    pub async fn renew_on(
        &self,
        merchant: MerchantId,
        id: SubscriptionId,
        profile: ProfileId,
    ) -> AppResult<Subscription> {
        let sub = self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "subscription"))?;
        let field = ["input", "paymentProfileId"];
        let theirs = storage::profiles::live(&self.core.db, merchant, profile.0).await?;
        if theirs.is_none_or(|p| p.customer != sub.customer) {
            return Err(AppError::not_found(&field, "payment profile"));
        }
        let write = AccountWrite::RenewOn { subscription: sub.id.0, customer: sub.customer.0, profile: profile.0 };
        self.record(&sub, write, &["input", "id"]).await?;
        self.reread(merchant, id).await
    }

    /// One change of `sub`, recorded as a SUBSCRIPTION_UPDATED event of the session that
    /// started it, in one transaction; refused (`field`) when the subscription is no longer
    /// in a state for it.
    async fn record(&self, sub: &Subscription, write: AccountWrite, field: &[&str]) -> AppResult<()> {
        let Some(anchor) = storage::subscriptions::started_by(&self.core.db, sub.id.0).await? else {
            return Err(AppError::user(field, ErrorCode::IllegalTransition, "this subscription has not started"));
        };
        let writes = vec![SessionWrite::Account(write)];
        match self.core.record_account_change(&anchor, EventKind::SubscriptionUpdated, None, writes).await {
            Ok(()) => {
                self.core.customer_changed(sub.merchant, sub.customer).await;
                Ok(())
            }
            Err(TransitionError::Refused(Guard::SubscriptionChanged)) => Err(AppError::user(
                field,
                ErrorCode::IllegalTransition,
                "the subscription (or the method) is not in a state for this change; read it again",
            )),
            Err(error) => Err(super::transition::refusal(anchor.id, error)),
        }
    }

    async fn reread(&self, merchant: MerchantId, id: SubscriptionId) -> AppResult<Subscription> {
        Ok(self.get(merchant, id).await?.ok_or_else(|| anyhow::anyhow!("subscription vanished"))?)
    }
}
