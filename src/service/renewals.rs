//! Renewals: when an ACTIVE subscription's period ends, the next period is charged
//! off-session from its saved profile, as a new SUBSCRIPTION session paid by the background
//! job. Every renewal attempt is a Payment of that session (`offSession: true`).
//!
//! - Paid: the session COMPLETES and the subscription runs one more period (see
//!   `fulfilment`), all in the completion's transaction.
//! - Declined, blocked, needing 3-D Secure, or no profile to charge: the subscription is
//!   PAST_DUE and the session stays payable on the hosted page for
//!   [`RENEWAL_PAYMENT_WINDOW`]; paying it there makes the subscription ACTIVE again.
//! - That session ends unpaid (expired, failed at the attempt limit, or canceled by the
//!   merchant): the subscription is CANCELED.
//! - `cancelAtPeriodEnd`: at the period's end the subscription is CANCELED, not charged.
//! - Interrupted between the claim and the charge (a crash, the database gone): a later pass
//!   finds the claimed session still OPEN with no attempt and charges it then.
//!
//! Several instances may run the job at once. A renewal is claimed by setting the
//! subscription's `renewal_session_id` where it is still empty for that period end, in the
//! transaction that creates the session: of two instances one claims it, the other changes
//! nothing, and only the claimed session is ever charged.

use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::Services;
use super::auth::Caller;
use super::payments::PaymentMethodInput;
use super::payments::attempt::Attempt;
use super::sessions::open_session;
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{CustomerId, MerchantId, ProfileId, SessionId, SessionPurpose, SessionStatus, SubscriptionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::{payment_profile, payment_session, subscription};
use crate::storage::events::insert_event;

/// How long a renewal the customer has to pay themselves stays payable on the hosted page.
/// Longer than the 24 hours a merchant's own session may last: this is dunning, not checkout.
pub const RENEWAL_PAYMENT_WINDOW: Duration = Duration::days(7);

const RENEWAL_BATCH: u64 = 100;

/// A claimed renewal with no attempt after this long was interrupted, not slow.
const STRANDED_AFTER: Duration = Duration::minutes(1);

/// What one pass of the renewal job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPass {
    /// Renewals this pass claimed (charged, or opened for the customer to pay).
    pub renewed: usize,
    /// Subscriptions that ended: canceled at period end, or their renewal went unpaid.
    pub canceled: usize,
    /// Renewals claimed earlier whose charge never ran (the instance died or the database
    /// failed between the claim and the charge), charged now.
    pub resumed: usize,
}

impl Services {
    /// Renews every ACTIVE subscription whose period has ended, ends those set to cancel at
    /// period end, and cancels those whose renewal session ended unpaid.
    pub async fn renew_once(&self) -> AppResult<RenewalPass> {
        use subscription::Column as S;
        let due = subscription::Entity::find()
            .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
            .filter(S::CurrentPeriodEnd.lte(self.now()))
            .filter(S::RenewalSessionId.is_null())
            .order_by_asc(S::CurrentPeriodEnd)
            .limit(RENEWAL_BATCH)
            .all(&self.db)
            .await?;
        let mut pass = RenewalPass::default();
        for sub in due {
            if sub.cancel_at_period_end {
                pass.canceled += usize::from(self.end_at_period_end(&sub).await?);
                continue;
            }
            match self.renew(&sub).await {
                Ok(claimed) => pass.renewed += usize::from(claimed),
                // One subscription's fault must not hold up the others; it is retried next pass
                // if its claim did not commit, and is PAST_DUE with its session if it did.
                Err(error) => tracing::warn!(subscription = %sub.id, error = %format!("{error:#}"), "renewal failed"),
            }
        }
        pass.resumed = self.resume_stranded().await?;
        pass.canceled += self.lapse_unpaid().await?;
        Ok(pass)
    }

    /// Claims and charges one renewal. `false`: another instance claimed it first.
    async fn renew(&self, sub: &subscription::Model) -> AppResult<bool> {
        let Some(session) = self.claim_renewal(sub).await? else { return Ok(false) };
        self.charge_renewal(sub, &session).await?;
        Ok(true)
    }

