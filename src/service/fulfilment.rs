//! What a session's completion does besides its status, by purpose. These writes commit in
//! the same transaction as the move to COMPLETED, so a completed session always has its
//! effect and an effect never exists without its completed session:
//!
//! - CHECKOUT: the order is PAID.
//! - BALANCE_TOP_UP: a TOP_UP ledger entry credits the customer.
//! - OUTSTANDING_BALANCE: a SETTLEMENT ledger entry pays what was owed.
//! - SUBSCRIPTION: the subscription is ACTIVE for its next period and charges the saved
//!   profile from now on.
//! - with `savePaymentProfile` (always for SETUP and SUBSCRIPTION): the method becomes a
//!   payment profile of the customer (see `profiles`).

use sea_orm::sea_query::{Expr, Query, QueryStatementBuilder};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait, StatementBuilder};

use super::Services;
use super::balances::LedgerKind;
use super::orders::{ORDER_OPEN, ORDER_PAID};
use super::sessions::AlsoWrite;
use crate::domain::subscription::{BillingInterval, SubscriptionStatus, period_end};
use crate::domain::{MerchantId, SessionPurpose, SubscriptionId};
use crate::error::{AppError, AppResult};
use crate::storage::entities::{card_token, order, payment, payment_session, subscription};

impl Services {
    /// The writes that complete `session`, paid by `payment` (none for SETUP, which charges
    /// nothing and saves `card`).
    pub(super) async fn completion_writes(
        &self,
        session: &payment_session::Model,
        payment: Option<&payment::Model>,
        card: Option<&card_token::Model>,
    ) -> AppResult<Vec<AlsoWrite>> {
        let purpose: SessionPurpose = session.purpose.parse().map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
        let backend = self.db.get_database_backend();
        let now = self.now();
        let mut writes = Vec::new();

        if session.save_payment_profile {
            match (card, payment.and_then(|p| p.payment_profile_id)) {
                (Some(card), _) => {
                    writes.extend(self.save_profile_writes(session, card, session.set_profile_as_default).await?)
                }
                // Paid with a saved profile: nothing new to save, but the session points at it.
                (None, Some(profile)) => {
                    writes.push(AlsoWrite::new(
                        payment_session::Entity::update_many()
                            .col_expr(payment_session::Column::PaymentProfileId, Expr::value(profile))
                            .filter(payment_session::Column::Id.eq(session.id))
                            .build(backend),
                    ));
                    if session.set_profile_as_default
                        && let Some(customer) = session.customer_id
                    {
                        writes.extend(self.default_writes(
                            customer,
                            crate::storage::entities::payment_profile::Column::Id.eq(profile),
                        ));
                    }
                }
                // A bank transfer is not a method that can be charged again.
                (None, None) => {}
            }
        }

        match purpose {
            SessionPurpose::Checkout => {
                if let Some(order) = session.order_id {
                    writes.push(AlsoWrite::new(
                        order::Entity::update_many()
                            .col_expr(order::Column::Status, Expr::value(ORDER_PAID))
                            .col_expr(order::Column::UpdatedAt, Expr::value(now))
                            .filter(order::Column::Id.eq(order))
                            .filter(order::Column::Status.eq(ORDER_OPEN))
                            .build(backend),
                    ));
                }
            }
            SessionPurpose::BalanceTopUp => writes.push(self.ledger_credit(session, LedgerKind::TopUp)?),
            SessionPurpose::OutstandingBalance => writes.push(self.ledger_credit(session, LedgerKind::Settlement)?),
            SessionPurpose::Subscription => {
                let id = session.subscription_id.ok_or_else(|| anyhow::anyhow!("SUBSCRIPTION session without one"))?;
                let sub = self
                    .subscription(MerchantId(session.merchant_id), SubscriptionId(id))
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("session's subscription is gone"))?;
                writes.push(self.period_paid(&sub, now));
                // Renewals charge what this session saved (or paid with).
                let saved = Query::select()
                    .column(payment_session::Column::PaymentProfileId)
                    .from(payment_session::Entity)
                    .and_where(payment_session::Column::Id.eq(session.id))
                    .to_owned();
                writes.push(AlsoWrite::new(StatementBuilder::build(
                    Query::update()
                        .table(subscription::Entity)
                        .value(
                            subscription::Column::DefaultPaymentProfileId,
                            Expr::SubQuery(None, Box::new(saved.into_sub_query_statement())),
                        )
                        .and_where(subscription::Column::Id.eq(sub.id)),
                    &backend,
                )));
            }
            SessionPurpose::Payment | SessionPurpose::Setup => {}
        }
        Ok(writes)
    }

    /// A period of `sub` is paid: it is ACTIVE until the end of the next period, counted from
    /// its billing anchor (the first payment, which sets it).
    fn period_paid(&self, sub: &subscription::Model, now: chrono::DateTime<chrono::Utc>) -> AlsoWrite {
        let interval: BillingInterval = sub.interval.parse().unwrap_or(BillingInterval::Month);
        let anchor = sub.billing_anchor.unwrap_or(now);
        let periods = sub.periods_paid + 1;
        let start = sub.current_period_end.unwrap_or(now);
        let end = period_end(anchor, interval, sub.interval_count * periods);
        use subscription::Column as S;
        AlsoWrite::new(
            subscription::Entity::update_many()
                .col_expr(S::Status, Expr::value(SubscriptionStatus::Active.as_str()))
                .col_expr(S::BillingAnchor, Expr::value(anchor))
                .col_expr(S::PeriodsPaid, Expr::value(periods))
                .col_expr(S::CurrentPeriodStart, Expr::value(if sub.periods_paid == 0 { now } else { start }))
                .col_expr(S::CurrentPeriodEnd, Expr::value(end))
                .col_expr(S::RenewalSessionId, Expr::value(Option::<uuid::Uuid>::None))
                .col_expr(S::UpdatedAt, Expr::value(now))
                .filter(S::Id.eq(sub.id))
                .build(self.db.get_database_backend()),
        )
    }
}
