//! The SQL of changes to what a customer keeps: a subscription's end and the method it
//! renews on, a saved method removed. Each is guarded by the state it needs, checked by the
//! statement itself, so two changes racing on one row are told apart by the rows they change.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

use super::{AccountWrite, Expect, Guard};
use crate::domain::subscription::SubscriptionStatus;
use crate::storage::entities::{payment_profile, subscription};

impl AccountWrite {
    pub(super) fn statement(&self, at: DateTime<Utc>, backend: DbBackend) -> (Statement, Expect) {
        use payment_profile::Column as P;
        use subscription::Column as S;
        match self {
            AccountWrite::CancelAtPeriodEnd { subscription: id, cancel } => {
                let mut update = subscription::Entity::update_many()
                    .col_expr(S::CancelAtPeriodEnd, Expr::value(*cancel))
                    .col_expr(S::UpdatedAt, Expr::value(at))
                    .filter(S::Id.eq(*id))
                    .filter(S::Status.eq(SubscriptionStatus::Active.as_str()));
                if !*cancel {
                    // Taken back only while the period it would end with still runs.
                    update = update.filter(S::CancelAtPeriodEnd.eq(true)).filter(S::CurrentPeriodEnd.gt(at));
                }
                (update.build(backend), Expect::ExactlyOne(Guard::SubscriptionChanged))
            }
            AccountWrite::RenewOn { subscription: id, customer, profile } => {
                let live = Query::select()
                    .expr(Expr::val(1))
                    .from(payment_profile::Entity)
                    .and_where(P::Id.eq(*profile))
                    .and_where(P::CustomerId.eq(*customer))
                    .and_where(P::RemovedAt.is_null())
                    .to_owned();
                let update = subscription::Entity::update_many()
                    .col_expr(S::DefaultPaymentProfileId, Expr::value(*profile))
                    .col_expr(S::UpdatedAt, Expr::value(at))
                    .filter(S::Id.eq(*id))
                    .filter(S::CustomerId.eq(*customer))
                    .filter(S::Status.ne(SubscriptionStatus::Canceled.as_str()))
                    .filter(Expr::exists(live));
                (update.build(backend), Expect::ExactlyOne(Guard::SubscriptionChanged))
            }
            AccountWrite::RemoveProfile { profile, customer, keep_renewals } => {
                let mut update = payment_profile::Entity::update_many()
                    .col_expr(P::RemovedAt, Expr::value(at))
                    .col_expr(P::IsDefault, Expr::value(false))
                    .filter(P::Id.eq(*profile))
                    .filter(P::CustomerId.eq(*customer))
                    .filter(P::RemovedAt.is_null());
                if *keep_renewals {
                    update = update.filter(not_renewed_on(*profile, *customer));
                }
                (update.build(backend), Expect::ExactlyOne(Guard::ProfileNotRemovable))
            }
            AccountWrite::DetachProfile { profile } => {
                let update = subscription::Entity::update_many()
                    .col_expr(S::DefaultPaymentProfileId, Expr::value(Option::<uuid::Uuid>::None))
                    .filter(S::DefaultPaymentProfileId.eq(*profile));
                (update.build(backend), Expect::Any)
            }
        }
    }
}

/// No running subscription of `customer` (ACTIVE or PAST_DUE, not ending with its period)
/// renews on `profile`: neither as its own method, nor, when it has none, as the default
/// (the profile row's own `is_default`, read by the statement that removes it).
fn not_renewed_on(profile: uuid::Uuid, customer: uuid::Uuid) -> Condition {
    use subscription::Column as S;
    let running = || {
        Query::select()
            .expr(Expr::val(1))
            .from(subscription::Entity)
            .and_where(S::CustomerId.eq(customer))
            .and_where(S::Status.is_in([SubscriptionStatus::Active.as_str(), SubscriptionStatus::PastDue.as_str()]))
            .and_where(S::CancelAtPeriodEnd.eq(false))
            .to_owned()
    };
    let its_own = running().and_where(S::DefaultPaymentProfileId.eq(profile)).to_owned();
    let by_default = running().and_where(S::DefaultPaymentProfileId.is_null()).to_owned();
    Condition::all()
        .add(Expr::exists(its_own).not())
        .add(Condition::any().add(payment_profile::Column::IsDefault.eq(false)).add(Expr::exists(by_default).not()))
}