    /// The first half of a renewal: the subscription's period is claimed and its session
    /// created, in one transaction. `None`: it was claimed already (another instance, or an
    /// earlier pass). Public so tests can stop a renewal here, as a crash would.
    pub async fn claim_renewal(&self, sub: &subscription::Model) -> AppResult<Option<payment_session::Model>> {
        use subscription::Column as S;
        let merchant = MerchantId(sub.merchant_id);
        let now = self.now();
        let row = payment_session::Model {
            currency: Some(sub.currency.clone()),
            amount: Some(sub.amount),
            customer_id: Some(sub.customer_id),
            subscription_id: Some(sub.id),
            // Paid by hand on the hosted page, the new method is what later renewals charge.
            save_payment_profile: true,
            set_profile_as_default: true,
            ..open_session(merchant, SessionPurpose::Subscription, now, now + RENEWAL_PAYMENT_WINDOW)
        };
        let session_id = row.id;

        let txn = self.db.begin().await?;
        // The claim is the transaction's first write: on SQLite it takes the write lock, on
        // PostgreSQL a racing claim waits on the row and then finds it taken.
        let claimed = subscription::Entity::update_many()
            .col_expr(S::RenewalSessionId, Expr::value(session_id))
            .col_expr(S::UpdatedAt, Expr::value(now))
            .filter(S::Id.eq(sub.id))
            .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
            .filter(S::RenewalSessionId.is_null())
            .filter(S::CurrentPeriodEnd.eq(sub.current_period_end))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(None); // Dropping the transaction rolls it back.
        }
        let session = payment_session::ActiveModel::from(row).insert(&txn).await?;
        let event = insert_event(&txn, &session, None, now).await?;
        txn.commit().await?;
        self.publish(event).await;
        Ok(Some(session))
    }

    /// The second half: the off-session charge of the claimed session, or PAST_DUE when there
    /// is nothing to charge or the attempt could not be made.
    async fn charge_renewal(&self, sub: &subscription::Model, session: &payment_session::Model) -> AppResult<()> {
        let Some(profile) = self.renewal_profile(sub).await? else {
            tracing::info!(subscription = %sub.id, "no saved profile to renew with; PAST_DUE until the customer pays");
            return self.mark_past_due(session).await;
        };
        let method = PaymentMethodInput::Profile(ProfileId(profile.id));
        let caller = Caller::Merchant(MerchantId(sub.merchant_id));
        let attempt = Attempt { caller, id: SessionId(session.id), method, client_ip: None, off_session: true };
        let attempt = self.attempt(attempt, None).await;
        match attempt {
            Ok(_) => Ok(()),
            // Another instance resumed the same renewal at the same moment: its attempt stands.
            Err(AppError::User(errors)) if errors.iter().any(|e| e.code == ErrorCode::VersionConflict) => Ok(()),
            Err(error) => {
                // The session is the customer's to pay now; the subscription must say so.
                self.mark_past_due(session).await?;
                Err(error)
            }
        }
    }

    /// Charges renewals whose claim committed but whose charge never ran: the subscription is
    /// still ACTIVE and its renewal session OPEN with no attempt, for longer than a renewal
    /// takes. Racing instances are settled by the session's compare-and-set: one charge.
    async fn resume_stranded(&self) -> AppResult<usize> {
        use payment_session::Column as P;
        let waiting = Query::select()
            .column(subscription::Column::RenewalSessionId)
            .from(subscription::Entity)
            .and_where(subscription::Column::Status.eq(SubscriptionStatus::Active.as_str()))
            .and_where(subscription::Column::RenewalSessionId.is_not_null())
            .to_owned();
        let stranded = payment_session::Entity::find()
            .filter(P::Id.in_subquery(waiting))
            .filter(P::Status.eq(SessionStatus::Open.as_str()))
            .filter(P::AttemptCount.eq(0))
            .filter(P::UpdatedAt.lte(self.now() - STRANDED_AFTER))
            .limit(RENEWAL_BATCH)
            .all(&self.db)
            .await?;
        let mut resumed = 0;
        for session in stranded {
            let Some(sub_id) = session.subscription_id else { continue };
            let Some(sub) = self.subscription(MerchantId(session.merchant_id), SubscriptionId(sub_id)).await? else {
                continue;
            };
            tracing::warn!(subscription = %sub.id, session = %session.id, "resuming a renewal whose charge never ran");
            match self.charge_renewal(&sub, &session).await {
                Ok(()) => resumed += 1,
                Err(error) => tracing::warn!(subscription = %sub.id, error = %format!("{error:#}"), "renewal failed"),
            }
        }
        Ok(resumed)
    }

    /// The profile a renewal charges: the subscription's own, else the customer's default.
    async fn renewal_profile(&self, sub: &subscription::Model) -> AppResult<Option<payment_profile::Model>> {
        if let Some(id) = sub.default_payment_profile_id
            && let Some(profile) = self.profile(MerchantId(sub.merchant_id), ProfileId(id)).await?
        {
            return Ok(Some(profile));
        }
        self.default_profile(CustomerId(sub.customer_id)).await
    }

    /// With a renewal session that was not paid: its subscription is PAST_DUE (the same
    /// write a failed attempt carries with its status change).
    async fn mark_past_due(&self, session: &payment_session::Model) -> AppResult<()> {
        if session.purpose == SessionPurpose::Subscription.as_str() {
            subscription::Entity::update_many()
                .col_expr(subscription::Column::Status, Expr::value(SubscriptionStatus::PastDue.as_str()))
                .col_expr(subscription::Column::UpdatedAt, Expr::value(self.now()))
                .filter(subscription::Column::RenewalSessionId.eq(session.id))
                .filter(subscription::Column::Status.eq(SubscriptionStatus::Active.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// A subscription set to cancel at period end reaches it: CANCELED, as of that moment.
    async fn end_at_period_end(&self, sub: &subscription::Model) -> AppResult<bool> {
        use subscription::Column as S;
        let ended = subscription::Entity::update_many()
            .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
            .col_expr(S::CanceledAt, Expr::value(sub.current_period_end))
            .col_expr(S::UpdatedAt, Expr::value(self.now()))
            .filter(S::Id.eq(sub.id))
            .filter(S::Status.eq(SubscriptionStatus::Active.as_str()))
            .filter(S::CancelAtPeriodEnd.eq(true))
            .filter(S::RenewalSessionId.is_null())
            .filter(S::CurrentPeriodEnd.eq(sub.current_period_end))
            .exec(&self.db)
            .await?;
        Ok(ended.rows_affected == 1)
    }

    /// Cancels subscriptions whose renewal session ended without being paid.
    async fn lapse_unpaid(&self) -> AppResult<usize> {
        use payment_session::Column as P;
        use subscription::Column as S;
        let waiting = [SubscriptionStatus::Active.as_str(), SubscriptionStatus::PastDue.as_str()];
        let unpaid = [SessionStatus::Expired, SessionStatus::Failed, SessionStatus::Canceled];
        // From the few subscriptions waiting on a renewal to their sessions (by primary key),
        // and a write only when one has lapsed: this runs every second on every instance.
        let lapsed_ids = Query::select()
            .column((subscription::Entity, S::Id))
            .from(subscription::Entity)
            .inner_join(
                payment_session::Entity,
                Expr::col((payment_session::Entity, P::Id)).equals((subscription::Entity, S::RenewalSessionId)),
            )
            .and_where(Expr::col((subscription::Entity, S::Status)).is_in(waiting))
            .and_where(Expr::col((payment_session::Entity, P::Status)).is_in(unpaid.iter().map(|s| s.as_str())))
            .limit(RENEWAL_BATCH)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all_raw(backend.build(&lapsed_ids)).await?;
        let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|row| row.try_get_by_index(0).ok()).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let lapsed = subscription::Entity::update_many()
            .col_expr(S::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
            .col_expr(S::CanceledAt, Expr::value(self.now()))
            .col_expr(S::UpdatedAt, Expr::value(self.now()))
            .filter(S::Id.is_in(ids))
            .filter(S::Status.is_in(waiting))
            .exec(&self.db)
            .await?;
        Ok(lapsed.rows_affected as usize)
    }
}
